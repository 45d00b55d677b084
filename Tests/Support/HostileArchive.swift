import Foundation

/// Hostile archives made at test time: Python's tarfile writes the attack
/// (`Tests/HostileArchives/make_hostile.py`), `bsdtar -P @in.tar` re-encodes it into the other
/// formats keeping the names as they are, and the real compressors wrap it.
public enum HostileArchive {
    public enum Kind: String, CaseIterable, Sendable {
        case traversal, symlink, hardlink, special, nonutf8
    }

    public enum Container: String, CaseIterable, Sendable, CustomStringConvertible {
        case tar, tarGzip = "tar.gz", tarBzip2 = "tar.bz2", tarXz = "tar.xz", tarZstd = "tar.zst", tarLz4 = "tar.lz4"
        case cpio, cpioGzip = "cpio.gz", cpioZstd = "cpio.zst", zip, sevenZip = "7z"
        public var description: String { rawValue }

        /// Shell that turns `$IN` (a tar) into `$OUT`.
        var conversion: String {
            switch self {
            case .tar: "cp \"$IN\" \"$OUT\""
            case .tarGzip: "gzip -c \"$IN\" > \"$OUT\""
            case .tarBzip2: "bzip2 -c \"$IN\" > \"$OUT\""
            case .tarXz: "xz -c \"$IN\" > \"$OUT\""
            case .tarZstd: "zstd -q -c \"$IN\" > \"$OUT\""
            case .tarLz4: "lz4 -q -c \"$IN\" > \"$OUT\""
            case .cpio: "bsdtar --format newc -P -cf \"$OUT\" @\"$IN\""
            case .cpioGzip: "bsdtar --format newc -P -cf - @\"$IN\" | gzip > \"$OUT\""
            case .cpioZstd: "bsdtar --format newc -P -cf - @\"$IN\" | zstd -q > \"$OUT\""
            case .zip: "bsdtar --format zip -P -cf \"$OUT\" @\"$IN\""
            case .sevenZip: "bsdtar --format 7zip -P -cf \"$OUT\" @\"$IN\""
            }
        }
    }

    static let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("HostileArchives/make_hostile.py").path

    /// Writes the `kind` attack in `container` format; returns its path. `sentinel` is the directory a
    /// successful escape would write into.
    public static func make(_ kind: Kind, _ container: Container, sentinel: String, in temp: TemporaryDirectory) throws -> String {
        let tar = temp.url("\(kind.rawValue).source.tar")
        try Shell.run("python3 \"$SCRIPT\" \(kind.rawValue) \"$TAR\" \"$SENTINEL\"", environment: ["SCRIPT": script, "TAR": tar, "SENTINEL": sentinel])
        let out = temp.url("\(kind.rawValue).\(container.rawValue)")
        // bsdtar warns (exit 1) about entries a format cannot hold (a FIFO in zip); it still writes the
        // rest. Any other status, or no output, is the test's own failure and is thrown.
        let result = try Shell.execute("/bin/bash", ["-c", "set -o pipefail; " + container.conversion], environment: ["IN": tar, "OUT": out])
        guard result.status == 0 || result.status == 1, FileManager.default.fileExists(atPath: out) else {
            throw Shell.Failure(command: container.conversion, result: result)
        }
        return out
    }
}
