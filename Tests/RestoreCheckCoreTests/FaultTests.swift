import Foundation
import Glibc
import RestoreCheckTestSupport
import Testing

@testable import RestoreCheckCore

/// The verifier's own faults must read as `error` (could not test), never as a customer's `failed`,
/// and must not break the next test.
@Suite("Faults: memory, full scratch, permissions")
struct FaultTests {
    func runner(_ temp: TemporaryDirectory) -> CheckRunner {
        CheckRunner(scratchBase: temp.url("scratch"), supervisor: WorkerSupervisor(executable: BuiltBinary.path))
    }

    func target(_ archive: String, manifest: Bool = true, limits: RestoreLimits = RestoreLimits()) -> Target {
        Target(
            name: "t", tenant: "x", archiveGlob: archive, manifestTemplate: manifest ? "{archive}.sha256" : nil,
            rpo: TimeSpan(seconds: 86_400), rto: TimeSpan(seconds: 86_400), sample: SampleSpec(size: .all), limits: limits)
    }

    @Test func anArchiveDemandingAHugeDictionaryHitsTheMemoryLimit() async throws {
        let temp = TemporaryDirectory("mem")
        // A valid .xz whose block header asks for a 4 GiB LZMA2 dictionary (CRC recomputed).
        try Shell.run(
            """
            echo hello > f && tar -cf t.tar f && xz -c t.tar > t.tar.xz && python3 - <<'PY'
            import struct, zlib
            d = bytearray(open("t.tar.xz", "rb").read())
            size = (d[12] + 1) * 4
            header = d[12:12 + size]
            assert header[2] == 0x21 and header[3] == 0x01
            header[4] = 40
            header[-4:] = struct.pack("<I", zlib.crc32(bytes(header[:-4])) & 0xFFFFFFFF)
            d[12:12 + size] = header
            open("big-dictionary.tar.xz", "wb").write(bytes(d))
            PY
            """, in: temp.path)
        var limits = RestoreLimits()
        limits.memoryBytes = 512 << 20
        let outcome = try #require(await runner(temp).check(target(temp.url("big-dictionary.tar.xz"), manifest: false, limits: limits), seed: 1))
        #expect(outcome.reasons == [.limitExceeded], "\(outcome.summary)")
        #expect(outcome.summary.contains("limits.memory"))
    }

    @Test(.enabled(if: getuid() == 0, "mounting a small tmpfs needs root (CI runs as root)"))
    func fullScratchIsAnErrorAndTheNextTestWorks() async throws {
        let temp = TemporaryDirectory("full")
        let set = try BackupSet.make(.gnuTarGzip, in: temp, files: ["big.bin": Data(repeating: 7, count: 4 << 20), "small.txt": Data("x".utf8)])
        try FileManager.default.createDirectory(atPath: temp.url("scratch"), withIntermediateDirectories: true)
        try Shell.run("mount -t tmpfs -o size=1m tmpfs \"$D\"", environment: ["D": temp.url("scratch")])
        let full = await runner(temp).check(target(set.archive), seed: 1)
        try Shell.run("umount \"$D\"", environment: ["D": temp.url("scratch")])
        let outcome = try #require(full)
        #expect(outcome.status == .error, "our disk, not the customer's backup: \(outcome.summary)")
        #expect(outcome.reasons == [.scratchError])
        #expect(outcome.summary.contains("No space left"))
        let next = try #require(await runner(temp).check(target(set.archive), seed: 1))
        #expect(next.status == .passed, "\(next.summary)")
    }

    @Test(.enabled(if: getuid() == 0, "needs root to run the CLI as another user"))
    func unreadableArchiveIsAnError() async throws {
        try await Blocking.run { try Self().unreadableArchiveBody() }
    }

    func unreadableArchiveBody() throws {
        let temp = TemporaryDirectory("perm")
        chmod(temp.path, 0o755)
        // `nobody` may not be able to reach the build tree (CI clones into a 0700 directory): run a copy.
        // Copied by `cp` in a child process: a write descriptor in this one could be inherited by a
        // parallel test's fork and make the exec fail with ETXTBSY.
        let binary = temp.url("restorecheck")
        try Shell.run("cp \"$SRC\" \"$DST\" && chmod 755 \"$DST\"", environment: ["SRC": BuiltBinary.path, "DST": binary])
        let set = try BackupSet.make(.gnuTar, in: temp)
        chmod(set.archive, 0o000)
        let config = try temp.oneTargetConfig(archive: set.archive)
        try Shell.run("mkdir -p scratch state && chown nobody scratch state && chmod 644 rc.yaml", in: temp.path)
        let result = try Shell.execute("/usr/sbin/runuser", ["-u", "nobody", "--", binary, "run", "--config", config, "--json"])
        #expect(result.status == 3, "\(result.stdout) \(result.stderr)")
        #expect(result.stdout.contains("archive_unreadable"))
    }

    /// A big plain tar (fast to make, ~1 s to verify) and its manifest.
    func bigBackup(_ temp: TemporaryDirectory) throws -> String {
        try Shell.run(
            """
            mkdir -p src && head -c 314572800 /dev/urandom > src/big.bin && echo small > src/small.txt
            (cd src && sha256sum big.bin small.txt > ../big.tar.sha256 && tar -cf ../big.tar big.bin small.txt)
            """, in: temp.path)
        return temp.url("big.tar")
    }

    /// The error `body` throws, if any: the test still awaits the check, whose outcome explains it.
    func caught(_ body: () async throws -> Void) async -> (any Error)? {
        do {
            try await body()
            return nil
        } catch {
            return error
        }
    }

    /// Checks `archive` and, once its worker has read `bytes` of it (and before it has read half),
    /// freezes the worker, runs `change` and lets it go on: the change lands at that point every time,
    /// however fast the machine or slow the test's own task.
    func check(
        _ temp: TemporaryDirectory, _ archive: String, changedAfterReading bytes: Int64,
        _ change: @escaping @Sendable () throws -> Void
    ) async throws -> Outcome {
        let size = try #require(try FileManager.default.attributesOfItem(atPath: archive)[.size] as? Int64)
        let pauser = WorkerPauser(archive: archive, afterReading: bytes)  // watching before the worker exists
        async let outcome = runner(temp).check(target(archive), seed: 1)
        let notPaused = await caught {
            let (worker, read) = try await pauser.paused()
            defer { worker.resume() }
            try #require(read < size / 2, "the worker had read \(read) of \(size) bytes when stopped: not midway")
            try await Blocking.run(change)
        }
        let result = try #require(await outcome)
        try #require(notPaused == nil, "\(notPaused!); the check: \(result.status) \(result.summary)")
        return result
    }

    @Test func anArchiveReplacedBeforeTheWorkerReadsItIsVerifiedAsOpened() async throws {
        let temp = TemporaryDirectory("replaced")
        let archive = try bigBackup(temp)
        try Shell.run("mkdir other && echo other > other/x && tar -cf replacement.tar -C other x", in: temp.path)
        // The next backup job renames a new archive into place after the parent judged the archive
        // (its age, its manifest) and before the worker opened it: the worker must still read the
        // file the parent opened and judged, so the verdict is about one restore point.
        let result = try await check(temp, archive, changedAfterReading: 0) { try Shell.run("mv replacement.tar big.tar", in: temp.path) }
        #expect(result.status == .passed, "\(result.summary)")
        #expect(result.filesVerified == 2)
    }

    @Test func anArchiveTruncatedWhileBeingReadIsCorrupt() async throws {
        let temp = TemporaryDirectory("truncated")
        let archive = try bigBackup(temp)
        // Rewritten in place (the same inode) while we read it.
        let result = try await check(temp, archive, changedAfterReading: 4 << 20) { try Shell.run("truncate -s 1048576 big.tar", in: temp.path) }
        #expect(result.status == .failed, "\(result.summary)")
        #expect(result.reasons.contains(.archiveCorrupt) || result.reasons.contains(.sizeMismatch) || result.reasons.contains(.entryMissing), "\(result.reasons)")
    }

    @Test func aBusyHistoryIsWaitedFor() async throws {
        try await Blocking.run { try Self().busyHistoryBody() }
    }

    func busyHistoryBody() throws {
        let temp = TemporaryDirectory("busy")
        let set = try BackupSet.make(.gnuTar, in: temp)
        let config = try temp.oneTargetConfig(archive: set.archive)
        // Create the history, then hold an exclusive lock on it for 3 s while `run` records.
        _ = try Shell.execute(BuiltBinary.path, ["run", "--config", config])
        try Shell.run(
            """
            python3 - "$DB" <<'PY' &
            import sqlite3, sys, time
            db = sqlite3.connect(sys.argv[1], isolation_level=None)
            db.execute("BEGIN EXCLUSIVE"); open("locked", "w").close(); time.sleep(3); db.execute("COMMIT")
            PY
            while [ ! -e locked ]; do sleep 0.05; done
            "$BIN" run --config "$CFG" > run.out 2> run.err; echo $? > run.status
            wait
            """, in: temp.path, environment: ["DB": temp.url("state/history.sqlite"), "BIN": BuiltBinary.path, "CFG": config])
        #expect(try String(contentsOfFile: temp.url("run.status"), encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines) == "0")
        #expect(try String(contentsOfFile: temp.url("run.err"), encoding: .utf8).isEmpty, "waited for the lock instead of failing")
        let runs = try Shell.run("sqlite3 \"$DB\" 'SELECT count(*) FROM run WHERE status = \"passed\"'", environment: ["DB": temp.url("state/history.sqlite")])
        #expect(runs.stdout.trimmingCharacters(in: .whitespacesAndNewlines) == "2")
    }

    @Test(.enabled(if: getuid() == 0, "mounting a small tmpfs needs root (CI runs as root)"))
    func aFullHistoryDiskDoesNotStopTheTest() async throws {
        try await Blocking.run { try Self().fullHistoryBody() }
    }

    func fullHistoryBody() throws {
        let temp = TemporaryDirectory("histfull")
        let set = try BackupSet.make(.gnuTar, in: temp)
        let config = try temp.oneTargetConfig(archive: set.archive)
        try Shell.run("mkdir state && mount -t tmpfs -o size=64k tmpfs state", in: temp.path)
        defer { _ = try? Shell.run("umount state", in: temp.path) }
        _ = try Shell.execute(BuiltBinary.path, ["run", "--config", config])  // creates the history
        try Shell.run("dd if=/dev/zero of=state/filler bs=4k 2>/dev/null || true", in: temp.path)  // fill the disk
        let result = try Shell.execute(BuiltBinary.path, ["run", "--config", config, "--json"])
        #expect(result.status == 0, "the backup passed; a full history disk is reported, not fatal: \(result.stderr)")
        #expect(result.stderr.contains("history"), "\(result.stderr)")
        #expect(result.stdout.contains("\"status\" : \"passed\""))
    }
}
