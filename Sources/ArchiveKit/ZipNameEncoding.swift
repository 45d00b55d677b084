import Glibc

/// The character set of a zip entry's name: APPNOTE (4.4.4, appendix D) says a name without the
/// UTF-8 flag (general purpose bit 11) is in the IBM PC code page 437, and Windows Explorer's
/// "Send to → Compressed folder" writes such names. libarchive hands them over as raw bytes (its
/// `hdrcharset=CP437` option would apply to every unflagged entry, and Info-ZIP on Linux writes raw
/// UTF-8 without the flag, which would then turn into mojibake). So the rule is per name: bytes that
/// are valid UTF-8 are UTF-8 (Info-ZIP, and any ASCII name), anything else is CP437, decoded through
/// glibc's iconv (`IBM437`). Before, every file of an Explorer zip with a non-ASCII name was "absent
/// from the archive".
enum ZipNameEncoding {
    static func utf8(_ name: [UInt8]) -> [UInt8] {
        if name.allSatisfy({ $0 < 0x80 }) || isValidUTF8(name) { return name }
        return fromCP437(name) ?? name
    }

    static func isValidUTF8(_ bytes: [UInt8]) -> Bool {
        Array(String(decoding: bytes, as: UTF8.self).utf8) == bytes
    }

    /// `bytes` decoded from CP437 into UTF-8 (every CP437 byte maps to one character of at most 3
    /// UTF-8 bytes); nil when iconv is unavailable.
    static func fromCP437(_ bytes: [UInt8]) -> [UInt8]? {
        let converter = iconv_open("UTF-8", "IBM437")
        guard let converter, converter != UnsafeMutableRawPointer(bitPattern: -1) else { return nil }
        defer { iconv_close(converter) }
        var input = bytes.map { CChar(bitPattern: $0) }
        var output = [CChar](repeating: 0, count: bytes.count * 3 + 4)
        let written: Int? = input.withUnsafeMutableBufferPointer { inBuffer in
            output.withUnsafeMutableBufferPointer { outBuffer in
                var inPointer: UnsafeMutablePointer<CChar>? = inBuffer.baseAddress
                var outPointer: UnsafeMutablePointer<CChar>? = outBuffer.baseAddress
                var inLeft = inBuffer.count
                var outLeft = outBuffer.count
                guard iconv(converter, &inPointer, &inLeft, &outPointer, &outLeft) != -1, inLeft == 0 else { return nil }
                return outBuffer.count - outLeft
            }
        }
        guard let written else { return nil }
        return output.prefix(written).map { UInt8(bitPattern: $0) }
    }
}
