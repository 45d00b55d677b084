import Foundation
import RestoreCheckTestSupport
import Testing

@testable import RestoreCheckCore
@testable import RestoreCheckWorker

/// Archives from customer machines may be hostile. Every case runs through the spawned worker (a
/// parser crash is then `worker_crashed`, not a dead test runner) and asserts the same three things:
/// nothing outside scratch was touched, scratch is gone afterwards, and the outcome is honest.
@Suite("Hostile archives: nothing escapes, nothing is lost")
struct HostileArchiveTests {
    struct Setup {
        let temp: TemporaryDirectory
        let sentinel: String
        let runner: CheckRunner

        init(_ label: String) throws {
            temp = TemporaryDirectory(label)
            sentinel = temp.url("sentinel")
            try FileManager.default.createDirectory(atPath: sentinel, withIntermediateDirectories: true)
            try temp.write("sentinel/keep.txt", "precious\n")
            runner = CheckRunner(scratchBase: temp.url("scratch"), supervisor: WorkerSupervisor(executable: BuiltBinary.path))
        }

        func target(_ archive: String, limits: RestoreLimits = RestoreLimits(), manifest: Bool = false) -> Target {
            Target(
                name: "hostile", tenant: "x", archiveGlob: archive, manifestTemplate: manifest ? "{archive}.sha256" : nil,
                rpo: TimeSpan(seconds: 86_400), rto: TimeSpan(seconds: 86_400), sample: SampleSpec(size: .all), limits: limits)
        }

        /// The invariants every hostile case shares.
        func expectContained(_ sourceLocation: SourceLocation = #_sourceLocation) throws {
            #expect(try FileManager.default.contentsOfDirectory(atPath: sentinel) == ["keep.txt"], sourceLocation: sourceLocation)
            #expect(try String(contentsOfFile: "\(sentinel)/keep.txt", encoding: .utf8) == "precious\n", sourceLocation: sourceLocation)
            #expect(temp.listing().filter { $0.hasPrefix("scratch/") }.isEmpty, "scratch left behind", sourceLocation: sourceLocation)
            let escaped = temp.listing().filter { $0.contains("escaped") || $0.contains("through") || $0.contains("outside") }
            #expect(escaped.isEmpty, "written outside scratch: \(escaped)", sourceLocation: sourceLocation)
            #expect(!FileManager.default.fileExists(atPath: "/outside"), sourceLocation: sourceLocation)
        }
    }

    @Test("path traversal in every format and filter", arguments: HostileArchive.Container.allCases)
    func traversal(container: HostileArchive.Container) async throws {
        let setup = try Setup("trav")
        let archive = try HostileArchive.make(.traversal, container, sentinel: setup.sentinel, in: setup.temp)
        let outcome = try #require(await setup.runner.check(setup.target(archive), seed: 1))
        try setup.expectContained()
        #expect(outcome.status == .failed)
        #expect(outcome.reasons == [.unsafeEntry], "\(outcome.reasons): \(outcome.summary)")
        let unsafe = outcome.findings.filter { $0.reason == .unsafeEntry }.map(\.path)
        #expect(unsafe.count == 4, "every name with '..' or too long is reported: \(unsafe)")
        #expect(!unsafe.contains { $0.hasSuffix("escaped-absolute") }, "a leading '/' is stripped, as tar does: \(unsafe)")
        #expect(outcome.filesVerified == 2, "the safe entry and the stripped absolute one are verified")
        #expect(outcome.notes.contains { $0.contains("1 entry name(s) began with '/'") }, "\(outcome.notes)")
    }

    @Test("symlinks to / and outside, then files through them", arguments: HostileArchive.Container.allCases)
    func symlinkThenFile(container: HostileArchive.Container) async throws {
        let setup = try Setup("sym")
        let archive = try HostileArchive.make(.symlink, container, sentinel: setup.sentinel, in: setup.temp)
        let outcome = try #require(await setup.runner.check(setup.target(archive), seed: 1))
        try setup.expectContained()
        // The links are recorded, never created; a real restore refuses the files "through" them
        // (bsdtar: "Cannot extract through symlink"), so they are unsafe, and the rest is verified.
        #expect(outcome.status == .failed, "\(outcome.reasons): \(outcome.summary)")
        #expect(outcome.reasons == [.unsafeEntry], "\(outcome.reasons)")
        let through = outcome.findings.filter { $0.reason == .unsafeEntry }.map(\.path).sorted()
        #expect(through.count == 2 && through.allSatisfy { $0.contains("through") }, "\(through)")
        #expect(outcome.filesVerified == 1)
        #expect(outcome.notes.contains { $0.contains("2 link(s)") }, "\(outcome.notes)")
    }

    @Test("hardlinks to absolute paths, outside the tree, and carrying data", arguments: [HostileArchive.Container.tar, .tarGzip, .cpio, .zip, .sevenZip])
    func hardlinks(container: HostileArchive.Container) async throws {
        let setup = try Setup("hard")
        let passwd = try String(contentsOfFile: "/etc/passwd", encoding: .utf8)
        let archive = try HostileArchive.make(.hardlink, container, sentinel: setup.sentinel, in: setup.temp)
        let outcome = try #require(await setup.runner.check(setup.target(archive), seed: 1))
        try setup.expectContained()
        #expect(try String(contentsOfFile: "/etc/passwd", encoding: .utf8) == passwd)
        #expect(outcome.status != .error, "\(outcome.summary)")
        #expect(!outcome.reasons.contains(.workerCrashed))
        if container == .tar || container == .tarGzip {
            // Only tar keeps these links through the conversion (bsdtar re-encodes them as plain
            // entries for the other formats). A target that is absolute or leaves the tree is refused
            // as a real restore refuses it; a link to a name that comes later cannot be made.
            let byPath = Dictionary(outcome.findings.map { ($0.path, $0.reason) }, uniquingKeysWith: { first, _ in first })
            #expect(byPath["hard-abs"] == .unsafeEntry, "\(outcome.findings)")
            #expect(byPath["hard-out"] == .unsafeEntry, "\(outcome.findings)")
            #expect(byPath["hard-with-data"] == .entryMissing, "\(outcome.findings)")
            // The hard link that carries data leaves 8 bytes where a header belongs: bsdtar says
            // "Damaged tar archive", GNU tar "Skipping to next header". Damage, as they say.
            #expect(outcome.reasons == [.archiveCorrupt, .entryMissing, .unsafeEntry])
        }
    }

    @Test func devicesFIFOsAndSetuidAreNeverCreated() async throws {
        try await Blocking.run {
            let setup = try Setup("special")
            let archive = try HostileArchive.make(.special, .tar, sentinel: setup.sentinel, in: setup.temp)
            // In-process, to look at what lands in scratch before it is removed.
            let run = try WorkerHarness.run(archive: archive, manifest: nil, scratchParent: setup.temp)
            #expect(run.restored == ["safe.txt", "setgid", "setuid-root"])
            #expect(run.report.specialEntriesSkipped == 3)
            #expect(run.modes.values.allSatisfy { $0 & 0o7777 == 0o600 }, "modes are never restored: \(run.modes)")
            try setup.expectContained()
        }
    }

    @Test func namesThatAreNotUTF8AreRestoredAsBytes() async throws {
        let setup = try Setup("nonutf8")
        let archive = try HostileArchive.make(.nonutf8, .tar, sentinel: setup.sentinel, in: setup.temp)
        let run = try WorkerHarness.run(archive: archive, manifest: nil, scratchParent: setup.temp)
        #expect(run.report.findings.isEmpty, "\(run.report.findings)")
        #expect(run.report.filesVerified == 2)
        // And through the spawned worker and the parent's clean-up: the Latin-1 name goes too.
        let outcome = try #require(await setup.runner.check(setup.target(archive), seed: 1))
        #expect(outcome.status == .passed, "\(outcome.summary)")
        try setup.expectContained()
    }

    /// 1 GiB of zeros under each filter, made once for the whole suite (generation takes ~40 s). A
    /// failure to make them is each using test's failure (`try bombs.get()`), never a crash of the run.
    static let bombs = Result { () throws -> [String: String] in
        let directory = TemporaryDirectory("bombs")
        var paths: [String: String] = [:]
        let commands = ["gzip": "gzip -1", "bzip2": "bzip2 -1", "xz": "xz -0 -T2", "zstd": "zstd -1 -q"]
        // A sparse source and a pipe: the test machine's disk holds only the small compressed bombs.
        try Shell.run("truncate -s 1G zeros", in: directory.path)
        for (filter, command) in commands {
            try Shell.run("tar -cf - zeros | \(command) -c > zeros.tar.\(filter)", in: directory.path)
            paths[filter] = directory.url("zeros.tar.\(filter)")
        }
        try Shell.run("rm zeros", in: directory.path)
        keepAlive.append(directory)
        return paths
    }
    nonisolated(unsafe) static var keepAlive: [TemporaryDirectory] = []

    @Test("decompression bombs hit the ratio limit", arguments: ["gzip", "bzip2", "xz", "zstd"])
    func decompressionBomb(filter: String) async throws {
        let setup = try Setup("bomb")
        var limits = RestoreLimits()
        limits.maxRatio = 100
        // The first access builds the bombs (~40 s): on a thread of its own, not a cooperative one.
        let archive = try #require(try await Blocking.run { try Self.bombs.get()[filter] })
        let outcome = try #require(await setup.runner.check(setup.target(archive, limits: limits), seed: 1))
        #expect(outcome.reasons == [.limitExceeded], "\(outcome.summary)")
        #expect(outcome.summary.contains("max_ratio"))
        try setup.expectContained()
    }

    @Test func zstdBombHitsTheDefaultRatioLimit() async throws {
        let setup = try Setup("bomb-default")
        let archive = try #require(try await Blocking.run { try Self.bombs.get()["zstd"] })
        let outcome = try #require(await setup.runner.check(setup.target(archive), seed: 1))
        #expect(outcome.reasons == [.limitExceeded], "\(outcome.summary)")
    }

    @Test func byteLimitStopsAHugeSparseEntry() async throws {
        let setup = try Setup("sparse-bomb")
        try Shell.run("truncate -s 100G huge.img && tar -S -cf huge.tar huge.img && rm huge.img", in: setup.temp.path)
        var limits = RestoreLimits()
        limits.maxBytes = 1 << 30
        let outcome = try #require(await setup.runner.check(setup.target(setup.temp.url("huge.tar"), limits: limits), seed: 1))
        #expect(outcome.reasons == [.limitExceeded], "\(outcome.summary)")
        #expect(outcome.summary.contains("max_bytes"))
        try setup.expectContained()
    }

    @Test func entryLimit() async throws {
        let setup = try Setup("entries")
        try Shell.run("mkdir src && cd src && for i in $(seq 1 50); do echo $i > f$i; done && tar -cf ../many.tar .", in: setup.temp.path)
        var limits = RestoreLimits()
        limits.maxEntries = 10
        let outcome = try #require(await setup.runner.check(setup.target(setup.temp.url("many.tar"), limits: limits), seed: 1))
        #expect(outcome.reasons == [.limitExceeded])
        #expect(outcome.summary.contains("max_entries"))
    }

    @Test func truncatedAtManyOffsetsIsNeverPassed() async throws {
        let setup = try Setup("trunc")
        let set = try BackupSet.make(.gnuTarGzip, in: setup.temp)
        let original = try Data(contentsOf: URL(fileURLWithPath: set.archive))
        for share in stride(from: 0.02, to: 1.0, by: 0.07) {
            try original.prefix(Int(Double(original.count) * share)).write(to: URL(fileURLWithPath: set.archive))
            let outcome = try #require(await setup.runner.check(setup.target(set.archive, manifest: true), seed: 1))
            #expect(outcome.status == .failed, "cut at \(Int(share * 100))%: \(outcome.summary)")
            #expect(outcome.reasons.contains(.archiveCorrupt) || outcome.reasons.contains(.entryMissing), "\(outcome.reasons)")
        }
        try setup.expectContained()
    }

    @Test("bit flips in compressed data are never passed", arguments: [BackupSet.Kind.gnuTarGzip, .gnuTarXz, .gnuTarZstd, .zipDeflate])
    func bitFlips(kind: BackupSet.Kind) async throws {
        let setup = try Setup("flip")
        let set = try BackupSet.make(kind, in: setup.temp)
        let original = try Data(contentsOf: URL(fileURLWithPath: set.archive))
        var random = SplitMix64(seed: 17)
        // Flips in the compressed payload (not in a gzip header's mtime, which changes nothing restored).
        for _ in 0..<12 {
            var damaged = original
            let offset = 64 + Int(random.next() % UInt64(original.count - 128))
            damaged[offset] ^= UInt8(1 << (random.next() % 8))
            try damaged.write(to: URL(fileURLWithPath: set.archive))
            let outcome = try #require(await setup.runner.check(setup.target(set.archive, manifest: true), seed: 1))
            if outcome.status == .passed {
                // Only acceptable where the flip hit bytes a restore never uses (zip's per-entry
                // metadata copies); the restored content must then be exactly right.
                #expect(kind == .zipDeflate && outcome.filesVerified == BackupSet.defaultFiles.count, "flip at \(offset) passed")
            } else {
                #expect(outcome.status == .failed, "flip at \(offset): \(outcome.summary)")
            }
            #expect(!outcome.reasons.contains(.workerCrashed))
        }
        try setup.expectContained()
    }

    @Test func lyingSizeInATarHeader() async throws {
        let setup = try Setup("lying")
        // The header declares 1 MB but the archive ends after 8 bytes of data.
        try Shell.run(
            """
            python3 - <<'PY'
            import io, tarfile
            data = b"8 bytes!"
            info = tarfile.TarInfo("liar.bin"); info.size = len(data)
            buf = io.BytesIO()
            with tarfile.open(fileobj=buf, mode="w", format=tarfile.USTAR_FORMAT) as t:
                t.addfile(info, io.BytesIO(data))
            raw = bytearray(buf.getvalue()[:1024])
            raw[124:136] = b"%011o\\0" % 1000000
            raw[148:156] = b"        "
            raw[148:155] = b"%06o\\0" % sum(raw[:512])
            open("liar.tar", "wb").write(bytes(raw))
            PY
            """, in: setup.temp.path)
        let outcome = try #require(await setup.runner.check(setup.target(setup.temp.url("liar.tar")), seed: 1))
        #expect(outcome.status == .failed)
        #expect(outcome.reasons.contains(.archiveCorrupt) || outcome.reasons.contains(.sizeMismatch), "\(outcome.summary)")
        try setup.expectContained()
    }

    /// Generated garbage: each input is either a manifest (of at least one entry, the same when parsed
    /// again) or a `ParseError` that names the file and, for a bad line, a line the input has; never
    /// a crash. Both kinds occur, so the generator reaches the parser's depths.
    @Test func manifestParserSurvivesGeneratedGarbage() {
        var random = SplitMix64(seed: 99)
        let pieces = ["SHA256 (", ") = ", "  ", " *", "\\", "\n", "./", "../", "/", String(repeating: "a", count: 64), "é", "\u{0}", "\r\n"]
        var inputs: [[UInt8]] = []
        for _ in 0..<2000 {
            var text = ""
            for _ in 0..<Int(random.next() % 12) { text += pieces[Int(random.next() % UInt64(pieces.count))] }
            inputs.append(Array(text.utf8))
        }
        for _ in 0..<500 { inputs.append((0..<Int(random.next() % 200)).map { _ in UInt8(truncatingIfNeeded: random.next()) }) }
        // Valid manifests (GNU and BSD lines), half of them with a piece spliced in at a random byte.
        let digest = String(repeating: "0123456789abcdef", count: 4)
        let validLines = ["\(digest)  ./a.txt\n", "\(digest) *b/é.bin\n", "SHA256 (c d) = \(digest)\n", "\\\(digest)  e\\\\f\n"]
        for _ in 0..<1000 {
            var bytes = Array((0...Int(random.next() % 4)).map { _ in validLines[Int(random.next() % UInt64(validLines.count))] }.joined().utf8)
            if random.next() % 2 == 0 {
                bytes.insert(contentsOf: Array(pieces[Int(random.next() % UInt64(pieces.count))].utf8), at: Int(random.next() % UInt64(bytes.count + 1)))
            }
            inputs.append(bytes)
        }
        var parsed = 0
        var refused = 0
        for bytes in inputs {
            do {
                let manifest = try Manifest(parsing: bytes, file: "fuzz")
                parsed += 1
                #expect(manifest.count > 0 && (try? Manifest(parsing: bytes, file: "fuzz"))?.count == manifest.count)
            } catch {
                refused += 1
                let lines = bytes.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false).count
                #expect(error.file == "fuzz" && error.line <= lines && !error.message.isEmpty, "\(error)")
            }
        }
        #expect(parsed > 10 && refused > 10, "both outcomes reached: \(parsed) parsed, \(refused) refused")
    }
}
