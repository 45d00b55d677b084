/// A glob over entry names, as `validate: match:` writes them: `*` matches any run of bytes within
/// one path component, `?` one byte other than `/`, `**` any run of whole components (`**/x`
/// matches `x` at any depth, including the top). Everything else matches itself. Names are
/// compared as normalised entry names (`./a/b` is `a/b`).
public struct EntryGlob: Sendable, Hashable {
    private let pattern: [UInt8]

    public init(_ pattern: String) {
        var bytes = Array(pattern.utf8)
        while bytes.starts(with: Array("./".utf8)) { bytes.removeFirst(2) }
        self.pattern = bytes
    }

    public func matches(_ name: EntryName) -> Bool { Self.match(pattern[...], name.bytes[...]) }

    private static let star = UInt8(ascii: "*")
    private static let slash = UInt8(ascii: "/")

    private static func match(_ pattern: ArraySlice<UInt8>, _ name: ArraySlice<UInt8>) -> Bool {
        guard let first = pattern.first else { return name.isEmpty }
        if first == star, pattern.dropFirst().first == star {
            // `**`: any run of whole components. `**/rest` also matches `rest` at this level.
            var rest = pattern.dropFirst(2)
            if rest.first == slash { rest = rest.dropFirst() }
            if match(rest, name) { return true }
            var index = name.startIndex
            while let next = name[index...].firstIndex(of: slash) {
                if match(rest, name[(next + 1)...]) { return true }
                index = next + 1
            }
            return rest.isEmpty
        }
        if first == star {
            // `*`: any run of bytes without a `/`.
            var index = name.startIndex
            while true {
                if match(pattern.dropFirst(), name[index...]) { return true }
                guard index < name.endIndex, name[index] != slash else { return false }
                index += 1
            }
        }
        guard let byte = name.first else { return false }
        if first == UInt8(ascii: "?") { return byte != slash && match(pattern.dropFirst(), name.dropFirst()) }
        return first == byte && match(pattern.dropFirst(), name.dropFirst())
    }
}
