import Foundation
import RestoreCheckTestSupport
import Testing

@testable import RestoreCheckCore
@testable import RestoreCheckWorker

/// Ransomware that encrypted the source before the backup ran: the manifest is taken of the
/// ciphertext, every checksum matches, and until the content check the test passed. Real files made
/// by real tools (`Tests/ContentFiles/make_office_files.sh`), encrypted by `openssl enc`.
@Suite("Content checks")
struct ContentCheckTests {
    static let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("ContentFiles/make_office_files.sh").path

    /// `office/` (the real files) and `enc/` (each encrypted under its name, `+.locky`, `+.x7k2q9`),
    /// archived by GNU tar with a manifest taken after the encryption.
    static func officeBackups(_ temp: TemporaryDirectory) throws -> (clean: String, hit: String) {
        try Shell.run("bash \"$SCRIPT\" \"$PWD\"", in: temp.path, environment: ["SCRIPT": script])
        try Shell.run(
            """
            printf 'Your files are encrypted. Pay 2 BTC.\\n' > enc/@Please_Read_Me@.txt
            (cd office && find . -type f | sort | xargs sha256sum) > clean.tar.sha256 && tar -C office -cf clean.tar .
            find office enc -type f | sort | xargs sha256sum > hit.tar.sha256 && tar -cf hit.tar office enc
            """, in: temp.path)
        return (temp.url("clean.tar"), temp.url("hit.tar"))
    }

    static func check(_ archive: String, _ mode: CheckMode, sample: SampleSpec.Size = .all, in temp: TemporaryDirectory) async throws -> Outcome {
        try await ArchiveCheck.run(archive, sample: SampleSpec(size: sample), seed: 7, in: temp) { $0.contentChecks = mode }
    }

    @Test func encryptedBeforeTheBackupPassedTodayAndFailsWithContentChecks() async throws {
        let temp = TemporaryDirectory("content-office")
        let (clean, hit) = try await Blocking.run { try Self.officeBackups(temp) }
        let originals = try FileManager.default.contentsOfDirectory(atPath: temp.url("office")).sorted()
        #expect(originals.count == 9)

        // No false positive on the real files.
        let cleanOutcome = try await Self.check(clean, .fail, in: temp)
        #expect(cleanOutcome.status == .passed, "\(cleanOutcome.findings)")
        #expect(cleanOutcome.filesVerified == 9)

        // Today's behaviour (content_checks: off): every checksum matches the ciphertext, so it passes.
        let blind = try await Self.check(hit, .off, in: temp)
        #expect(blind.status == .passed, "\(blind.findings)")
        #expect(blind.filesVerified == 9 + 27 + 1)

        let outcome = try await Self.check(hit, .fail, in: temp)
        #expect(outcome.status == .failed)
        #expect(outcome.reasons == [.suspiciousContent])
        let flagged = Set(outcome.findings.map(\.path))
        let encrypted = originals.flatMap { ["enc/\($0)", "enc/\($0).locky", "enc/\($0).x7k2q9"] }
        #expect(flagged == Set(encrypted + ["enc/@Please_Read_Me@.txt"]), "every encrypted copy and the note, no original")
        #expect(outcome.filesVerified == 9 + 27 + 1, "the bytes still match the manifest: the files are counted as restored")
        let byPath = Dictionary(grouping: outcome.findings, by: \.path)
        #expect(byPath["enc/letter.txt"]?.first?.detail?.hasPrefix("a text file whose bytes are random-like (entropy ") == true)
        #expect(byPath["enc/report.pdf"]?.first?.detail?.hasPrefix("named as PDF but starts with no known file signature") == true)
        #expect(byPath["enc/budget.xlsx.x7k2q9"]?.first?.detail?.contains("named as Office Open XML") == true,
                "an unknown appended extension: the original one decides")
        #expect(byPath["enc/libz.so.locky"]?.contains { $0.detail?.contains("'.locky' is an extension known ransomware appends") == true } == true)
        #expect(byPath["enc/@Please_Read_Me@.txt"]?.first?.detail == "'@please_read_me@.txt' is the name of a known ransom note")

        // `warn`: recorded as notes, the verdict untouched.
        let warned = try await Self.check(hit, .warn, in: temp)
        #expect(warned.status == .passed)
        #expect(warned.findings.isEmpty)
        #expect(warned.notes.contains { $0.hasPrefix("suspicious content (content_checks: warn): enc/") })
        #expect(outcome.findings.count == 9 * 4 + 1, "a .locky copy is flagged twice: by its name and by its bytes")
        #expect(warned.notes.contains("\(outcome.findings.count - 20) more suspicious file(s) (content_checks: warn)"), "\(warned.notes)")
    }

    @Test func ransomNoteNamesAreFoundAmongFilesNotSampled() async throws {
        let temp = TemporaryDirectory("content-note")
        var files = BackupSet.defaultFiles
        files["srv/share/Restore-My-Files.txt"] = Data("All your files are encrypted by LockBit.\n".utf8)
        let set = try BackupSet.make(.gnuTarGzip, in: temp, files: files)
        let outcome = try await Self.check(set.archive, .fail, sample: .files(1), in: temp)
        #expect(outcome.filesVerified == 1)
        #expect(outcome.reasons == [.suspiciousContent])
        #expect(outcome.findings.map(\.path) == ["srv/share/Restore-My-Files.txt"])
        // The default tree (text, an empty file, a JPEG-headed photo, a log) on its own raises nothing.
        let cleanSet = try BackupSet.make(.zipDeflate, in: temp, name: "clean")
        #expect(try await Self.check(cleanSet.archive, .fail, in: temp).status == .passed)
    }

    /// Volumes of split archives start mid-stream and a self-extractor starts with its stub: random
    /// bytes without a signature at the start, and no ransomware's work.
    @Test func splitArchivesAndSelfExtractorsAreNotSuspicious() async throws {
        let temp = TemporaryDirectory("content-split")
        try Shell.run(
            """
            mkdir -p src && head -c 300000 /dev/urandom > payload.bin
            (cd src && zip -q -0 -s 64k split.zip ../payload.bin && 7z a -bd -bso0 -v64k vol.7z ../payload.bin >/dev/null)
            zip -q -0 plain.zip payload.bin && cat /bin/true plain.zip > src/installer.zip && zip -q -A src/installer.zip
            (cd src && find . -type f | sort | xargs sha256sum) > set.tar.sha256 && tar -C src -cf set.tar .
            ls src
            """, in: temp.path)
        let listing = try FileManager.default.contentsOfDirectory(atPath: temp.url("src"))
        #expect(listing.contains("split.z01") && listing.contains("split.zip") && listing.contains("vol.7z.002"), "\(listing)")
        let outcome = try await Self.check(temp.url("set.tar"), .fail, in: temp)
        #expect(outcome.status == .passed, "\(outcome.findings)")
        #expect(outcome.filesVerified == listing.count)
    }

    /// Healthy compressed files named after their inner type were "text that looks random": the
    /// unknown last extension let the one before it judge. Each file here is made by its real tool;
    /// the same JavaScript encrypted in place under its own name still fails.
    @Test func compressedFilesAreNotJudgedAsTheirInnerType() async throws {
        let temp = TemporaryDirectory("content-compressed")
        try await Blocking.run {
            try Shell.run(
                """
                mkdir -p src && cp /usr/share/common-licenses/GPL-3 gpl.js && cat gpl.js gpl.js > dump.sql
                brotli -c gpl.js > src/x.js.br && brotli -c gpl.js > src/jquery.min.js.brotli
                lzip -c dump.sql > src/dump.sql.lz && xz --format=lzma -c dump.sql > src/dump.sql.lzma
                bzip3 -c dump.sql > src/dump.sql.bz3 && lz4 -q -c dump.sql > src/dump.sql.lz4 && lzop -c dump.sql > src/dump.sql.lzo
                (cd src && find . -type f | sort | xargs sha256sum) > set.tar.sha256 && tar -C src -cf set.tar .
                """, in: temp.path)
        }
        let outcome = try await Self.check(temp.url("set.tar"), .fail, in: temp)
        #expect(outcome.status == .passed, "\(outcome.findings)")
        #expect(outcome.filesVerified == 7)

        try await Blocking.run {
            try Shell.run(
                """
                openssl enc -aes-256-cbc -nosalt -pbkdf2 -pass pass:x -in gpl.js -out src/app.js
                (cd src && find . -type f | sort | xargs sha256sum) > set.tar.sha256 && tar -C src -cf set.tar .
                """, in: temp.path)
        }
        let encrypted = try await Self.check(temp.url("set.tar"), .fail, in: temp)
        #expect(encrypted.reasons == [.suspiciousContent], "\(encrypted.findings)")
        #expect(encrypted.findings.map(\.path) == ["app.js"])
    }

    @Test func whatANamePromises() {
        func of(_ name: String) -> ContentExpectation {
            guard case .success(let entry) = EntryName.validate(Array(name.utf8)) else { return .unchecked }
            return ContentExpectation.of(entry)
        }
        #expect(of("a/notes.TXT") == .text)
        #expect(of("a/photo.JPG") == .structured("JPEG"))
        #expect(of("report.docx.a1b2c3") == .structured("Office Open XML"), "unknown appended extension: the original decides")
        #expect(of("notes.txt.gpg") == .unchecked, "a known last extension decides: ciphertext by design")
        #expect(of("msgstore.db.crypt14") == .unchecked, "WhatsApp's numbered crypt extensions")
        #expect(of("song.mp3") == .unchecked)
        #expect(of("README") == .unchecked)
        #expect(of(".bashrc") == .unchecked, "a dot file has no extension")
        #expect(of("dir.d/file") == .unchecked, "a dot in a directory name is not an extension")
        #expect(of("backup.7z.002") == .unchecked && of("photos.z01") == .unchecked && of("disk.r00") == .unchecked, "split volumes")
    }

    @Test func ransomwareNamesAreSpecific() {
        func match(_ name: String) -> RansomwareNames.Match? {
            guard case .success(let entry) = EntryName.validate(Array(name.utf8)) else { return nil }
            return RansomwareNames.match(entry)
        }
        #expect(match("home/a/HOW TO RESTORE YOUR FILES.TXT") == .note("how to restore your files.txt"))
        #expect(match("x/report.pdf.LockBit") == .encryptedExtension("lockbit"))
        #expect(match("readme.txt") == nil && match("photo.jpg.encrypted") == nil && match("msgstore.db.crypt14") == nil,
                "generic names real servers hold are left out")
        #expect(match("locky") == nil, "a bare name is not an extension")
    }

    /// Deflate output is as uniform as ciphertext: neither entropy nor chi-square tells them apart, so
    /// the signature is what keeps a real gzip from counting.
    @Test func compressedDataIsRandomLikeSoTheSignatureDecides() async throws {
        try await Blocking.run {
            let temp = TemporaryDirectory("content-stats")
            try Shell.run("gzip -c /usr/share/common-licenses/GPL-3 > g.gz && head -c 4096 /usr/share/common-licenses/GPL-3 > t.txt", in: temp.path)
            let gzip = [UInt8](try Data(contentsOf: URL(fileURLWithPath: temp.url("g.gz"))))
            let text = [UInt8](try Data(contentsOf: URL(fileURLWithPath: temp.url("t.txt"))))
            #expect(ContentRule.isRandomLike(statistics(gzip)))
            #expect(!ContentRule.isRandomLike(statistics(text)))
            #expect(statistics(text).entropy < 5)
            #expect(ContentRule.judge(.structured("gzip"), size: Int64(gzip.count), head: gzip[...], statistics: { statistics(gzip) }) == nil)
            #expect(ContentRule.judge(.text, size: Int64(gzip.count), head: gzip[...], statistics: { statistics(gzip) }) != nil)
            let headless = Array(gzip.dropFirst(16))
            #expect(ContentRule.judge(.structured("gzip"), size: Int64(headless.count), head: headless[...], statistics: { statistics(headless) }) != nil)
            #expect(ContentRule.judge(.text, size: 1023, head: gzip.prefix(1023), statistics: { statistics(Array(gzip.prefix(1023))) }) == nil,
                    "under 1 KiB: skipped")
        }
    }

    /// 1 KiB of uniform bytes has a plain entropy estimate near 7.82 bits (the estimate is biased low
    /// on small samples); with the Miller-Madow correction it clears 7.95.
    @Test func smallUniformSamplesAreRandomLikeAfterTheCorrection() {
        var state: UInt64 = 0x9E37_79B9_7F4A_7C15
        let bytes = (0..<2048).map { _ -> UInt8 in
            state ^= state << 13
            state ^= state >> 7
            state ^= state << 17
            return UInt8(truncatingIfNeeded: state >> 32)
        }
        let measured = statistics(bytes)
        #expect(measured.sampled == 2048)
        #expect(measured.entropy > 7.95 && measured.entropy < 8.05, "\(measured)")
        #expect(measured.chiSquare < ContentRule.chiSquareThreshold)
        let counts = (0..<256).map { (value: Int) in bytes.filter { Int($0) == value }.count }
        let plain = -counts.filter { $0 > 0 }.map { Double($0) / 2048 }.map { $0 * log2($0) }.reduce(0, +)
        #expect(plain < 7.95, "without the correction the same bytes would miss: \(plain)")
    }

    @Test func signaturesOfRealToolsOutput() async throws {
        try await Blocking.run {
            let temp = TemporaryDirectory("content-signatures")
            try Shell.run(
                """
                head -c 3000 /usr/share/common-licenses/GPL-3 > t
                gzip -c t > t.gz; xz -c t > t.xz; zstd -q -c t > t.zst; pzstd -q -c t > t.pzst; bzip2 -c t > t.bz2
                zip -q t.zip t; 7z a -bd -bso0 t.7z t >/dev/null; sqlite3 t.sqlite 'create table x(y)'; cp /bin/ls t.elf
                (printf 'junk before the header\\n'; printf '%%PDF-1.7\\n') > t.pdf
                lzip -c t > t.lz; bzip3 -c t > t.bz3; xz --format=lzma -c t > t.lzma; xz --format=lzma -1 -c t > t1.lzma
                lz4 -q -c t > t.lz4; lzop -c t > t.lzo
                """, in: temp.path)
            let expected: [(String, FileSignature)] = [
                ("t.gz", .gzip), ("t.xz", .xz), ("t.zst", .zstd), ("t.pzst", .zstd), ("t.bz2", .bzip2), ("t.zip", .zip),
                ("t.7z", .sevenZip), ("t.sqlite", .sqlite), ("t.elf", .elf), ("t.pdf", .pdf), ("t.lz", .lzip), ("t.bz3", .bzip3),
                ("t.lzma", .lzmaAlone), ("t1.lzma", .lzmaAlone), ("t.lz4", .lz4), ("t.lzo", .lzop),
            ]
            for (file, signature) in expected {
                let head = [UInt8](try Data(contentsOf: URL(fileURLWithPath: temp.url(file))).prefix(ContentInspector.headSize))
                #expect(FileSignature.matches(head[...]) == signature, "\(file)")
            }
            #expect(FileSignature.matches(Array("Salted__12345678".utf8)[...]) == nil, "openssl enc's header is no file format")
        }
    }

    private func statistics(_ bytes: [UInt8]) -> ByteStatistics {
        var histogram = ByteHistogram()
        bytes.withUnsafeBytes { histogram.add($0) }
        return ByteStatistics(counts: histogram.counts)
    }
}
