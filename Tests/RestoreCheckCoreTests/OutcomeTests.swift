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
}
