/// Entry names that only ransomware leaves: ransom-note file names and the extensions families
/// append to encrypted files. Names only (no bytes are read), checked on every regular file of the
/// archive, sampled or not.
///
/// Deliberately short and specific: each name is one a named family writes (CISA #StopRansomware
/// advisories and vendor write-ups; README "Content checks" lists them). Generic names a family also
/// uses (`readme.txt`, `.encrypted`, `.locked`, `.crypt`, `.enc`) are left out: real file servers hold
/// them, and WhatsApp backups are `.crypt14`. A false alarm here teaches operators to ignore the check.
public enum RansomwareNames {
    /// Ransom-note file names, lowercased.
    static let notes: Set<String> = [
        "@please_read_me@.txt",  // WannaCry
        "_locky_recover_instructions.txt", "_help_instructions.html",  // Locky
        "help_decrypt.html", "help_decrypt.txt", "decrypt_instruction.txt",  // CryptoWall
        "# decrypt my files #.txt", "# decrypt my files #.html",  // Cerber
        "ryukreadme.txt", "ryukreadme.html",  // Ryuk
        "restore-my-files.txt",  // LockBit 2.0
        "conti_readme.txt",  // Conti
        "!!!read_me_medusa!!!.txt",  // Medusa
        "akira_readme.txt",  // Akira
        "how to restore your files.txt",  // Babuk
        "clopreadme.txt",  // Clop
        "criticalbreachdetected.pdf",  // Rhysida
        "krab-decrypt.txt", "gdcb-decrypt.txt",  // GandCrab
    ]

    /// Extensions appended to encrypted files, lowercased, without the dot.
    static let extensions: Set<String> = [
        "wncry", "locky", "zepto", "aesir", "osiris", "cerber", "cerber2", "cerber3", "ryk", "lockbit",
        "conti", "medusa", "akira", "basta", "babyk", "clop", "rhysida", "8base", "royal", "krab", "gdcb", "dharma", "phobos",
    ]

    /// What ransomware trace `name` is, if any.
    public enum Match: Sendable, Hashable, CustomStringConvertible {
        case note(String)
        case encryptedExtension(String)

        public var description: String {
            switch self {
            case .note(let name): "'\(name)' is the name of a known ransom note"
            case .encryptedExtension(let ext): "'.\(ext)' is an extension known ransomware appends to the files it encrypts"
            }
        }
    }

    public static func match(_ name: EntryName) -> Match? {
        let base = name.baseName
        if base.count <= 40 {  // longer than every listed name: skip the String
            let lowered = String(decoding: base, as: UTF8.self).lowercased()
            if notes.contains(lowered) { return .note(lowered) }
        }
        guard let (ext, _) = EntryName.lastExtension(of: base), ext.count <= 8 else { return nil }
        let lowered = String(decoding: ext, as: UTF8.self).lowercased()
        return extensions.contains(lowered) ? .encryptedExtension(lowered) : nil
    }
}
