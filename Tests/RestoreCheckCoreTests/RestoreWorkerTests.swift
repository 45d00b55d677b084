import Foundation
import RestoreCheckTestSupport
import Testing

@testable import RestoreCheckCore
@testable import RestoreCheckWorker

@Suite("Restore worker on archives made by real tools")
struct RestoreWorkerTests {
    @Test("every format and filter passes with a correct manifest", arguments: BackupSet.Kind.allCases)
    func formatPasses(kind: BackupSet.Kind) throws {
        let temp = TemporaryDirectory("fmt")
        let set = try BackupSet.make(kind, in: temp)
        let run = try WorkerHarness.run(archive: set.archive, manifest: set.manifest, scratchParent: temp)
        #expect(run.report.fatal == nil, "\(run.report.fatal.map { "\($0)" } ?? "")")
        #expect(run.report.findings.isEmpty, "\(run.report.findings)")
        #expect(run.report.verifiedAgainstManifest)
        #expect(run.report.filesVerified == BackupSet.defaultFiles.count)
        #expect(run.report.regularFiles == BackupSet.defaultFiles.count)
        let expectedBytes = BackupSet.defaultFiles.values.reduce(Int64(0)) { $0 + Int64($1.count) }
        #expect(run.report.bytesVerified == expectedBytes)
        #expect(run.report.totalFileBytes == expectedBytes)
        #expect(run.restored.contains("srv/share/Rechnungen Ünïcødé/rechnung-1.txt"))
    }

    @Test func flippedByteIsAChecksumMismatchNamingTheFile() async throws {
        try await Blocking.run {
            let temp = TemporaryDirectory("flip")
            let set = try BackupSet.make(.gnuTar, in: temp)
            var bytes = try Data(contentsOf: URL(fileURLWithPath: set.archive))
            let needle = Data("meeting at 10".utf8)
            let range = try #require(bytes.range(of: needle))
            bytes[range.lowerBound + 3] ^= 0x01
            try bytes.write(to: URL(fileURLWithPath: set.archive))

            let run = try WorkerHarness.run(archive: set.archive, manifest: set.manifest, scratchParent: temp)
            #expect(run.report.fatal == nil)
            let finding = try #require(run.report.findings.first)
            #expect(run.report.findings.count == 1)
            #expect(finding.reason == .checksumMismatch)
            #expect(finding.path == "home/alice/notes.txt")
            #expect(finding.expectedSHA256 != finding.actualSHA256)
            #expect(finding.actualSHA256?.count == 64)
            #expect(run.report.filesVerified == BackupSet.defaultFiles.count - 1)
        }
    }

    @Test("a truncated archive is archive_corrupt", arguments: [BackupSet.Kind.gnuTar, .gnuTarGzip, .gnuTarZstd, .zipDeflate, .sevenZip])
    func truncatedArchiveIsCorrupt(kind: BackupSet.Kind) throws {
        let temp = TemporaryDirectory("trunc")
        let set = try BackupSet.make(kind, in: temp)
        let size = try FileManager.default.attributesOfItem(atPath: set.archive)[.size] as! Int
        try Shell.run("truncate -s \(size / 2) \"$A\"", environment: ["A": set.archive])
        let run = try WorkerHarness.run(archive: set.archive, manifest: set.manifest, scratchParent: temp)
        #expect(run.report.reasons.contains(.archiveCorrupt), "\(run.report.findings) \(String(describing: run.report.fatal))")
        #expect(run.report.filesVerified < BackupSet.defaultFiles.count)
    }

    @Test func manifestEntryAbsentFromArchiveIsEntryMissing() async throws {
        try await Blocking.run {
            let temp = TemporaryDirectory("missing")
            let set = try BackupSet.make(.gnuTarGzip, in: temp)
            let extra = "\(String(repeating: "c", count: 64))  ./home/carol/thesis.docx\n"
            let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: set.manifest))
            handle.seekToEndOfFile()
            handle.write(Data(extra.utf8))
            try handle.close()
            let run = try WorkerHarness.run(archive: set.archive, manifest: set.manifest, sample: SampleSpec(size: .files(3)), scratchParent: temp)
            #expect(run.report.findings.map(\.reason) == [.entryMissing])
            #expect(run.report.findings.first?.path == "home/carol/thesis.docx")
            #expect(run.report.findings.first?.expectedSHA256 == String(repeating: "c", count: 64))
        }
    }

    /// A sampled pass measures creating a file warm after the pass, in a directory of its own that it
    /// removes (`RestorePass+Calibration`); a full pass, which projects nothing, does not.
    @Test func aSampledPassMeasuresWarmFileCreationAndLeavesNothingBehind() async throws {
        try await Blocking.run {
            let temp = TemporaryDirectory("calibrate")
            let set = try BackupSet.make(.gnuTarGzip, in: temp)
            let sampled = try WorkerHarness.run(archive: set.archive, manifest: set.manifest, sample: SampleSpec(size: .files(3)), scratchParent: temp)
            let warm = try #require(sampled.report.warmCreateSeconds)
            #expect(warm > 0 && warm < 0.01)
            #expect(sampled.restored.count == 3 && !sampled.restored.contains { $0.contains("calibration") }, "\(sampled.restored)")
            let full = try WorkerHarness.run(archive: set.archive, manifest: set.manifest, scratchParent: temp)
            #expect(full.report.warmCreateSeconds == nil)
        }
    }

    @Test func aMissingEntryListedTwiceIsReportedOnceAndFindingsAreSorted() async throws {
        try await Blocking.run {
            let temp = TemporaryDirectory("missing2")
            let set = try BackupSet.make(.gnuTar, in: temp)
            let extra = ["zz/last.txt", "./aa/first.txt", "zz/last.txt"].map { "\(String(repeating: "d", count: 64))  \($0)\n" }.joined()
            try Shell.run("printf '%s' \"$X\" >> \"$M\"", environment: ["X": extra, "M": set.manifest])
            let run = try WorkerHarness.run(archive: set.archive, manifest: set.manifest, scratchParent: temp)
            #expect(run.report.findings.map(\.path) == ["aa/first.txt", "zz/last.txt"])
            #expect(run.report.findings.allSatisfy { $0.reason == .entryMissing })
            #expect(run.report.filesVerified == BackupSet.defaultFiles.count)
        }
    }

    @Test func unsafeNamesAreFindingsAndNothingIsWrittenOutsideScratch() async throws {
        try await Blocking.run {
            let temp = TemporaryDirectory("unsafe")
            let archive = temp.url("hostile.tar")
            try Shell.run(
                """
                python3 - "$OUT" <<'PY'
                import io, sys, tarfile
                with tarfile.open(sys.argv[1], "w") as t:
                    for name in ["../../escaped-rc-test", "/tmp/escaped-rc-test-abs", "ok.txt"]:
                        data = b"payload"
                        info = tarfile.TarInfo(name); info.size = len(data)
                        t.addfile(info, io.BytesIO(data))
                PY
                """, environment: ["OUT": archive])
            let before = temp.listing()
            let run = try WorkerHarness.run(archive: archive, manifest: nil, scratchParent: temp)
            let unsafe = run.report.findings.filter { $0.reason == .unsafeEntry }
            #expect(Set(unsafe.map(\.path)) == ["../../escaped-rc-test"])
            // GNU tar (`tar -P` writes such names) and unzip strip a leading '/' and restore below the
            // target: so does restorecheck, inside scratch, with a note.
            #expect(run.report.filesVerified == 2, "the safe entry and the stripped absolute one are verified")
            #expect(run.report.rootStrippedNames == 1)
            #expect(run.restored == ["ok.txt", "tmp/escaped-rc-test-abs"])
            #expect(!FileManager.default.fileExists(atPath: "/tmp/escaped-rc-test-abs"))
            #expect(!FileManager.default.fileExists(atPath: temp.url("escaped-rc-test")))
            #expect(temp.listing().filter { !$0.hasPrefix("scratch") } == before.filter { !$0.hasPrefix("scratch") })
        }
    }

    @Test func sparseFileCountsLogicalSizeAndVerifies() async throws {
        try await Blocking.run {
            let temp = TemporaryDirectory("sparse")
            let source = temp.url("src")
            try Shell.run(
                """
                mkdir -p "$S" && cd "$S"
                truncate -s 64M disk.img && printf 'boot' | dd of=disk.img bs=1 seek=1048576 conv=notrunc status=none
                printf 'end' | dd of=disk.img bs=1 seek=60000000 conv=notrunc status=none
                sha256sum disk.img > "$T/sparse.tar.sha256"
                tar -S -cf "$T/sparse.tar" disk.img
                """, environment: ["S": source, "T": temp.path])
            let run = try WorkerHarness.run(archive: temp.url("sparse.tar"), manifest: temp.url("sparse.tar.sha256"), scratchParent: temp)
            #expect(run.report.findings.isEmpty, "\(run.report.findings)")
            #expect(run.report.filesVerified == 1)
            #expect(run.report.bytesVerified == 64 << 20)
            let archiveSize = try FileManager.default.attributesOfItem(atPath: temp.url("sparse.tar"))[.size] as! Int
            #expect(archiveSize < 1 << 20, "GNU tar stored it sparse")
        }
    }

    @Test("long names", arguments: [BackupSet.Kind.gnuTar, .bsdtarPax, .zipDeflate, .sevenZip])
    func longNames(kind: BackupSet.Kind) throws {
        let temp = TemporaryDirectory("long")
        let deep = (0..<6).map { "directory-level-\($0)-\(String(repeating: "n", count: 40))" }.joined(separator: "/")
        let files = ["\(deep)/\(String(repeating: "f", count: 200)).txt": Data("deep\n".utf8), "short": Data("s".utf8)]
        let set = try BackupSet.make(kind, in: temp, files: files)
        let run = try WorkerHarness.run(archive: set.archive, manifest: set.manifest, scratchParent: temp)
        #expect(run.report.findings.isEmpty, "\(run.report.findings)")
        #expect(run.report.filesVerified == 2)
    }

    @Test func duplicateNamesVerifyTheLastCopyAndAreReported() async throws {
        try await Blocking.run {
            let temp = TemporaryDirectory("dup")
            try Shell.run(
                """
                mkdir -p src && cd src
                echo first > a.txt && tar -cf ../dup.tar a.txt
                echo second > a.txt && tar -rf ../dup.tar a.txt
                sha256sum a.txt > ../dup.tar.sha256
                """, in: temp.path)
            let run = try WorkerHarness.run(archive: temp.url("dup.tar"), manifest: temp.url("dup.tar.sha256"), scratchParent: temp)
            #expect(run.report.findings.isEmpty, "the last copy matches the manifest: \(run.report.findings)")
            #expect(run.report.duplicateNames == ["a.txt"])
            #expect(run.report.filesVerified == 1)
        }
    }

    @Test func integrityOnlyWithoutManifest() async throws {
        try await Blocking.run {
            let temp = TemporaryDirectory("integ")
            let set = try BackupSet.make(.zipDeflate, in: temp)
            let run = try WorkerHarness.run(archive: set.archive, manifest: nil, scratchParent: temp)
            #expect(!run.report.verifiedAgainstManifest)
            #expect(run.report.findings.isEmpty)
            #expect(run.report.filesVerified == BackupSet.defaultFiles.count)
        }
    }

    @Test func zipCRCErrorIsCaughtWithoutAManifest() async throws {
        try await Blocking.run {
            let temp = TemporaryDirectory("crc")
            let set = try BackupSet.make(.zipStored, in: temp)
            var bytes = try Data(contentsOf: URL(fileURLWithPath: set.archive))
            let range = try #require(bytes.range(of: Data("meeting at 10".utf8)))
            bytes[range.lowerBound] ^= 0x20
            try bytes.write(to: URL(fileURLWithPath: set.archive))
            let run = try WorkerHarness.run(archive: set.archive, manifest: nil, scratchParent: temp)
            let finding = try #require(run.report.findings.first)
            #expect(finding.reason == .archiveCorrupt)
            #expect(finding.path == "home/alice/notes.txt")
            #expect(finding.detail?.lowercased().contains("crc") == true, "\(finding.detail ?? "")")
        }
    }

    @Test("encrypted entries are never a pass", arguments: ["zip -q -P secret \"$OUT\" secret.txt", "7z a -bd -psecret \"$OUT\" secret.txt >/dev/null"])
    func encryptedEntries(command: String) throws {
        let temp = TemporaryDirectory("enc")
        try temp.write("src/secret.txt", "top secret\n")
        let out = temp.url(command.hasPrefix("zip") ? "enc.zip" : "enc.7z")
        try Shell.run("sha256sum secret.txt > \"$OUT.sha256\"; \(command)", in: temp.url("src"), environment: ["OUT": out])
        let run = try WorkerHarness.run(archive: out, manifest: out + ".sha256", scratchParent: temp)
        #expect(run.report.reasons.contains(.encryptedEntry), "\(run.report.findings) \(String(describing: run.report.fatal))")
        #expect(run.report.filesVerified == 0)
    }

    @Test func sampleOfFilesRestoresExactlyThatManyAndIncludes() async throws {
        try await Blocking.run {
            let temp = TemporaryDirectory("sample")
            let set = try BackupSet.make(.gnuTarGzip, in: temp)
            let run = try WorkerHarness.run(
                archive: set.archive, manifest: set.manifest,
                sample: SampleSpec(size: .files(5), include: ["./etc/hostname"]), seed: 99, scratchParent: temp)
            #expect(run.report.filesVerified == 6)
            #expect(run.restored.count == 6)
            #expect(run.restored.contains("etc/hostname"))
            #expect(run.report.filesRestoredAll == 6, "with a manifest the sample is drawn up front: nothing restored, then dropped")
            let again = try WorkerHarness.run(
                archive: set.archive, manifest: set.manifest,
                sample: SampleSpec(size: .files(5), include: ["./etc/hostname"]), seed: 99, scratchParent: temp)
            #expect(again.restored == run.restored, "the same seed picks the same files")
            let other = try WorkerHarness.run(
                archive: set.archive, manifest: set.manifest,
                sample: SampleSpec(size: .files(5), include: ["./etc/hostname"]), seed: 100, scratchParent: temp)
            #expect(other.restored != run.restored, "another seed picks other files")
        }
    }

    @Test func withoutAManifestTheReservoirDropsDisplacedFiles() async throws {
        try await Blocking.run {
            let temp = TemporaryDirectory("reservoir")
            let files = Dictionary(uniqueKeysWithValues: (0..<40).map { ("f\($0).txt", Data("content \($0)\n".utf8)) })
            let set = try BackupSet.make(.gnuTarGzip, in: temp, files: files)
            let run = try WorkerHarness.run(archive: set.archive, manifest: nil, sample: SampleSpec(size: .files(5)), seed: 7, scratchParent: temp)
            #expect(run.report.filesVerified == 5)
            #expect(run.restored.count == 5, "files dropped from the reservoir are deleted: \(run.restored)")
            #expect(run.report.filesRestoredAll > 5, "a stream is sampled in one pass, restoring early files it later drops")
        }
    }

    @Test("a duplicate name's last copy decides, whichever copy is damaged", arguments: [false, true])
    func lastCopyOfADuplicateDecides(lastIsGood: Bool) throws {
        let temp = TemporaryDirectory("dup2")
        let (first, last) = lastIsGood ? ("damaged", "good") : ("good", "damaged")
        try Shell.run(
            """
            mkdir -p src && cd src
            echo good > a.txt && sha256sum a.txt > ../dup.tar.sha256
            echo other > b.txt && sha256sum b.txt >> ../dup.tar.sha256
            echo \(first) > a.txt && tar -cf ../dup.tar a.txt b.txt
            echo \(last) > a.txt && tar -rf ../dup.tar a.txt
            """, in: temp.path)
        for sample in [SampleSpec(size: .all), SampleSpec(size: .files(2)), SampleSpec(size: .percent(100))] {
            let run = try WorkerHarness.run(archive: temp.url("dup.tar"), manifest: temp.url("dup.tar.sha256"), sample: sample, scratchParent: temp)
            #expect(run.report.duplicateNames == ["a.txt"])
            if lastIsGood {
                #expect(run.report.findings.isEmpty, "\(sample): \(run.report.findings)")
                #expect(run.report.filesVerified == 2, "\(sample)")
            } else {
                #expect(run.report.findings.map(\.reason) == [.checksumMismatch], "\(sample)")
                #expect(run.report.filesVerified == 1, "\(sample): the earlier good copy no longer counts")
                #expect(run.report.bytesVerified == 6, "\(sample): only b.txt")
            }
        }
    }

    @Test func unparsableManifestIsReportedWithItsLine() async throws {
        try await Blocking.run {
            let temp = TemporaryDirectory("badman")
            let set = try BackupSet.make(.gnuTar, in: temp)
            try "garbage line\n".write(toFile: set.manifest, atomically: true, encoding: .utf8)
            let run = try WorkerHarness.run(archive: set.archive, manifest: set.manifest, scratchParent: temp)
            #expect(run.report.manifestError?.contains("\(set.manifest):1:") == true)
            #expect(!run.report.verifiedAgainstManifest)
            #expect(run.report.filesVerified == BackupSet.defaultFiles.count, "still verified for integrity")
        }
    }

    @Test func symlinksAndHardlinksAreRecordedNeverCreated() async throws {
        try await Blocking.run {
            let temp = TemporaryDirectory("links")
            try Shell.run(
                """
                mkdir -p src && cd src && echo data > real.txt && ln -s /etc/passwd passwd-link && ln real.txt hard.txt
                sha256sum real.txt hard.txt > ../links.tar.sha256 && tar -cf ../links.tar real.txt passwd-link hard.txt
                """, in: temp.path)
            let run = try WorkerHarness.run(archive: temp.url("links.tar"), manifest: temp.url("links.tar.sha256"), scratchParent: temp)
            #expect(run.report.findings.isEmpty, "\(run.report.findings)")
            #expect(run.report.linksRecorded == 2)
            // One verdict for the hard link: verified against its target's restored, matching data.
            #expect(run.report.filesVerified == 2, "real.txt and hard.txt (through its group's data)")
            #expect(run.restored == ["real.txt"], "links are never created")
        }
    }

    @Test func decompressionBombHitsTheRatioLimit() async throws {
        try await Blocking.run {
            let temp = TemporaryDirectory("bomb")
            try Shell.run("truncate -s 1G zeros && tar -cf - zeros | zstd -q -19 -o bomb.tar.zst && rm zeros", in: temp.path)
            var limits = RestoreLimits()
            limits.maxRatio = 100
            let run = try WorkerHarness.run(archive: temp.url("bomb.tar.zst"), manifest: nil, limits: limits, scratchParent: temp)
            #expect(run.report.fatal?.reason == .limitExceeded)
            #expect(run.report.fatal?.detail?.contains("ratio") == true)
            #expect(run.report.bytesRestoredAll < 512 << 20, "stopped long before the end")
        }
    }

    @Test func aLimitHitMidFileLeavesNoRestoredFileOpen() async throws {
        try await Blocking.run {
            let temp = TemporaryDirectory("cut")
            let set = try BackupSet.make(.gnuTar, in: temp, files: ["big.bin": Data(repeating: 9, count: 4 << 20)])
            var limits = RestoreLimits()
            limits.maxBytes = 1 << 20
            let run = try WorkerHarness.run(archive: set.archive, manifest: set.manifest, limits: limits, scratchParent: temp)
            #expect(run.report.fatal?.reason == .limitExceeded)
            // The harness runs the worker in this process: any descriptor it left open is visible here.
            let fds = (try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/fd")) ?? []
            let intoScratch = fds.compactMap { try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/fd/\($0)") }
                .filter { $0.hasPrefix(URL(fileURLWithPath: temp.url("scratch")).standardizedFileURL.path) }
            #expect(intoScratch.isEmpty, "still open: \(intoScratch)")
        }
    }

    @Test func everyMismatchIsCountedOnceNeverAlsoAsVerified() async throws {
        try await Blocking.run {
            // Many tiny files whose digests come back from the sink thread at once: each must end up
            // either verified or a finding, never both (a race here once counted a mismatch twice).
            let temp = TemporaryDirectory("once")
            let files = Dictionary(uniqueKeysWithValues: (0..<60).map { ("f\($0).txt", Data("content \($0)\n".utf8)) })
            let set = try BackupSet.make(.gnuTar, in: temp, files: files)
            try Shell.run("sed -i 's/^f/e/;t;s/^./f/' \"$M\"", environment: ["M": set.manifest])  // every first digit changed
            for _ in 0..<20 {  // a race shows in some runs only; against the buggy code ~1 run in 3 failed
                let run = try WorkerHarness.run(archive: set.archive, manifest: set.manifest, scratchParent: temp)
                #expect(run.report.filesVerified == 0)
                #expect(run.report.findings.count == 60)
                #expect(Set(run.report.findings.map(\.reason)) == [.checksumMismatch])
            }
        }
    }
}
