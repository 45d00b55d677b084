import Foundation
import RestoreCheckCore

/// A small source tree, archived by a real tool, with a sha256sum manifest of the source: what an
/// MSP's backup job leaves behind. Every test that needs "a backup" builds one of these.
public struct BackupSet: Sendable {
    public let directory: String
    public let source: String
    public let archive: String
    public let manifest: String

    /// The archive tools and formats the tests cover; each is a real command line.
    public enum Kind: String, Sendable, CaseIterable, CustomStringConvertible {
        case gnuTar = "GNU tar"
        case gnuTarGzip = "GNU tar + gzip"
        case gnuTarBzip2 = "GNU tar + bzip2"
        case gnuTarXz = "GNU tar + xz"
        case gnuTarZstd = "GNU tar + zstd"
        case gnuTarLz4 = "GNU tar + lz4"
        case bsdtarPax = "bsdtar pax"
        case bsdtarUstar = "bsdtar ustar"
        case cpioNewc = "cpio newc"
        case cpioOdcGzip = "cpio odc + gzip"
        case zipDeflate = "zip deflate"
        case zipStored = "zip stored"
        case sevenZip = "7z LZMA2"

        public var description: String { rawValue }

        public var fileExtension: String {
            switch self {
            case .gnuTar, .bsdtarPax, .bsdtarUstar: "tar"
            case .gnuTarGzip: "tar.gz"
            case .gnuTarBzip2: "tar.bz2"
            case .gnuTarXz: "tar.xz"
            case .gnuTarZstd: "tar.zst"
            case .gnuTarLz4: "tar.lz4"
            case .cpioNewc: "cpio"
            case .cpioOdcGzip: "cpio.gz"
            case .zipDeflate, .zipStored: "zip"
            case .sevenZip: "7z"
            }
        }

        /// A shell command run inside the source directory that writes the archive to "$OUT".
        public var command: String {
            switch self {
            case .gnuTar: "tar -cf \"$OUT\" ."
            case .gnuTarGzip: "tar -czf \"$OUT\" ."
            case .gnuTarBzip2: "tar -cjf \"$OUT\" ."
            case .gnuTarXz: "tar -cJf \"$OUT\" ."
            case .gnuTarZstd: "tar --zstd -cf \"$OUT\" ."
            case .gnuTarLz4: "tar -I lz4 -cf \"$OUT\" ."
            case .bsdtarPax: "bsdtar --format pax -cf \"$OUT\" ."
            case .bsdtarUstar: "bsdtar --format ustar -cf \"$OUT\" ."
            case .cpioNewc: "find . -print | sort | cpio --quiet -o -H newc > \"$OUT\""
            case .cpioOdcGzip: "find . -print | sort | cpio --quiet -o -H odc | gzip > \"$OUT\""
            case .zipDeflate: "zip -qr \"$OUT\" ."
            case .zipStored: "zip -qr -0 \"$OUT\" ."
            case .sevenZip: "7z a -bd -bso0 -bsp0 \"$OUT\" . >/dev/null"
            }
        }
    }

    /// The default source tree: nested directories, a UTF-8 name, an empty file, a binary file and a
    /// file larger than one libarchive block.
    public static let defaultFiles: [String: Data] = {
        var files: [String: Data] = [
            "etc/hostname": Data("fileserver\n".utf8),
            "home/alice/notes.txt": Data("meeting at 10\n".utf8),
            "home/alice/empty.txt": Data(),
            "srv/share/Rechnungen Ünïcødé/rechnung-1.txt": Data("Total: 113 EUR\n".utf8),
        ]
        var generator = SystemRandomNumberGenerator()
        // A photo's payload is incompressible, and like every JPEG it starts with the JPEG/JFIF
        // signature (random bytes without it are what the content check calls ransomware's work).
        files["home/bob/photo.jpg"] = Data(jfifHeader + (0..<300_000).map { _ in UInt8.random(in: 0...255, using: &generator) })
        files["srv/share/big.log"] = Data((0..<20_000).map { "line \($0) of the log\n" }.joined().utf8)
        for index in 0..<30 {
            files["srv/share/docs/doc-\(index).txt"] = Data("document \(index)\n\(String(repeating: "x", count: index * 97))".utf8)
        }
        return files
    }()

    /// The first bytes of a JPEG/JFIF file (SOI, APP0 "JFIF"), for test photos with random payloads.
    public static let jfifHeader: [UInt8] = [0xFF, 0xD8, 0xFF, 0xE0, 0x00, 0x10] + Array("JFIF".utf8) + [0, 1, 1, 0, 0, 1, 0, 1, 0, 0]

    /// Makes the source tree, the manifest (`sha256sum` over the source) and the archive.
    public static func make(
        _ kind: Kind, in temp: TemporaryDirectory, files: [String: Data] = defaultFiles, name: String = "backup"
    ) throws -> BackupSet {
        let source = temp.url("\(name)-source")
        for (path, data) in files { try temp.write("\(name)-source/\(path)", data) }
        let archive = temp.url("\(name).\(kind.fileExtension)")
        let manifest = archive + ".sha256"
        try Shell.run("find . -type f -print0 | sort -z | xargs -0 sha256sum > \"$MANIFEST\"", in: source, environment: ["MANIFEST": manifest])
        try Shell.run(kind.command, in: source, environment: ["OUT": archive])
        return BackupSet(directory: temp.path, source: source, archive: archive, manifest: manifest)
    }

    public init(directory: String, source: String, archive: String, manifest: String) {
        self.directory = directory
        self.source = source
        self.archive = archive
        self.manifest = manifest
    }

    /// A target for this backup set with generous objectives.
    public func target(
        name: String = "t", sample: SampleSpec = SampleSpec(size: .all), manifest useManifest: Bool = true,
        rpo: TimeSpan = TimeSpan(seconds: 86_400), rto: TimeSpan = TimeSpan(seconds: 3600),
        limits: RestoreLimits = RestoreLimits()
    ) -> Target {
        Target(
            name: name, tenant: "acme", archiveGlob: archive, manifestTemplate: useManifest ? "{archive}.sha256" : nil,
            rpo: rpo, rto: rto, sample: sample, limits: limits)
    }
}

extension TemporaryDirectory {
    /// A config with one target over `archive` (manifest `{archive}.sha256`), scratch and state in
    /// this directory; `defaults` is the flow-mapping body of `defaults:`.
    public func oneTargetConfig(archive: String, defaults: String = "rpo: 1d, rto: 1h", manifest: Bool = true) throws -> String {
        let manifestKey = manifest ? ", manifest: \"{archive}.sha256\"" : ""
        return try write(
            "rc.yaml",
            "scratch_dir: \(url("scratch"))\nstate_dir: \(url("state"))\ndefaults: { \(defaults) }\n"
                + "targets:\n  - { name: t, tenant: x, archives: \(archive)\(manifestKey) }\n")
    }
}
