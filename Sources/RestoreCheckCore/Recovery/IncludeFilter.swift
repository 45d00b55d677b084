/// `restorecheck restore --include`: which entry names a restore takes. A pattern (`EntryGlob`)
/// matches a name or one of its parent directories, so `--include home/anna` restores that folder
/// whole and `--include 'home/*/Documents'` every user's. The one home of the rule: the worker's
/// `RestoreKeeper` applies it to an archive's entries, `RepositoryRestore` to a snapshot's listing.
public struct IncludeFilter: Sendable {
    private let globs: [EntryGlob]

    public init(_ patterns: [String]) { globs = patterns.map(EntryGlob.init) }

    /// No pattern: everything is taken.
    public var isEmpty: Bool { globs.isEmpty }

    public func includes(_ name: EntryName) -> Bool {
        guard !globs.isEmpty else { return true }
        var bytes = name.bytes[...]
        while true {
            if case .success(let prefix) = EntryName.validate(Array(bytes)), globs.contains(where: { $0.matches(prefix) }) { return true }
            guard let slash = bytes.lastIndex(of: UInt8(ascii: "/")) else { return false }
            bytes = bytes[..<slash]
        }
    }

    /// A name as text (a backup tool's listing), after a leading `/`.
    public func includes(_ name: String) -> Bool {
        guard !globs.isEmpty else { return true }
        guard case .success(let valid) = EntryName.validate(Array(name.drop { $0 == "/" }.utf8)) else { return false }
        return includes(valid)
    }
}
