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
        let binary = temp.url("restorecheck")
        try FileManager.default.copyItem(atPath: BuiltBinary.path, toPath: binary)
        chmod(binary, 0o755)
        let set = try BackupSet.make(.gnuTar, in: temp)
        chmod(set.archive, 0o000)
        let config = try temp.write(
            "rc.yaml",
            "scratch_dir: \(temp.url("scratch"))\nstate_dir: \(temp.url("state"))\ndefaults: { rpo: 1d, rto: 1h }\ntargets:\n  - { name: t, tenant: x, archives: \(set.archive), manifest: \"{archive}.sha256\" }\n")
        try Shell.run("mkdir -p scratch state && chown nobody scratch state && chmod 644 rc.yaml", in: temp.path)
        let result = try Shell.execute("/usr/sbin/runuser", ["-u", "nobody", "--", binary, "run", "--config", config, "--json"])
        #expect(result.status == 3, "\(result.stdout) \(result.stderr)")
        #expect(result.stdout.contains("archive_unreadable"))
    }
}
