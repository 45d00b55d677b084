/// What a file's extension promises about its bytes, for the content check.
///
/// - `text`: human-readable text (prose, tables, markup, logs, mail, source code). Text never looks
///   random (English prose is ~4.5 bits/byte; UTF-8 in any script stays far from uniform), so a
///   random-looking text file is one whose content was replaced.
/// - `structured(name)`: a format with a fixed signature (`FileSignature`). Its payload may be
///   compressed and look random, but its first bytes never do: random-looking bytes with no known
///   signature are ciphertext under the old name.
/// - `unchecked`: formats that are random by design with no reliable signature (MP3 frames, raw
///   ciphertext such as .gpg/.age/.enc, disk images, brotli streams) and every extension not listed:
///   never judged, because nothing says what their bytes should be.
///
/// A last extension that names a compressor (`.gz`, `.lz`, `.lzma`, `.br` ...) always decides: the
/// bytes are compressed, and the extension before it (`dump.sql.lz`) promises nothing about them.
public enum ContentExpectation: Sendable, Hashable {
    case text
    case structured(String)
    case unchecked

    /// The expectation for a file name: its last extension (case-insensitive); when that one is not
    /// known at all, the one before it. Ransomware appends an extension of its own (often random per
    /// victim, `report.docx.a1b2c3`), so the original one still says what the bytes should be. A
    /// known last extension always decides, so `notes.txt.gpg` is ciphertext by design, never text.
    public static func of(_ name: EntryName) -> ContentExpectation {
        guard let (lastExtension, stem) = EntryName.lastExtension(of: name.baseName) else { return .unchecked }
        if let known = lookup(lastExtension) { return known }
        // `msgstore.db.crypt14` (WhatsApp), `x.enc2`: numbered ciphertext extensions are encrypted by design.
        if lastExtension.starts(with: "crypt".utf8) || lastExtension.starts(with: "enc".utf8) { return .unchecked }
        // Split volumes (`backup.7z.002`, `photos.zip.001`, `.z01`, `.r00`): every part after the first
        // starts mid-stream, with no signature, so the extension before the number promises nothing.
        if lastExtension.dropFirst().allSatisfy({ (0x30...0x39).contains($0) }) { return .unchecked }
        guard let (inner, _) = EntryName.lastExtension(of: stem), let original = lookup(inner) else { return .unchecked }
        return original
    }

    private static func lookup(_ ext: ArraySlice<UInt8>) -> ContentExpectation? {
        guard (1...8).contains(ext.count) else { return nil }
        return table[String(decoding: ext, as: UTF8.self).lowercased()]
    }

    static let textExtensions = [
        "txt", "text", "csv", "tsv", "md", "markdown", "rst", "html", "htm", "xhtml", "xml", "json", "yaml", "yml", "toml",
        "log", "eml", "ini", "cfg", "conf", "sql", "svg", "tex", "rtf", "vcf", "ics",
        "c", "h", "cc", "cpp", "hpp", "cs", "java", "kt", "scala", "go", "rs", "swift", "py", "rb", "php", "pl", "js", "ts",
        "css", "scss", "sh", "bash", "ps1", "bat", "cmd", "vb", "lua", "r",
    ]

    /// Extensions with a signature, and the format named in findings.
    static let structuredExtensions: [String: String] = [
        "pdf": "PDF",
        "docx": "Office Open XML", "xlsx": "Office Open XML", "pptx": "Office Open XML",
        "docm": "Office Open XML", "xlsm": "Office Open XML", "pptm": "Office Open XML",
        "odt": "OpenDocument", "ods": "OpenDocument", "odp": "OpenDocument", "odg": "OpenDocument", "epub": "EPUB (zip)",
        "doc": "OLE2 (Office 97-2003)", "xls": "OLE2 (Office 97-2003)", "ppt": "OLE2 (Office 97-2003)",
        "msg": "OLE2 (Outlook)", "vsd": "OLE2 (Visio)",
        "jpg": "JPEG", "jpeg": "JPEG", "png": "PNG", "gif": "GIF", "tif": "TIFF", "tiff": "TIFF", "bmp": "BMP",
        "webp": "WebP (RIFF)", "wav": "WAV (RIFF)", "avi": "AVI (RIFF)", "heic": "HEIF", "psd": "Photoshop",
        "mp4": "ISO media", "m4v": "ISO media", "m4a": "ISO media", "mov": "ISO media", "3gp": "ISO media",
        "mkv": "Matroska", "webm": "Matroska", "wmv": "ASF", "wma": "ASF", "flac": "FLAC", "ogg": "Ogg",
        "zip": "ZIP", "jar": "ZIP", "gz": "gzip", "tgz": "gzip", "bz2": "bzip2", "xz": "xz", "txz": "xz",
        "zst": "zstd", "7z": "7-Zip", "rar": "RAR", "z": "compress (.Z)", "lz": "lzip", "bz3": "bzip3", "lzma": "LZMA",
        "lz4": "LZ4", "lzo": "lzop", "zpaq": "ZPAQ",
        "sqlite": "SQLite", "sqlite3": "SQLite", "db": "SQLite",
        "exe": "PE executable", "dll": "PE executable", "so": "ELF",
        "dump": "PostgreSQL custom dump",
    ]

    /// Random by design and without a reliable signature: ciphertext containers, key stores, raw media
    /// frames, disk images. Listed so that they decide (never judged) instead of letting the
    /// extension before them decide.
    static let uncheckedExtensions = [
        "gpg", "pgp", "asc", "age", "enc", "aes", "axx", "kdbx", "p12", "pfx", "key", "bin", "dat", "raw", "img", "iso",
        "vhd", "vhdx", "vmdk", "qcow2", "mp3", "aac", "bak", "tmp", "part", "crdownload",
        // Compressors whose streams carry no magic: `x.js.br` is compressed, never judged as JavaScript.
        "br", "brotli", "sz", "snappy",
    ]

    static let table: [String: ContentExpectation] = {
        var table: [String: ContentExpectation] = [:]
        for ext in uncheckedExtensions { table[ext] = .unchecked }
        for ext in textExtensions { table[ext] = .text }
        for (ext, format) in structuredExtensions { table[ext] = .structured(format) }
        return table
    }()
}
