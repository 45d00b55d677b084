/// Set on a worker request for `restorecheck restore`: the worker writes the restore point into
/// `WorkerRequest.scratchPath` (the operator's `--to` directory) to keep, instead of a sample into
/// scratch to throw away.
///
/// The pass, its defences and its digests are a test's; what changes is what is kept. Every file is
/// written under a temporary name (`partialPrefix`) in its own directory and renamed to its final
/// name once its bytes are hashed; modes, times, symlinks, hard links and (as root) owners are
/// applied as a careful `tar -x` would. Device nodes, FIFOs and sockets are never created.
public struct RestoreInto: Sendable, Codable, Equatable {
    /// `--include` globs (`EntryGlob`): only matching entries are restored and expected; empty: all.
    public var only: [String]
    /// Apply the archive's numeric owners and groups (root only; `--no-owners` turns it off).
    public var owners: Bool
    /// Replace files already in the directory (`--overwrite`); otherwise an existing name is kept and
    /// reported, and the restored copy is not written over it.
    public var overwrite: Bool
    /// Apply extended attributes (`--xattrs`): the `user.` namespace always, the others (`security.`,
    /// whose `security.capability` grants privileges as a set-user-ID bit does; `trusted.`,
    /// `system.`) only with `owners`, as set-ID bits are.
    public var xattrs: Bool

    public init(only: [String] = [], owners: Bool = false, overwrite: Bool = false, xattrs: Bool = false) {
        self.only = only
        self.owners = owners
        self.overwrite = overwrite
        self.xattrs = xattrs
    }

    /// The start of every temporary name: `.restorecheck-<n>.partial`. An interrupted restore leaves
    /// only such names half-written, and `RestoreDirectory.removePartials` removes them.
    public static let partialPrefix = ".restorecheck-"
    public static let partialSuffix = ".partial"
    /// A file whose bytes differ from the manifest is kept beside its final name with this suffix,
    /// so nobody takes it for the backed-up file while its bytes stay at hand.
    public static let mismatchSuffix = ".restorecheck-mismatch"

    /// The start of a restore's `Outcome.sample` ("restore: all files", "restore: home/anna/**"):
    /// how reports tell the restores of a period from its tests.
    public static let sampleLabelPrefix = "restore: "

    public static func isRestore(sample: String?) -> Bool { sample?.hasPrefix(sampleLabelPrefix) == true }

    public static func partialName(_ id: Int) -> [UInt8] { Array("\(partialPrefix)\(id)\(partialSuffix)".utf8) }

    public static func isPartialName(_ name: [UInt8]) -> Bool {
        name.starts(with: partialPrefix.utf8) && name.reversed().starts(with: partialSuffix.utf8.reversed())
    }
}

/// What a restore wrote and kept (`WorkerReport.restored`), beyond what a test reports.
public struct RestoreTally: Sendable, Codable, Equatable {
    /// Regular files under their final names, and their bytes.
    public var files = 0
    public var bytes: Int64 = 0
    public var directories = 0
    public var symlinks = 0
    public var hardLinks = 0
    /// Restored files the manifest does not list: kept, but nothing proves their bytes.
    public var unverified = 0
    /// Files whose bytes differ from the manifest, kept as `NAME.restorecheck-mismatch`.
    public var mismatchesKept = 0
    /// Names already in the directory, left as they were (no `--overwrite`); the first ones listed.
    public var existingKept = 0
    public var existingNames: [String] = []
    /// Entries outside `--include`, passed over.
    public var outsideInclude = 0
    /// Extended attributes applied (`--xattrs`), and entries whose attributes were not asked for or
    /// not allowed (another namespace without owners), or that carry ACLs, which are not restored.
    public var xattrsApplied = 0
    public var xattrsSkipped = 0
    public var aclsNotRestored = 0
    /// Modes, times or owners that could not be applied, and links that could not be made (counted;
    /// the first ones listed with why).
    public var metadataFailures = 0
    public var metadataProblems: [String] = []

    public init() {}

    static let listed = 20

    public mutating func keptExisting(_ name: String) {
        existingKept += 1
        if existingNames.count < Self.listed { existingNames.append(name) }
    }

    public mutating func metadataFailed(_ problem: String) {
        metadataFailures += 1
        if metadataProblems.count < Self.listed { metadataProblems.append(problem) }
    }
}
