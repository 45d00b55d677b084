import Foundation
import RestoreCheckTestSupport
import Testing

@testable import RestoreCheckCore

@Suite("CheckRunner with a spawned restore worker")
struct CheckRunnerTests {
    func runner(_ temp: TemporaryDirectory, worker: String = BuiltBinary.path, now fixed: Date? = nil) -> CheckRunner {
        let clock: @Sendable () -> Date = if let fixed { { fixed } } else { { Date() } }
        return CheckRunner(scratchBase: temp.url("scratch"), supervisor: WorkerSupervisor(executable: worker), now: clock)
    }

    @Test func passesEndToEndAndLeavesNoScratch() async throws {
        let temp = TemporaryDirectory("cr")
        let set = try BackupSet.make(.gnuTarGzip, in: temp)
        let outcome = try #require(await runner(temp).check(set.target(sample: SampleSpec(size: .files(10))), seed: 5))
        #expect(outcome.status == .passed, "\(outcome.summary)")
        #expect(outcome.reasons.isEmpty)
        #expect(outcome.verification == .manifest)
        #expect(outcome.filesVerified == 10)
        #expect(outcome.filesInArchive == BackupSet.defaultFiles.count)
        #expect(outcome.rpoMet == true)
        #expect(outcome.rtoMet == true)
        #expect((outcome.restoreSeconds ?? 0) > 0)
        #expect((outcome.projectedFullRestoreSeconds ?? 0) > 0)
        #expect(outcome.archiveFormat?.contains("gzip") == true)
        #expect(temp.listing().filter { $0.hasPrefix("scratch/") }.isEmpty)
    }

    @Test func manySmallFilesBehindALargeOneStayWithinTheWorkersFileLimit() async throws {
        // Empty and one-byte files take no or one pipeline buffer, so while the hashing thread is
        // still on a large file the decoder could open file after file; the worker's RLIMIT_NOFILE
        // (64) then failed the test with EMFILE ("Too many open files", scratch_error).
        let temp = TemporaryDirectory("fds")
        try Shell.run(
            """
            mkdir src && cd src
            head -c 48M /dev/urandom > a-large.bin
            for i in $(seq 1000 1300); do : > "b-empty-$i"; printf x > "c-tiny-$i"; done
            tar -cf ../set.tar a-large.bin b-empty-* c-tiny-*
            sha256sum a-large.bin b-empty-* c-tiny-* > ../set.tar.sha256
            """, in: temp.path)
        let target = Target(
            name: "t", tenant: "acme", archiveGlob: temp.url("set.tar"), manifestTemplate: "{archive}.sha256",
            rpo: TimeSpan(seconds: 86_400), rto: TimeSpan(seconds: 3600), sample: SampleSpec(size: .all))
        for _ in 0..<3 {  // timing-dependent: against the unbounded code it failed on every run here
            let outcome = try #require(await runner(temp).check(target, seed: 1))
            #expect(outcome.status == .passed, "\(outcome.summary) \(outcome.findings)")
            #expect(outcome.filesVerified == 603)
        }
    }

    @Test func oldBackupExceedsRPO() async throws {
        let temp = TemporaryDirectory("rpo")
        let set = try BackupSet.make(.gnuTar, in: temp)
        let mtime = try #require(FileManager.default.attributesOfItem(atPath: set.archive)[.modificationDate] as? Date)
        let twoDaysLater = mtime.addingTimeInterval(2 * 86_400)
        let outcome = try #require(
            await runner(temp, now: twoDaysLater).check(set.target(rpo: TimeSpan(seconds: 26 * 3600)), seed: 1))
        #expect(outcome.status == .failed)
        #expect(outcome.reasons == [.rpoExceeded])
        #expect(outcome.rpoMet == false)
        #expect(abs((outcome.backupAgeSeconds ?? 0) - 2 * 86_400) < 1)
        #expect(outcome.filesVerified == BackupSet.defaultFiles.count, "the restore test still ran")
    }

    @Test func impossibleRTOIsExceeded() async throws {
        let temp = TemporaryDirectory("rto")
        let set = try BackupSet.make(.zipDeflate, in: temp)
        let outcome = try #require(await runner(temp).check(set.target(rto: TimeSpan(seconds: 0.000_001)), seed: 1))
        #expect(outcome.reasons == [.rtoExceeded])
        #expect(outcome.rtoMet == false)
        #expect(outcome.status == .failed)
    }

    @Test func noMatchingArchive() async throws {
        let temp = TemporaryDirectory("none")
        let target = Target(
            name: "t", tenant: "x", archiveGlob: temp.url("nothing-*.tar"), manifestTemplate: nil,
            rpo: TimeSpan(seconds: 60), rto: TimeSpan(seconds: 60))
        let outcome = try #require(await runner(temp).check(target, seed: 1))
        #expect(outcome.reasons == [.noArchive])
        #expect(outcome.status == .failed)
        #expect(outcome.rpoMet == false)
    }

    @Test func newestArchiveIsChosen() async throws {
        let temp = TemporaryDirectory("newest")
        let old = try BackupSet.make(.gnuTar, in: temp, name: "backup-1")
        let new = try BackupSet.make(.gnuTar, in: temp, name: "backup-2")
        try Shell.run("touch -d '2 hours ago' \"$OLD\"", environment: ["OLD": old.archive])
        var target = new.target()
        target.archiveGlob = temp.url("backup-*.tar")
        let outcome = try #require(await runner(temp).check(target, seed: 1))
        #expect(outcome.archive == new.archive)
    }

    @Test func missingManifestFailsButStillVerifiesIntegrity() async throws {
        let temp = TemporaryDirectory("noman")
        let set = try BackupSet.make(.gnuTarXz, in: temp)
        try FileManager.default.removeItem(atPath: set.manifest)
        let outcome = try #require(await runner(temp).check(set.target(), seed: 1))
        #expect(outcome.reasons == [.manifestMissing])
        #expect(outcome.verification == .integrityOnly)
        #expect(outcome.filesVerified == BackupSet.defaultFiles.count)
    }

    @Test func aManifestThatListsNoFileFailsAsInvalidInsteadOfPassingHavingCheckedNothing() async throws {
        // A manifest step that ran where the data was not mounted: `find` found nothing, so
        // sha256sum wrote an empty file. It passed with "0 of N files verified (integrity only)".
        let temp = TemporaryDirectory("empty-manifest")
        let set = try BackupSet.make(.gnuTarGzip, in: temp)
        try Shell.run("mkdir unmounted && (cd unmounted && find . -type f -print0 | xargs -0 -r sha256sum) > \"$M\"", in: temp.path, environment: ["M": set.manifest])
        #expect(try Data(contentsOf: URL(fileURLWithPath: set.manifest)).isEmpty)
        let outcome = try #require(await runner(temp).check(set.target(), seed: 1))
        #expect(outcome.status == .failed, "\(outcome.summary)")
        #expect(outcome.reasons == [.manifestInvalid])
        #expect(outcome.notes.contains { $0.contains("lists no file") }, "\(outcome.notes)")
        #expect(!outcome.notes.contains { $0.contains("no manifest configured") }, "one is configured: \(outcome.notes)")
    }

    @Test func integrityOnlyIsSaidPlainly() async throws {
        let temp = TemporaryDirectory("integ")
        let set = try BackupSet.make(.sevenZip, in: temp)
        let outcome = try #require(await runner(temp).check(set.target(manifest: false), seed: 1))
        #expect(outcome.status == .passed)
        #expect(outcome.verification == .integrityOnly)
        #expect(outcome.notes.contains { $0.hasPrefix("integrity only") })
        #expect(outcome.summary.contains("integrity only"))
    }

    @Test func crashingWorkerIsAnErrorNotAFailure() async throws {
        let temp = TemporaryDirectory("crash")
        let set = try BackupSet.make(.gnuTar, in: temp)
        let fake = try FakeWorker.install(FakeWorker.segfaults, named: "segfaulting-worker", in: temp)
        let outcome = try #require(await runner(temp, worker: fake).check(set.target(), seed: 1))
        #expect(outcome.reasons == [.workerCrashed])
        #expect(outcome.status == .error)
        #expect(outcome.summary.contains("SIGSEGV"))
        #expect(outcome.summary.contains("parser exploded"), "the worker's last stderr line is kept")
        #expect(temp.listing().filter { $0.hasPrefix("scratch/") }.isEmpty)

        let early = try FakeWorker.install(FakeWorker.exitsEarly, named: "early-worker", in: temp)
        let second = try #require(await runner(temp, worker: early).check(set.target(), seed: 1))
        #expect(second.reasons == [.workerCrashed])
        #expect(second.summary.contains("status 7"))
    }

    @Test func hangingWorkerTimesOutAtTheStallDeadline() async throws {
        let temp = TemporaryDirectory("hang")
        let set = try BackupSet.make(.gnuTar, in: temp)
        let fake = try FakeWorker.install(FakeWorker.hangs, named: "hanging-worker", in: temp)
        var limits = RestoreLimits()
        limits.stallTimeout = TimeSpan(seconds: 1)
        let start = Date()
        let outcome = try #require(await runner(temp, worker: fake).check(set.target(limits: limits), seed: 1))
        #expect(outcome.reasons == [.timeout])
        #expect(outcome.status == .error)
        // The fake worker sleeps 600 s: any bound below that proves the watchdog killed it. 30 s and
        // then 120 s were too tight for a full parallel suite on two cores (36.8 s, then 142 s seen
        // in CI for tests that waited on the cooperative pool).
        #expect(Date().timeIntervalSince(start) < 450, "killed promptly, not after the worker's sleep")
        #expect(temp.listing().filter { $0.hasPrefix("scratch/") }.isEmpty)
    }

    @Test func wallClockDeadlineAppliesEvenWithProgress() async throws {
        let temp = TemporaryDirectory("deadline")
        let set = try BackupSet.make(.gnuTar, in: temp)
        // A worker that keeps reporting progress (so the stall watchdog never fires) but never ends.
        let fake = try FakeWorker.install(FakeWorker.progressesForever, named: "busy-worker", in: temp)
        var limits = RestoreLimits()
        limits.stallTimeout = TimeSpan(seconds: 1)
        limits.timeout = TimeSpan(seconds: 3)
        let start = Date()
        let outcome = try #require(await runner(temp, worker: fake).check(set.target(limits: limits), seed: 1))
        #expect(outcome.reasons == [.timeout])
        #expect(outcome.summary.contains("limits.timeout"), "the deadline, not the stall watchdog: \(outcome.summary)")
        #expect(Date().timeIntervalSince(start) >= 3, "progress kept the stall watchdog quiet until the deadline")
    }

    /// A cancelled task (a ServiceGroup cancelling the scheduler) stops the worker at once: it does
    /// not wait for `limits.timeout`.
    @Test func taskCancellationStopsTheWorkerAndRemovesScratch() async throws {
        let temp = TemporaryDirectory("taskcancel")
        let set = try BackupSet.make(.gnuTar, in: temp)
        let fake = try FakeWorker.install(FakeWorker.hangs, named: "hanging-worker", in: temp)
        defer { FakeWorker.killHanging(at: fake) }
        // Without the cancellation reaching the worker, the stall watchdog would end the test with an
        // outcome (`timeout`) after 20 minutes; cancelled, there is no outcome, long before that. (A
        // 60 s watchdog and a 55 s bound measured the parallel suite's load as much as the
        // cancellation: the test's own task waits for a cooperative thread to wake and cancel.)
        var limits = RestoreLimits()
        limits.stallTimeout = TimeSpan(seconds: 1200)
        let runner = runner(temp, worker: fake)
        let target = set.target(limits: limits)
        let start = Date()
        let task = Task { await runner.check(target, seed: 1) }
        try await Task.sleep(for: .milliseconds(500))
        task.cancel()
        let outcome = await task.value
        #expect(outcome == nil)
        #expect(Date().timeIntervalSince(start) < 600, "stopped by the cancellation, not the stall watchdog")
        #expect(temp.listing().filter { $0.hasPrefix("scratch/") }.isEmpty)
        let pid = try String(contentsOfFile: fake + ".pid", encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)
        #expect(kill(Int32(pid)!, 0) != 0, "the worker was killed")
    }

    @Test func cancellationStopsTheWorkerAndRemovesScratch() async throws {
        let temp = TemporaryDirectory("cancel")
        let set = try BackupSet.make(.gnuTar, in: temp)
        let fake = try FakeWorker.install(FakeWorker.hangs, named: "hanging-worker", in: temp)
        let flag = CancellationFlag()
        Task {
            try await Task.sleep(for: .milliseconds(500))
            flag.cancel()
        }
        let outcome = await runner(temp, worker: fake).check(set.target(), seed: 1, cancellation: flag)
        #expect(outcome == nil)
        #expect(temp.listing().filter { $0.hasPrefix("scratch/") }.isEmpty)
    }

    @Test func unwritableScratchIsAnError() async throws {
        let temp = TemporaryDirectory("scr")
        let set = try BackupSet.make(.gnuTar, in: temp)
        try temp.write("scratch", "a file where the scratch directory should be")
        let outcome = try #require(await runner(temp).check(set.target(), seed: 1))
        #expect(outcome.reasons == [.scratchError])
        #expect(outcome.status == .error)
    }

    @Test func emptyOrZeroFilledArchiveFails() async throws {
        let temp = TemporaryDirectory("zero")
        try Shell.run("head -c 1048576 /dev/zero > zeros.tar", in: temp.path)
        let target = Target(
            name: "t", tenant: "x", archiveGlob: temp.url("zeros.tar"), manifestTemplate: nil,
            rpo: TimeSpan(seconds: 3600), rto: TimeSpan(seconds: 3600))
        let outcome = try #require(await runner(temp).check(target, seed: 1))
        #expect(outcome.status == .failed)
        #expect(outcome.reasons == [.entryMissing])
    }
}
