/// The checksums captured at backup time: normalised path → SHA-256 hex.
///
/// Accepted line forms (one manifest may mix them):
/// - GNU `sha256sum` / `shasum -a 256`: `<hex>  <path>` (text mode) and `<hex> *<path>` (binary mode),
///   including the `\`-prefixed escaped form sha256sum writes for names with `\` or a newline;
/// - BSD / `sha256sum --tag`: `SHA256 (<path>) = <hex>`.
///
/// Blank lines and `#` comments are skipped. Paths get the archive's normalisation (`./` removed) and,
/// because tar strips it too, a leading `/`: `sha256sum /srv/data/a` matches the tar entry `srv/data/a`.
public struct Manifest: Sendable {
    public private(set) var digests: [EntryName: String] = [:]

    public var count: Int { digests.count }

    public subscript(name: EntryName) -> String? { digests[name] }

    /// A manifest line that could not be understood.
    public struct ParseError: Error, Sendable, Hashable, CustomStringConvertible {
        public var file: String
        public var line: Int
        public var message: String
        public var description: String { "\(file):\(line): \(message)" }
    }

    public init(digests: [EntryName: String]) { self.digests = digests }

    /// Parses manifest bytes; `file` is used only in error messages.
    public init(parsing bytes: [UInt8], file: String) throws(ParseError) {
        var lineNumber = 0
        for rawLine in bytes.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false) {
            lineNumber += 1
            var line = Array(rawLine)
            if line.last == UInt8(ascii: "\r") { line.removeLast() }
            if line.allSatisfy({ $0 == 0x20 || $0 == 0x09 }) || line.first == UInt8(ascii: "#") { continue }
            let (pathBytes, digest) = try Self.parseLine(line, file: file, line: lineNumber)
            var path = pathBytes
            while path.first == UInt8(ascii: "/") { path.removeFirst() }
            let name: EntryName
            switch EntryName.validate(path) {
            case .success(let valid): name = valid
            case .failure(let rejection):
                throw ParseError(file: file, line: lineNumber, message: "unusable path (\(rejection))")
            }
            if let earlier = digests[name], earlier != digest {
                throw ParseError(
                    file: file, line: lineNumber,
                    message: "'\(name)' listed twice with different checksums")
            }
            digests[name] = digest
        }
    }

    private static func parseLine(_ line: [UInt8], file: String, line number: Int) throws(ParseError) -> ([UInt8], String) {
        let bsdPrefix = Array("SHA256 (".utf8)
        if line.starts(with: bsdPrefix) {
            // `SHA256 (path) = hex`: the path may itself contain ") = ", so split at the last one.
            let separator = Array(") = ".utf8)
            guard let split = lastRange(of: separator, in: line), split.lowerBound >= bsdPrefix.count else {
                throw ParseError(file: file, line: number, message: "expected 'SHA256 (path) = <64 hex digits>'")
            }
            let hex = Array(line[split.upperBound...])
            guard let digest = validHex(hex) else {
                throw ParseError(file: file, line: number, message: "checksum is not 64 hex digits")
            }
            return (Array(line[bsdPrefix.count..<split.lowerBound]), digest)
        }
        var body = line[...]
        let escaped = body.first == UInt8(ascii: "\\")
        if escaped { body = body.dropFirst() }
        guard body.count > 66, let digest = validHex(Array(body.prefix(64))) else {
            throw ParseError(
                file: file, line: number,
                message: "expected '<64 hex digits>  <path>' (sha256sum) or 'SHA256 (path) = <hex>'")
        }
        let separator = Array(body.dropFirst(64).prefix(2))
        guard separator == [0x20, 0x20] || separator == [0x20, UInt8(ascii: "*")] else {
            throw ParseError(file: file, line: number, message: "expected two spaces or ' *' after the checksum")
        }
        var path = Array(body.dropFirst(66))
        if escaped { path = unescape(path) }
        return (path, digest)
    }

    private static func validHex(_ bytes: [UInt8]) -> String? {
        guard bytes.count == 64 else { return nil }
        var lower = [UInt8]()
        lower.reserveCapacity(64)
        for byte in bytes {
            switch byte {
            case UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "a")...UInt8(ascii: "f"): lower.append(byte)
            case UInt8(ascii: "A")...UInt8(ascii: "F"): lower.append(byte + 32)
            default: return nil
            }
        }
        return String(decoding: lower, as: UTF8.self)
    }

    /// sha256sum's escaping: `\\` is a backslash, `\n` a newline (and, since coreutils 9, `\r`).
    private static func unescape(_ bytes: [UInt8]) -> [UInt8] {
        var out = [UInt8]()
        var iterator = bytes.makeIterator()
        while let byte = iterator.next() {
            guard byte == UInt8(ascii: "\\"), let next = iterator.next() else {
                out.append(byte)
                continue
            }
            switch next {
            case UInt8(ascii: "n"): out.append(UInt8(ascii: "\n"))
            case UInt8(ascii: "r"): out.append(UInt8(ascii: "\r"))
            default: out.append(next)
            }
        }
        return out
    }

    private static func lastRange(of needle: [UInt8], in haystack: [UInt8]) -> Range<Int>? {
        guard haystack.count >= needle.count else { return nil }
        for start in stride(from: haystack.count - needle.count, through: 0, by: -1)
        where haystack[start..<start + needle.count].elementsEqual(needle) {
            return start..<start + needle.count
        }
        return nil
    }
}
