import Foundation

/// The parent's side of coverage rotation for one test: makes sure the state exists before the
/// worker reads it, then records what the worker verified and turns it into the outcome's
/// `CoverageSummary`. The window is counted in whole days: `coverage: 30d` counts verifications
/// from today and the 29 days before.
struct CoverageTracking {
    let target: Target
    let window: TimeSpan
    let statePath: String
    let today: UInt32
    let sinceDay: UInt32

    init?(target: Target, today: UInt32) {
        guard let window = target.sample.coverage, let statePath = target.coverageStatePath else { return nil }
        self.target = target
        self.window = window
        self.statePath = statePath
        self.today = today
        let days = UInt32(max(1, (window.seconds / 86_400).rounded(.up)))
        sinceDay = today >= days - 1 ? today - (days - 1) : 0
    }

    /// The worker's part of the request, creating an empty state (with its key) on the first test.
    func prepare() throws(CoverageState.Failure) -> CoverageRequest {
        if try CoverageState.load(statePath) == nil { try CoverageState().write(to: statePath) }
        return CoverageRequest(statePath: statePath, sinceDay: sinceDay)
    }

    /// Records the worker's results in the state and sets `outcome.coverage`. A test that stopped
    /// early reports no coverage and changes nothing.
    func record(_ report: WorkerReport, into outcome: OutcomeBuilder) {
        guard let counted = report.coverage else {
            if let error = report.coverageError { outcome.note("coverage not tracked: \(error)") }
            return
        }
        do {
            var state = try CoverageState.load(statePath) ?? CoverageState()
            state.record(
                verified: CoverageReport.unpack(counted.verified), failed: CoverageReport.unpack(counted.failed), on: today,
                forgetBefore: sinceDay)
            try state.write(to: statePath)
        } catch {
            outcome.note("coverage state not updated: \(error)")
        }
        // The bound assumes no file failed: any finding about a file withdraws it.
        let anyFileFailed = !report.findings.isEmpty || report.fatal != nil
        var needed: Int?
        if case .files(let perTest) = target.sample.size {
            let enough = CoverageSummary.filesPerTest(toCover: counted.files, window: window, every: target.schedule.every)
            if perTest < enough { needed = enough }
        }
        let summary = CoverageSummary(
            windowSeconds: window.seconds, files: counted.files, filesVerified: counted.filesVerified, bytes: counted.bytes,
            bytesVerified: counted.bytesVerified,
            failingShareBound: anyFileFailed ? nil : CoverageBound.failingShare(verified: counted.filesVerified, of: counted.files),
            filesPerTestNeeded: needed)
        outcome.outcome.coverage = summary
        outcome.note("coverage: \(summary.statement)")
    }
}
