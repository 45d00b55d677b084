import Foundation
import RestoreCheckTestSupport
import Testing

@testable import RestoreCheckCore

/// restic and borg repositories as restore sources, made at test time by Debian's `restic` and
/// `borgbackup`: the newest snapshot streams through the tool's own restore path into the worker and
/// is verified against a manifest; damage in the repository, a wrong password, an old snapshot and a
/// hanging tool each get their verdict.
@Suite("restic and borg repositories")
struct RepositorySourceTests {
    /// `src/` (text, a 2 MiB random file, a symlink out of the tree, a hard link), its manifest, a restic
    /// repository and a borg repository of it, both encrypted with the password in `pw`.
    static func repositories(_ temp: TemporaryDirectory) throws {
        try Shell.run(
            """
            mkdir -p src/docs src/data && seq 1 20000 > src/docs/orders.csv && echo 'hello' > src/docs/readme.txt
            head -c 2097152 /dev/urandom > src/data/big.bin && ln -s /etc src/etc-link
            ln src/docs/readme.txt src/docs/readme-hardlink.txt   # borg's export-tar writes a tar hard link
            find src -type f | sort | xargs sha256sum > manifest.sha256
            echo 'correct horse battery staple' > pw && echo 'wrong' > badpw
            export RESTIC_PASSWORD_FILE="$PWD/pw" BORG_PASSCOMMAND="cat $PWD/pw" BORG_BASE_DIR="$PWD/borg-home"
            restic init -q --repo restic-repo && restic --repo restic-repo --no-cache backup -q src
            borg init -e repokey borg-repo && borg create borg-repo::nightly-1 src
            """, in: temp.path)
    }

    static func target(_ temp: TemporaryDirectory, _ source: RepositorySource, manifest: Bool = true, limits: RestoreLimits = RestoreLimits()) -> Target {
        var target = Target(
            name: "files", tenant: "acme", archiveGlob: source.display, manifestTemplate: manifest ? temp.url("manifest.sha256") : nil,
            rpo: TimeSpan(seconds: 86_400), rto: TimeSpan(seconds: 3600), sample: SampleSpec(size: .all), limits: limits)
        target.repository = source
        return target
    }

    static func restic(_ temp: TemporaryDirectory, repository: String = "restic-repo", password: String = "pw") -> RepositorySource {
        var source = RepositorySource(tool: .restic, repository: temp.url(repository))
        source.passwordFile = temp.url(password)
        return source
    }

    static func borg(_ temp: TemporaryDirectory, repository: String = "borg-repo") -> RepositorySource {
        var source = RepositorySource(tool: .borg, repository: temp.url(repository))
        source.passwordFile = temp.url("pw")
        return source
    }

    static func check(_ target: Target, in temp: TemporaryDirectory, now: @escaping @Sendable () -> Date = { Date() }) async throws -> Outcome {
        let runner = CheckRunner(scratchBase: temp.url("scratch"), supervisor: WorkerSupervisor(executable: BuiltBinary.path), now: now)
        return try #require(await runner.check(target, seed: 1))
    }

    /// Flips bytes in the middle of the repository's data files of at least (or below) `bytes`:
    /// restic's packs of file data are large here, its tree packs small; borg's segments hold both.
    static func corrupt(_ directory: String, larger: Bool, than bytes: Int, in temp: TemporaryDirectory) throws {
        try Shell.run(
            """
            find \(directory) -type f -size \(larger ? "+" : "-")\(bytes / 1024)k | while read f; do
              chmod u+w "$f"; size=$(stat -c %s "$f")
              printf '\\377\\377\\377\\377\\377\\377\\377\\377' | dd of="$f" bs=1 seek=$((size / 2)) conv=notrunc status=none
            done
            """, in: temp.path)
    }

    @Test func wholeRepositoriesPassAgainstTheManifestThroughTheToolsOwnRestore() async throws {
        let temp = TemporaryDirectory("repo-pass")
        try await Blocking.run { try Self.repositories(temp) }
        let snapshotTime = Date()
        for source in [Self.restic(temp), Self.borg(temp)] {
            let outcome = try await Self.check(Self.target(temp, source), in: temp)
            #expect(outcome.status == .passed, "\(source.tool): \(outcome.findings) \(outcome.summary)")
            #expect(outcome.verification == .manifest && outcome.filesVerified == 4, "\(source.tool): \(outcome.filesVerified)")
            #expect(outcome.restorePointSource == "snapshot_time")
            #expect(abs((outcome.backupTimestamp ?? .distantPast).timeIntervalSince(snapshotTime)) < 120, "the snapshot's recorded time")
            #expect(outcome.archive?.hasPrefix("\(source.tool.rawValue):\(temp.url(source.tool == .restic ? "restic-repo" : "borg-repo"))") == true)
            #expect(outcome.notes.contains { $0.contains(source.tool == .restic ? "1 link(s)" : "2 link(s)") },
                    "the symlink out of the tree is recorded, never created (borg: and its hard link): \(outcome.notes)")
        }
        // Without a manifest the note says what was checked, and by whom.
        let integrity = try await Self.check(Self.target(temp, Self.restic(temp), manifest: false), in: temp)
        #expect(integrity.status == .passed)
        #expect(integrity.notes.contains { $0.hasPrefix("integrity only: no manifest configured; restic verified every chunk it restored") })
    }

    @Test func damageInTheRepositoryFailsNamingWhatDidNotComeBack() async throws {
        let temp = TemporaryDirectory("repo-damage")
        try await Blocking.run {
            try Self.repositories(temp)
            try Shell.run("cp -a restic-repo restic-data && cp -a restic-repo restic-tree && cp -a borg-repo borg-bad", in: temp.path)
            try Self.corrupt("restic-data/data", larger: true, than: 512 * 1024, in: temp)
            try Self.corrupt("restic-tree/data", larger: false, than: 512 * 1024, in: temp)
            try Self.corrupt("borg-bad/data", larger: true, than: 512 * 1024, in: temp)
        }
        // A damaged data pack: restic stops mid-file; the file it was restoring is named.
        let data = try await Self.check(Self.target(temp, Self.restic(temp, repository: "restic-data")), in: temp)
        #expect(data.status == .failed && data.reasons.contains(.archiveCorrupt), "\(data.findings)")
        #expect(data.findings.contains { $0.path == "src/data/big.bin" && $0.reason == .archiveCorrupt }, "\(data.findings)")
        #expect(data.findings.contains { $0.detail?.contains("ciphertext verification failed") == true }, "restic's own words: \(data.findings)")

        // A damaged tree: `restic dump` would skip the directory and exit 0; the listing fails loudly.
        let tree = try await Self.check(Self.target(temp, Self.restic(temp, repository: "restic-tree")), in: temp)
        #expect(tree.status == .failed && tree.reasons == [.archiveCorrupt], "\(tree.findings)")
        #expect(tree.findings.first?.detail?.hasPrefix("restic could not list the files of restic:") == true, "\(tree.findings)")

        var relocated = Self.borg(temp, repository: "borg-bad")
        relocated.snapshot = "nightly-*"
        let borg = try await Self.check(Self.target(temp, relocated), in: temp)
        #expect(borg.status == .failed && borg.reasons.contains(.archiveCorrupt), "\(borg.findings)")
        #expect(borg.findings.contains { $0.detail?.contains("Data integrity error") == true }, "borg's own words: \(borg.findings)")
    }

    @Test func aWrongPasswordOrAMissingRepositoryIsAnErrorAndAnOldSnapshotMissesTheRPO() async throws {
        let temp = TemporaryDirectory("repo-errors")
        try await Blocking.run { try Self.repositories(temp) }
        let wrong = try await Self.check(Self.target(temp, Self.restic(temp, password: "badpw")), in: temp)
        #expect(wrong.status == .error && wrong.reasons == [.sourceUnavailable])
        #expect(wrong.summary.contains("wrong password"), "\(wrong.summary)")
        #expect(!wrong.summary.contains("correct horse") && !"\(wrong.findings)".contains("correct horse"), "no secret in the outcome")

        let missing = try await Self.check(Self.target(temp, Self.borg(temp, repository: "no-such-repo")), in: temp)
        #expect(missing.status == .error && missing.reasons == [.sourceUnavailable], "\(missing.summary)")

        var unmatched = Self.borg(temp)
        unmatched.snapshot = "weekly-*"
        let none = try await Self.check(Self.target(temp, unmatched), in: temp)
        #expect(none.reasons == [.noArchive] && none.summary.hasPrefix("no snapshot in borg:"), "\(none.summary)")

        let later = try await Self.check(Self.target(temp, Self.restic(temp)), in: temp, now: { Date().addingTimeInterval(3 * 86_400) })
        #expect(later.reasons == [.rpoExceeded] && later.rpoMet == false, "judged on the snapshot's recorded time: \(later.reasons)")

        // check-config opens each repository (no restore) and says what a test would take, or why not.
        let config = try temp.write(
            "rc.yaml",
            """
            scratch_dir: \(temp.url("scratch"))
            state_dir: \(temp.url("state"))
            defaults: { rpo: 1d, rto: 1h }
            targets:
              - { name: fs, tenant: acme, restic: { repository: \(temp.url("restic-repo")), password_file: \(temp.url("pw")) } }
              - { name: mail, tenant: acme, restic: { repository: \(temp.url("restic-repo")), password_file: \(temp.url("badpw")) } }

            """)
        let shown = try Shell.execute(BuiltBinary.path, ["check-config", "--config", config])
        #expect(shown.status == 0)
        #expect(shown.stdout.contains("    restic snapshot latest: opens with /usr/bin/restic; a test would take restic:\(temp.url("restic-repo"))#"), "\(shown.stdout)")
        #expect(shown.stdout.contains("    restic snapshot latest: SOURCE_UNAVAILABLE: restic could not list restic:\(temp.url("restic-repo")) (exit status 1): Fatal: wrong password"), "\(shown.stdout)")
        #expect(!shown.stdout.contains("correct horse"))
    }

    /// A fake restic (named so) that never answers: the listing's deadline kills it and its children.
    @Test func aHangingToolIsATimeoutAndLeavesNothingRunning() async throws {
        let temp = TemporaryDirectory("repo-hang")
        // A duration of its own, so processes another (crashed) run left behind are not counted.
        let duration = Int.random(in: 1000...1999)
        let fake = try temp.write("fake-restic-that-hangs", "#!/bin/sh\nsleep \(duration) &\nsleep \(duration)\n")
        chmod(fake, 0o755)
        try temp.write("pw", "x\n")
        var source = Self.restic(temp)
        source.binary = fake
        var limits = RestoreLimits()
        limits.timeout = TimeSpan(seconds: 2)
        let started = Date()
        let outcome = try await Self.check(Self.target(temp, source, limits: limits), in: temp)
        #expect(outcome.status == .error && outcome.reasons == [.timeout], "\(outcome.summary)")
        #expect(Date().timeIntervalSince(started) < 120, "killed at its 2 s deadline, not after its sleep (room for a loaded two-core suite)")
        try await Task.sleep(nanoseconds: 300_000_000)
        let digits = String(duration)
        let survivors = try Shell.execute("/bin/sh", ["-c", "pgrep -f 'sleep \(digits.dropLast())[\(digits.last!)]' | wc -l"])
        #expect(survivors.stdout.trimmingCharacters(in: .whitespacesAndNewlines) == "0", "the tool's whole group is killed")
    }

    /// Ctrl-C or a shutdown while the tool lists: the tool's group is killed and no outcome is
    /// recorded (it would be a false `timeout`), as when a worker is stopped.
    @Test func cancellingWhileTheToolListsRecordsNoOutcome() async throws {
        let temp = TemporaryDirectory("repo-cancel")
        let fake = try temp.write("fake-restic-that-hangs", "#!/bin/sh\nexec sleep 1789\n")
        chmod(fake, 0o755)
        try temp.write("pw", "x\n")
        var source = Self.restic(temp)
        source.binary = fake
        let runner = CheckRunner(scratchBase: temp.url("scratch"), supervisor: WorkerSupervisor(executable: BuiltBinary.path))
        let cancellation = CancellationFlag()
        let started = Date()
        Task {
            try await Task.sleep(nanoseconds: 1_000_000_000)
            cancellation.cancel()
        }
        let outcome = await runner.check(Self.target(temp, source), seed: 1, cancellation: cancellation)
        #expect(outcome == nil)
        #expect(Date().timeIntervalSince(started) < 120, "stopped at the cancellation, not after limits.timeout (6 h)")
        let survivors = try Shell.execute("/bin/sh", ["-c", "pgrep -f 'sleep 178[9]' | wc -l"])
        #expect(survivors.stdout.trimmingCharacters(in: .whitespacesAndNewlines) == "0")
    }
}
