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
            .fixture(target: "t", tenant: "x", status: status)
        }
        #expect(RunSummary(results: [outcome(.passed), outcome(.passed)]).exitCode == 0)
        #expect(RunSummary(results: [outcome(.passed), outcome(.failed), outcome(.error)]).exitCode == 1)
        #expect(RunSummary(results: [outcome(.passed), outcome(.error)]).exitCode == 3)
        #expect(RunSummary(results: []).exitCode == 0)
    }
}
