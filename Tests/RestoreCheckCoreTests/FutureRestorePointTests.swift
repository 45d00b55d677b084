import Foundation
import RestoreCheckTestSupport
import Testing

@testable import RestoreCheckCore

/// A restore point dated in the future is never trusted: an archive's mtime set ahead (`touch -d`,
/// `rsync -t` from a host with a wrong clock), a restic snapshot made with `--time` ahead and a
/// canary signed with a future capture time each fail the RPO with a finding that says so, have no
/// age (never a negative one), and never become the verified restore point. A small skew within
/// `clock_skew` is age 0 and passes.
@Suite("Restore points dated in the future")
struct FutureRestorePointTests {
    func runner(_ temp: TemporaryDirectory, now: @escaping @Sendable () -> Date = { Date() }) -> CheckRunner {
        CheckRunner(scratchBase: temp.url("scratch"), supervisor: WorkerSupervisor(executable: BuiltBinary.path), now: now)
    }

    static func expectFuture(_ outcome: Outcome, path: String) {
        #expect(outcome.status == .failed, "\(outcome.summary)")
        #expect(outcome.reasons == [.rpoExceeded], "\(outcome.reasons)")
        #expect(outcome.rpoMet == false)
        #expect(outcome.backupAgeSeconds == nil, "a future point has no age, never a negative one")
        let finding = outcome.findings.first { $0.reason == .rpoExceeded }
        #expect(finding?.path == path, "\(outcome.findings)")
        #expect(finding?.detail?.contains("in the future (clock skew or forged") == true, "\(outcome.findings)")
        #expect(VerifiedRestorePoint.folding(nil, outcome) == nil, "never the verified restore point")
    }

    @Test func anArchiveDatedTenYearsAheadFailsTheRPOAndTheRestoreStillRuns() async throws {
        let temp = TemporaryDirectory("future-mtime")
        let set = try BackupSet.make(.gnuTarGzip, in: temp)
        try await Blocking.run { try Shell.run("touch -d '+10 years' \"$A\"", in: temp.path, environment: ["A": set.archive]) }
        let outcome = try #require(await runner(temp).check(set.target(), seed: 1))
        Self.expectFuture(outcome, path: set.archive)
        #expect(outcome.filesVerified == BackupSet.defaultFiles.count, "every file was still verified")
        #expect(outcome.summary.hasPrefix("rpo_exceeded: \(set.archive)"), "\(outcome.summary)")
        #expect(outcome.backupTimestamp.map { $0.timeIntervalSinceNow > 9 * 365 * 86_400 } == true, "the claimed time is kept as evidence")
    }

    @Test func aClockAFewMinutesAheadIsWithinTheAllowance() async throws {
        let temp = TemporaryDirectory("future-skew")
        let set = try BackupSet.make(.gnuTar, in: temp)
        // The test's clock is fixed, so the skew is exactly two minutes however long a loaded
        // machine takes between the touch and the check.
        let now = Date()
        let ahead = Int(now.timeIntervalSince1970) + 120
        try await Blocking.run { try Shell.run("touch -d \"@$T\" \"$A\"", in: temp.path, environment: ["A": set.archive, "T": "\(ahead)"]) }
        let outcome = try #require(await runner(temp, now: { now }).check(set.target(), seed: 1))
        #expect(outcome.status == .passed, "\(outcome.summary)")
        #expect(outcome.backupAgeSeconds == 0)

        var strict = set.target()
        strict.clockSkew = TimeSpan(seconds: 30)
        let refused = try #require(await runner(temp, now: { now }).check(strict, seed: 1))
        Self.expectFuture(refused, path: set.archive)
    }

    @Test func aResticSnapshotMadeWithAFutureTimeFailsTheRPO() async throws {
        let temp = TemporaryDirectory("future-restic")
        try await Blocking.run {
            try Shell.run(
                """
                mkdir -p src && seq 1 5000 > src/orders.csv && find src -type f | xargs sha256sum > manifest.sha256
                echo pw > pw && export RESTIC_PASSWORD_FILE="$PWD/pw"
                restic init -q --repo repo && restic --repo repo --no-cache backup -q --time "$(date -d '+3 years' '+%Y-%m-%d %H:%M:%S')" src
                """, in: temp.path)
        }
        var source = RepositorySource(tool: .restic, repository: temp.url("repo"))
        source.passwordFile = temp.url("pw")
        var target = Target(
            name: "files", tenant: "acme", archiveGlob: source.display, manifestTemplate: temp.url("manifest.sha256"),
            rpo: TimeSpan(seconds: 86_400), rto: TimeSpan(seconds: 3600), sample: SampleSpec(size: .all))
        target.repository = source
        let outcome = try #require(await runner(temp).check(target, seed: 1))
        Self.expectFuture(outcome, path: try #require(outcome.archive))
        #expect(outcome.filesVerified == 1)
    }

    @Test func aCanarySignedWithAFutureCaptureTimeFailsTheRPO() async throws {
        let temp = TemporaryDirectory("future-canary")
        let (config, _) = try CanaryTests.backup(temp)
        // Rewrite the canary as a forger holding the key would: validly signed, captured a year ahead.
        let loaded = try ConfigLoader().load(path: config)
        let key = try Canary.key(at: try #require(loaded.targets[0].canary).keyPath, create: false)
        let forged = Canary(target: "fs", captured: Date().addingTimeInterval(365 * 86_400)).text(key: key)
        try temp.write("src/.restorecheck-canary", Data(forged.utf8))
        try Shell.run("tar -C src -cf fs.tar . && (cd src && find . -type f -print0 | xargs -0 sha256sum) > fs.tar.sha256", in: temp.path)
        let outcome = try await CanaryTests().check(config, at: Date())
        Self.expectFuture(outcome, path: ".restorecheck-canary")
        #expect(outcome.restorePointSource == "canary")
        #expect(!outcome.findings.contains { $0.detail?.contains("canary stale") == true }, "\(outcome.findings)")
    }

    @Test func historyNeverFoldsAFuturePointIntoTheVerifiedRestorePoint() {
        // A run an older version recorded as passed with a restore point a year ahead.
        let finished = Date()
        let real = VerifiedRestorePoint.folding(nil, status: .passed, backup: finished.addingTimeInterval(-3_600), finished: finished)
        let folded = VerifiedRestorePoint.folding(real, status: .passed, backup: finished.addingTimeInterval(365 * 86_400), finished: finished)
        #expect(folded == real)
    }

    @Test func clockSkewIsConfigurableAndBounded() async throws {
        try await Blocking.run {
            let temp = TemporaryDirectory("future-config")
            let ok = try temp.oneTargetConfig(archive: temp.url("a.tar"), defaults: "rpo: 1d, rto: 1h, clock_skew: 90s")
            #expect(try ConfigLoader().load(path: ok).targets[0].clockSkew == TimeSpan(seconds: 90))
            let tooLarge = try temp.oneTargetConfig(archive: temp.url("a.tar"), defaults: "rpo: 1d, rto: 1h, clock_skew: 30d")
            #expect(throws: ConfigError.self) { try ConfigLoader().load(path: tooLarge) }
        }
    }
}
