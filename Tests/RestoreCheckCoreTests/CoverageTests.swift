import Foundation
import RestoreCheckTestSupport
import Testing

@testable import RestoreCheckCore
@testable import RestoreCheckWorker

/// Coverage rotation: 20 random files a day never add up to "the backup is known to restore"; a
/// sample that prefers what was not verified within the window does, and says how much it has.
/// Real GNU tar archives with sha256sum manifests; days are simulated through the runner's clock.
@Suite("Coverage rotation")
struct CoverageTests {
    /// The simulated clock's first day: an hour from now, since the archives' modification times are
    /// real and a restore point later than the test's clock would be dated in the future.
    static let day0 = Date().addingTimeInterval(3_600)

    /// `count` text files of different sizes under `name-source/`, archived by GNU tar, with a manifest.
    static func dataset(_ temp: TemporaryDirectory, count: Int = 60, name: String = "set") throws -> String {
        try Shell.run(
            """
            mkdir -p \(name)-source/docs && cd \(name)-source
            for i in $(seq 1 \(count)); do seq 1 $((i * 40)) > docs/file-$i.txt; done
            find . -type f | sort | xargs sha256sum > ../\(name).tar.sha256 && tar -cf ../\(name).tar .
            """, in: temp.path)
        return temp.url("\(name).tar")
    }

    static func target(_ archive: String, files: Int, coverage: TimeSpan?, in temp: TemporaryDirectory) -> Target {
        var target = Target(
            name: "t", tenant: "acme", archiveGlob: archive, manifestTemplate: "{archive}.sha256",
            rpo: TimeSpan(seconds: 3_650 * 86_400), rto: TimeSpan(seconds: 3_600),
            sample: SampleSpec(size: .files(files), coverage: coverage), schedule: Schedule(every: TimeSpan(seconds: 86_400)))
        if coverage != nil { target.coverageStatePath = temp.url("state/coverage/t.state") }
        return target
    }

    static func check(_ target: Target, day: Int, seed: UInt64 = 1, in temp: TemporaryDirectory) async throws -> Outcome {
        let now = day0.addingTimeInterval(Double(day) * 86_400)
        let runner = CheckRunner(scratchBase: temp.url("scratch"), supervisor: WorkerSupervisor(executable: BuiltBinary.path), now: { now })
        return try #require(await runner.check(target, seed: seed))
    }

    @Test func rotationVerifiesAnUnchangedDatasetOncePerWindow() async throws {
        let temp = TemporaryDirectory("coverage-rotation")
        let archive = try Self.dataset(temp)
        let target = Self.target(archive, files: 10, coverage: TimeSpan(seconds: 6 * 86_400), in: temp)
        for day in 0..<6 {
            let outcome = try await Self.check(target, day: day, seed: UInt64(day), in: temp)
            #expect(outcome.status == .passed, "\(outcome.summary)")
            let coverage = try #require(outcome.coverage)
            #expect(coverage.files == 60 && coverage.filesVerified == 10 * (day + 1), "day \(day): \(coverage)")
            #expect(coverage.filesPerTestNeeded == nil)
        }
        let full = try #require(try await Self.check(target, day: 5, seed: 9, in: temp).coverage)
        #expect(full.filesRatio == 1 && full.bytesRatio == 1 && full.failingShareBound == 0)
        #expect(full.statement == "100 % of files (60 of 60; 100 % of bytes) verified within 6d0h; every file verified")
        // Day 6: day 0's ten files fall out of the window, and are the ones verified again.
        let slid = try #require(try await Self.check(target, day: 6, seed: 3, in: temp).coverage)
        #expect(slid.filesVerified == 60)

        // Without coverage (today's behaviour) the outcome cannot say how much is known to restore.
        let plain = try await Self.check(Self.target(archive, files: 10, coverage: nil, in: temp), day: 7, in: temp)
        #expect(plain.status == .passed && plain.coverage == nil)
    }

    /// The same six daily draws of ten files from the real manifest: uniform draws (today) leave a
    /// third of the files never verified; draws that prefer the unverified cover all 60.
    @Test func uniformDrawsNeverAddUpPreferringTheUnverifiedDoes() async throws {
        try await Blocking.run {
            let temp = TemporaryDirectory("coverage-draws")
            let archive = try Self.dataset(temp)
            let manifest = try Manifest(contentsOfFile: archive + ".sha256")
            func drawn(_ seed: UInt64, covered: Set<Int>) -> Set<Int> {
                var plan = SamplePlan(SampleSpec(size: .files(10)), seed: seed)
                plan.draw(from: manifest, covered: { covered.contains($0) })
                guard case .slots(let slots) = plan.mode else { return [] }
                return slots
            }
            var uniform = Set<Int>()
            var rotated = Set<Int>()
            for seed in UInt64(1)...6 {
                uniform.formUnion(drawn(seed, covered: []))
                rotated.formUnion(drawn(seed, covered: rotated))
            }
            #expect(rotated.count == 60)
            #expect(uniform.count < 50, "six uniform draws of 10 from 60 cover ~40 files: \(uniform.count)")
        }
    }

    @Test func changedContentCountsAsUnverifiedAndIsVerifiedFirst() async throws {
        let temp = TemporaryDirectory("coverage-changed")
        let archive = try Self.dataset(temp)
        let target = Self.target(archive, files: 10, coverage: TimeSpan(seconds: 30 * 86_400), in: temp)
        for day in 0..<6 { _ = try await Self.check(target, day: day, seed: UInt64(day), in: temp) }
        // The next backup: five files changed, so five entries (name and digest) were never verified.
        try Shell.run(
            """
            cd set-source && for i in 3 17 29 41 58; do echo "edited" >> docs/file-$i.txt; done
            find . -type f | sort | xargs sha256sum > ../set.tar.sha256 && tar -cf ../set.tar .
            """, in: temp.path)
        let outcome = try await Self.check(target, day: 6, seed: 77, in: temp)
        #expect(outcome.status == .passed)
        #expect(outcome.coverage?.filesVerified == 60, "the five changed files are drawn first: \(String(describing: outcome.coverage))")
        let state = try #require(try CoverageState.load(temp.url("state/coverage/t.state")))
        #expect(state.hashes.count == 65, "the five old versions stay until they leave the window")
    }

    @Test func aSampleTooSmallForTheWindowSaysWhatWould() async throws {
        let temp = TemporaryDirectory("coverage-small")
        let archive = try Self.dataset(temp)
        let outcome = try await Self.check(Self.target(archive, files: 5, coverage: TimeSpan(seconds: 6 * 86_400), in: temp), day: 0, in: temp)
        let coverage = try #require(outcome.coverage)
        #expect(coverage.filesPerTestNeeded == 10)
        #expect(coverage.statement.hasSuffix("; 10 files per test would verify all of them within the window"))
        #expect(outcome.notes.contains("coverage: " + coverage.statement))
        let config = try temp.write(
            "rc.yaml",
            """
            scratch_dir: \(temp.url("scratch"))
            state_dir: \(temp.url("state"))
            targets:
              - { name: t, tenant: acme, archives: \(archive), manifest: "{archive}.sha256", rpo: 1d, rto: 1h, every: 1d,
                  sample: { files: 5, coverage: 6d } }

            """)
        let shown = try Shell.execute(BuiltBinary.path, ["check-config", "--config", config])
        #expect(shown.stdout.contains(
            "    coverage 6d0h: the newest manifest lists 60 files; one test per 1d0h: 5 files per test cannot verify all of them within the window; 10 per test would\n"),
            "\(shown.stdout)")
    }

    @Test func theStateIsTwelveBytesPerFileHoldsNoNamesAndDamageIsANoteNotAVerdict() async throws {
        let temp = TemporaryDirectory("coverage-state")
        let archive = try Self.dataset(temp)
        let target = Self.target(archive, files: 10, coverage: TimeSpan(seconds: 6 * 86_400), in: temp)
        _ = try await Self.check(target, day: 0, in: temp)
        let path = temp.url("state/coverage/t.state")
        let bytes = try Data(contentsOf: URL(fileURLWithPath: path))
        #expect(bytes.count == 32 + 12 * 10)
        #expect(bytes.range(of: Data("file-".utf8)) == nil && bytes.range(of: Data("docs".utf8)) == nil)
        let mode = try FileManager.default.attributesOfItem(atPath: path)[.posixPermissions] as? Int
        #expect(mode == 0o600)

        try bytes.prefix(40).write(to: URL(fileURLWithPath: path))
        let damaged = try await Self.check(target, day: 1, in: temp)
        #expect(damaged.status == .passed)
        #expect(damaged.coverage == nil)
        #expect(damaged.notes.contains { $0.hasPrefix("coverage not tracked: coverage state \(path): truncated or damaged") }, "\(damaged.notes)")
    }

    @Test func aFailedFileWithdrawsTheBoundAndIsNotCounted() async throws {
        let temp = TemporaryDirectory("coverage-failed")
        let archive = try Self.dataset(temp, count: 10)
        // Changed after the manifest was taken: the archive no longer holds what the manifest promises.
        try Shell.run("cd set-source && echo late >> docs/file-4.txt && tar -cf ../set.tar .", in: temp.path)
        let outcome = try await Self.check(Self.target(archive, files: 10, coverage: TimeSpan(seconds: 86_400), in: temp), day: 0, in: temp)
        #expect(outcome.reasons == [.checksumMismatch])
        let coverage = try #require(outcome.coverage)
        #expect(coverage.filesVerified == 9 && coverage.failingShareBound == nil)
        #expect(!coverage.statement.contains("confidence"))
    }

    /// The reference implementation's test vectors (key 00..0f, messages 00, 00 01, ...).
    @Test func sipHashMatchesTheReferenceVectors() {
        let hash = SipHash(key: Array(0..<16))
        #expect(hash.hash([]) == 0x726f_db47_dd0e_0e31)
        #expect(hash.hash([0]) == 0x74f8_39c5_93dc_67fd)
        #expect(hash.hash(Array(0..<15)) == 0xa129_ca61_49be_45e5)
    }

    @Test func theBoundIsTheExactHypergeometricOne() {
        // Brute force on a small population: the largest K with C(N-K, n) / C(N, n) >= 0.05.
        func allGood(_ bad: Int, _ n: Int, _ total: Int) -> Double {
            (0..<n).reduce(1.0) { $0 * Double(total - bad - $1) / Double(total - $1) }
        }
        for (n, total) in [(10, 40), (1, 20), (39, 40), (25, 100)] {
            let expected = (0...(total - n)).last { allGood($0, n, total) >= 0.05 }!
            #expect(CoverageBound.failingShare(verified: n, of: total) == Double(expected) / Double(total), "n \(n) of \(total)")
        }
        #expect(CoverageBound.failingShare(verified: 40, of: 40) == 0)
        #expect(CoverageBound.failingShare(verified: 0, of: 40) == 1)
        let large = CoverageBound.failingShare(verified: 1_000, of: 100_000)
        #expect(large == 0.00297, "a little under 1 − 0.05^(1/n) = 0.002991 (sampling without replacement): \(large)")
        let summary = CoverageSummary(
            windowSeconds: 30 * 86_400, files: 100_000, filesVerified: 1_000, bytes: 10, bytesVerified: 1, failingShareBound: large,
            filesPerTestNeeded: nil)
        #expect(summary.statement == "1 % of files (1000 of 100000; 10 % of bytes) verified within 30d0h; at most 0.3 % of files would not restore (95 % confidence)")
    }
}
