import Testing

@testable import RestoreCheckCore

@Suite("Outcome status and RTO projection")
struct OutcomeTests {
    @Test func statusFollowsTheContract() {
        #expect(Outcome.status(for: []) == .passed)
        #expect(Outcome.status(for: [.checksumMismatch]) == .failed)
        #expect(Outcome.status(for: [.rpoExceeded]) == .failed)
        #expect(Outcome.status(for: [.scratchError]) == .error)
        #expect(Outcome.status(for: [.timeout, .workerCrashed]) == .error)
        #expect(Outcome.status(for: [.timeout, .rpoExceeded]) == .failed, "a stale backup is a fact even when the test timed out")
        #expect(Outcome.status(for: [.checksumMismatch, .scratchError]) == .failed)
    }

    @Test func exitCodes() {
        func outcome(_ status: OutcomeStatus) -> Outcome {
            Outcome(
                target: "t", tenant: "x", status: status, reasons: [], summary: "", verification: .none,
                started: .now, finished: .now, sample: "", seed: 0, filesVerified: 0, bytesRestored: 0,
                rpoSeconds: 1, rtoSeconds: 1, findings: [], findingsOmitted: 0, notes: [])
        }
        #expect(RunSummary(results: [outcome(.passed), outcome(.passed)]).exitCode == 0)
        #expect(RunSummary(results: [outcome(.passed), outcome(.failed), outcome(.error)]).exitCode == 1)
        #expect(RunSummary(results: [outcome(.passed), outcome(.error)]).exitCode == 3)
        #expect(RunSummary(results: []).exitCode == 0)
    }

    @Test func projectionChargesEveryFileAndByteAtMeasuredRates() throws {
        var report = WorkerReport()
        report.regularFiles = 1000
        report.totalFileBytes = 10_000_000_000
        report.filesRestoredAll = 20
        report.bytesRestoredAll = 100_000_000
        report.fileOverheadSeconds = 0.02  // 1 ms per file
        report.dataSeconds = 0.5  // 5 ns per byte (200 MB/s)
        report.skipSeconds = 30  // decoding the rest of a tar.gz: replaced, not added
        report.elapsedSeconds = 31
        let projected = try #require(RestoreProjection.fullRestoreSeconds(report))
        // overhead 31 − 0.02 − 0.5 − 30 = 0.48; files 1000 × 1 ms = 1; bytes 1e10 × 5e-9 = 50
        #expect(abs(projected - 51.48) < 1e-9)
    }

    @Test func fullRestoreProjectsItsOwnTime() throws {
        var report = WorkerReport()
        report.regularFiles = 10
        report.totalFileBytes = 1000
        report.filesRestoredAll = 10
        report.bytesRestoredAll = 1000
        report.fileOverheadSeconds = 1
        report.dataSeconds = 2
        report.elapsedSeconds = 3.5
        #expect(RestoreProjection.fullRestoreSeconds(report) == 3.5)
    }

    @Test func noProjectionWithoutMeasurement() {
        var report = WorkerReport()
        report.regularFiles = 5
        #expect(RestoreProjection.fullRestoreSeconds(report) == nil)
        report.fatal = Finding(path: "a", reason: .archiveCorrupt)
        #expect(RestoreProjection.fullRestoreSeconds(report) == nil)
    }
}
