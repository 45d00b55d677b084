/// An archive entry name after validation and normalisation, as bytes.
///
/// The same normalisation applies to manifest paths, so `./etc/hostname` in a manifest matches
/// `etc/hostname` in an archive: leading `./` removed, repeated and trailing `/` collapsed.
/// Names that could escape the scratch directory are rejected, never "cleaned": a cleaned
/// `../../etc/passwd` would silently verify a different file than the one a real restore writes.
public struct EntryName: Sendable, Hashable, Comparable, CustomStringConvertible {
    /// The normalised name as bytes, components joined by `/`. One flat array: names are hashed and
    /// compared once or more per archive entry, and a million of them may be held at once, so a
    /// nested array per component (an allocation each, hashed byte by byte) was measurably slow.
    public let bytes: [UInt8]

    /// The last component: the file's own name.
    public var baseName: ArraySlice<UInt8> {
        bytes[((bytes.lastIndex(of: UInt8(ascii: "/")) ?? -1) + 1)...]
    }

    /// What follows the last dot of `name` (a base name, or a part of one), if anything does. A dot
    /// at the start begins no extension: `.bashrc` has none. The one rule for what an extension is
    /// (content checks, ransomware names and change summaries all ask it).
    public static func lastExtension(of name: ArraySlice<UInt8>) -> (extension: ArraySlice<UInt8>, stem: ArraySlice<UInt8>)? {
        guard let dot = name.lastIndex(of: UInt8(ascii: ".")), dot > name.startIndex, dot + 1 < name.endIndex else { return nil }
        return (name[(dot + 1)...], name[..<dot])
    }

    /// The normalised components, each non-empty, none `.` or `..`.
    public var components: [ArraySlice<UInt8>] {
        bytes.split(separator: UInt8(ascii: "/"))
    }

    /// Why a name is unsafe to restore.
    public enum Rejection: Error, Sendable, Hashable, CustomStringConvertible {
        case empty, absolute, parentReference, componentTooLong, tooLong, nulByte
        public var description: String {
            switch self {
            case .empty: "empty name"
            case .absolute: "absolute path"
            case .parentReference: "'..' component"
            case .componentTooLong: "a component longer than 255 bytes"
            case .tooLong: "longer than 4095 bytes"
            case .nulByte: "NUL byte in name"
            }
        }
    }

    /// Linux limits (NAME_MAX, PATH_MAX - 1): a name past them cannot be restored on the target.
    static let maxComponentLength = 255
    static let maxLength = 4095

    /// Validates and normalises raw entry-name bytes.
    public static func validate(_ bytes: [UInt8]) -> Result<EntryName, Rejection> {
        if bytes.isEmpty { return .failure(.empty) }
        if bytes.contains(0) { return .failure(.nulByte) }
        if bytes.count > maxLength { return .failure(.tooLong) }
        if bytes.first == UInt8(ascii: "/") { return .failure(.absolute) }
        // A Windows-made zip may use `\` as separator: `..\..\x` is a traversal there. On Linux `\` is
        // an ordinary byte, but no honest backup names a file `..` between backslashes.
        let backslashSegments = bytes.split(separator: UInt8(ascii: "\\"), omittingEmptySubsequences: false)
        for segment in backslashSegments {
            for part in segment.split(separator: UInt8(ascii: "/")) where part.elementsEqual("..".utf8) {
                return .failure(.parentReference)
            }
        }
        if bytes.count >= 2, bytes[1] == UInt8(ascii: ":"), bytes[0].isASCIILetter,
            bytes.count == 2 || bytes[2] == UInt8(ascii: "\\") || bytes[2] == UInt8(ascii: "/")
        {
            return .failure(.absolute)  // `C:\...`: an absolute Windows path
        }
        var normalised: [UInt8] = []
        normalised.reserveCapacity(bytes.count)
        for part in bytes.split(separator: UInt8(ascii: "/")) {
            if part.elementsEqual(".".utf8) { continue }
            if part.count > maxComponentLength { return .failure(.componentTooLong) }
            if !normalised.isEmpty { normalised.append(UInt8(ascii: "/")) }
            normalised.append(contentsOf: part)
        }
        if normalised.isEmpty { return .failure(.empty) }
        return .success(EntryName(bytes: normalised))
    }

    /// Removes leading `/` bytes, as GNU tar, bsdtar (without `-P`) and unzip do before restoring a
    /// member, and as restorecheck does for archive and manifest names alike (`sha256sum /srv/a`
    /// matches the tar entry `srv/a`). `..` is not touched here: `validate` refuses it.
    package static func strippingRoot(_ bytes: [UInt8]) -> (bytes: [UInt8], stripped: Bool) {
        guard let first = bytes.firstIndex(where: { $0 != UInt8(ascii: "/") }) else { return ([], !bytes.isEmpty) }
        return first == 0 ? (bytes, false) : (Array(bytes[first...]), true)
    }

    package init(bytes: [UInt8]) { self.bytes = bytes }

    public static func == (lhs: EntryName, rhs: EntryName) -> Bool { lhs.bytes == rhs.bytes }

    /// Hashes the bytes in one call instead of element by element.
    public func hash(into hasher: inout Hasher) {
        bytes.withUnsafeBytes { hasher.combine(bytes: $0) }
    }

    /// The normalised name for people and for JSON; invalid UTF-8 shows as U+FFFD.
    public var description: String { String(decoding: bytes, as: UTF8.self) }

    public static func < (lhs: EntryName, rhs: EntryName) -> Bool { lhs.bytes.lexicographicallyPrecedes(rhs.bytes) }
}

extension UInt8 {
    var isASCIILetter: Bool { (0x41...0x5A).contains(self) || (0x61...0x7A).contains(self) }
}
