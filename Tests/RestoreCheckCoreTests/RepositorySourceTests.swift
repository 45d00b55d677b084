import Foundation
import RestoreCheckTestSupport
import Testing

@testable import RestoreCheckCore

/// restic and borg repositories as restore sources, made at test time by Debian's `restic` and
/// `borgbackup`: the newest snapshot is restored by the tool itself (`restic restore`, `borg
/// extract`) into scratch, in its sandbox, and verified in place against a manifest; samples restore
/// only the drawn files and are projected from the last full restore; damage in the repository, a
/// wrong password, an old snapshot, a hanging tool and a hostile archive each get their verdict.
@Suite("restic and borg repositories")
struct RepositorySourceTests {
    /// `src/` (text, a 2 MiB random file, a symlink out of the tree, a hard link), its manifest, a restic
    /// repository and a borg repository of it, both encrypted with the password in `pw`.
    /// `extra`: shell run in the temporary directory before the manifest is taken (more files).
    static func repositories(_ temp: TemporaryDirectory, extra: String = "") throws {
        try Shell.run(
            """
            mkdir -p src/docs src/data && seq 1 20000 > src/docs/orders.csv && echo 'hello' > src/docs/readme.txt
            \(extra)
            head -c 2097152 /dev/urandom > src/data/big.bin && ln -s /etc src/etc-link
            ln src/docs/readme.txt src/docs/readme-hardlink.txt   # both tools restore it as a hard link
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
        // The snapshots are taken between these two instants: a bracket, not a tolerance, so a
        // loaded suite cannot push the check outside it.
        let beforeBackup = Date()
        try await Blocking.run { try Self.repositories(temp) }
        let afterBackup = Date()
        // borg's passcommand runs outside the sandbox (it may read what the sandbox hides) and borg
        // reads what it printed on its stdin.
        var commanded = Self.borg(temp)
        commanded.passwordFile = nil
        commanded.passcommand = "cat '\(temp.url("pw"))'"
        for source in [Self.restic(temp), Self.borg(temp), commanded] {
            let outcome = try await Self.check(Self.target(temp, source), in: temp)
            #expect(outcome.status == .passed, "\(source.tool): \(outcome.findings) \(outcome.summary)")
            #expect(outcome.verification == .manifest && outcome.filesVerified == 4, "\(source.tool): \(outcome.filesVerified)")
            #expect(outcome.restorePointSource == "snapshot_time")
            #expect(outcome.backupTimestamp.map { $0 >= beforeBackup.addingTimeInterval(-1) && $0 <= afterBackup.addingTimeInterval(1) } == true,
                    "the snapshot's recorded time: \(String(describing: outcome.backupTimestamp)) not in \(beforeBackup)...\(afterBackup)")
            #expect(outcome.archive?.hasPrefix("\(source.tool.rawValue):\(temp.url(source.tool == .restic ? "restic-repo" : "borg-repo"))") == true)
            #expect(outcome.notes.contains { $0.contains("1 link(s)") }, "the tool's symlink is recorded, never followed: \(outcome.notes)")
            #expect(outcome.projectedFullRestoreSeconds.map { $0 > 0 && $0 < outcome.restoreSeconds ?? 0 } == true,
                    "a full test's RTO is the tool's measured restore, verification not included")
        }
        // Without a manifest the note says what was checked, and by whom.
        let integrity = try await Self.check(Self.target(temp, Self.restic(temp), manifest: false), in: temp)
        #expect(integrity.status == .passed)
        #expect(integrity.notes.contains { $0.hasPrefix("integrity only: no manifest configured; restic verified every chunk it restored") })
    }

    /// A sample restores only the drawn files (names with glob characters too, matched literally),
    /// and its RTO is projected from the last full restore of the target; with none on record, the
    /// first sampled test restores everything and records it.
    @Test func samplesRestoreOnlyTheDrawnFilesAndAreProjectedFromTheLastFullRestore() async throws {
        let temp = TemporaryDirectory("repo-sample")
        try await Blocking.run { try Self.repositories(temp, extra: "echo odd > 'src/docs/we[ir]d*name?.txt'") }
        for source in [Self.restic(temp), Self.borg(temp)] {
            var target = Self.target(temp, source)
            target.sample = SampleSpec(size: .files(1), include: ["src/docs/we[ir]d*name?.txt"])
            target.restoreTimePath = temp.url("state/\(source.tool.rawValue).json")
            let first = try await Self.check(target, in: temp)
            #expect(first.status == .passed && first.filesVerified == 5, "\(source.tool): \(first.findings) \(first.filesVerified)")
            #expect(first.notes.contains { $0.hasPrefix("the whole snapshot was restored, not a sample") }, "\(first.notes)")
            let record = try #require(RepositoryRestoreTime.load(target.restoreTimePath!))
            #expect(record.files == 5 && record.bytes > 2_097_152)

            let sampled = try await Self.check(target, in: temp)
            #expect(sampled.status == .passed, "\(source.tool): \(sampled.findings) \(sampled.summary)")
            #expect(sampled.filesVerified == 2 && sampled.filesInArchive == 5, "the include and one drawn file: \(sampled.filesVerified)")
            #expect(sampled.notes.contains { $0.hasPrefix("full restore projected from the last full restore of this target") }, "\(sampled.notes)")
            #expect(sampled.projectedFullRestoreSeconds.map { abs($0 - record.seconds) < 0.001 || $0 > record.seconds } == true,
                    "the record's time (same size), or the sample's own if longer")
            #expect(RepositoryRestoreTime.load(target.restoreTimePath!) == record, "a sample does not overwrite the full restore's record")
            #expect(sampled.notes.contains { $0.hasPrefix("sample drawn from the manifest's 5 entries") }, "\(sampled.notes)")

            // Without a manifest the sample is drawn from the tool's listing, which also counts the bytes.
            var listed = target
            listed.manifestTemplate = nil
            let fromListing = try await Self.check(listed, in: temp)
            #expect(fromListing.status == .passed && fromListing.filesVerified == 2, "\(source.tool): \(fromListing.findings)")
            #expect(fromListing.filesInArchive == 5 && (fromListing.bytesInArchive ?? 0) > 2_097_152)

            // The manifest is the population: a file it lists that the snapshot lacks, once drawn, is missing.
            let promise = try String(contentsOfFile: temp.url("manifest.sha256"), encoding: .utf8)
                + "\(String(repeating: "0", count: 64))  src/docs/gone.txt\n"
            try promise.write(toFile: temp.url("gone.sha256"), atomically: true, encoding: .utf8)
            var promised = target
            promised.manifestTemplate = temp.url("gone.sha256")
            promised.sample = SampleSpec(size: .files(0), include: ["src/docs/gone.txt"])
            let gone = try await Self.check(promised, in: temp)
            #expect(gone.status == .failed && gone.reasons == [.entryMissing], "\(source.tool): \(gone.findings)")
            #expect(gone.findings.contains { $0.path == "src/docs/gone.txt" && $0.detail == "drawn for the sample and asked of the backup tool, which did not restore it" })
        }
    }

    /// Measured with borg 1.2.4: an archive holding a symlink `lnk -> <outside>` and then a file
    /// `lnk/through.txt` (made by `borg import-tar`) makes a bare `borg extract` write through the
    /// link, outside its target. In the sandbox nothing outside scratch is reachable: the write
    /// fails, borg warns, and the manifest's file is missing.
    @Test func aHostileArchiveCannotMakeTheToolWriteOutsideScratch() async throws {
        let temp = TemporaryDirectory("repo-hostile")
        let outside = temp.url("outside")
        try await Blocking.run {
            try Shell.run(
                """
                mkdir outside && echo 'correct horse battery staple' > pw
                python3 - <<'PY'
                import io, tarfile
                with tarfile.open("hostile.tar", "w") as t:
                    for name, data in [("../escape.txt", b"x"), ("ok.txt", b"ok\\n")]:
                        i = tarfile.TarInfo(name); i.size = len(data); t.addfile(i, io.BytesIO(data))
                    s = tarfile.TarInfo("lnk"); s.type = tarfile.SYMTYPE; s.linkname = "\(outside)"; t.addfile(s)
                    i = tarfile.TarInfo("lnk/through.txt"); i.size = 2; t.addfile(i, io.BytesIO(b"yy"))
                PY
                export BORG_PASSCOMMAND="cat $PWD/pw" BORG_BASE_DIR="$PWD/borg-home"
                borg init -e repokey borg-repo 2>/dev/null && borg import-tar borg-repo::hostile hostile.tar
                printf '%s  ok.txt\\n%s  lnk/through.txt\\n' $(printf 'ok\\n' | sha256sum | cut -c1-64) $(printf yy | sha256sum | cut -c1-64) > manifest.sha256
                """, in: temp.path)
        }
        let outcome = try await Self.check(Self.target(temp, Self.borg(temp)), in: temp)
        #expect(try FileManager.default.contentsOfDirectory(atPath: outside).isEmpty, "nothing written through the link")
        #expect(!FileManager.default.fileExists(atPath: temp.url("escape.txt")) && !FileManager.default.fileExists(atPath: temp.url("scratch/escape.txt")))
        #expect(outcome.status == .failed && outcome.reasons.contains(.entryMissing), "\(outcome.findings)")
        #expect(outcome.findings.contains { $0.path == "lnk/through.txt" && $0.reason == .entryMissing }, "\(outcome.findings)")
        #expect(outcome.filesVerified == 1, "ok.txt came back intact")
    }

    /// The false failure: a device node in a borg archive cannot be recreated in the sandbox (no
    /// CAP_MKNOD), and borg says so with exit status 1, its "warnings". Every file came back intact,
    /// so the test passes, with borg's words in a note.
    @Test func aBorgWarningIsANoteWhenEveryFileCameBack() async throws {
        let temp = TemporaryDirectory("repo-warning")
        try await Blocking.run {
            try Shell.run(
                """
                echo 'correct horse battery staple' > pw
                python3 - <<'PY'
                import io, tarfile
                with tarfile.open("dev.tar", "w") as t:
                    i = tarfile.TarInfo("ok.txt"); i.size = 3; t.addfile(i, io.BytesIO(b"ok\\n"))
                    d = tarfile.TarInfo("dev/null-copy"); d.type = tarfile.CHRTYPE; d.devmajor = 1; d.devminor = 3; t.addfile(d)
                PY
                export BORG_PASSCOMMAND="cat $PWD/pw" BORG_BASE_DIR="$PWD/borg-home"
                borg init -e repokey borg-repo 2>/dev/null && borg import-tar borg-repo::devices dev.tar
                printf 'ok\\n' | sha256sum | sed 's|-$|ok.txt|' > manifest.sha256
                """, in: temp.path)
        }
        let outcome = try await Self.check(Self.target(temp, Self.borg(temp)), in: temp)
        #expect(outcome.status == .passed && outcome.filesVerified == 1, "\(outcome.findings) \(outcome.summary)")
        #expect(outcome.notes.contains { $0.hasPrefix("borg said while restoring (exit status 1)") && $0.contains("null-copy") }, "\(outcome.notes)")
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
        // A damaged data pack: restic skips the chunk and says which file; what it left there (if
        // anything) is not the manifest's file.
        let data = try await Self.check(Self.target(temp, Self.restic(temp, repository: "restic-data")), in: temp)
        #expect(data.status == .failed && data.reasons.contains(.archiveCorrupt), "\(data.findings)")
        // restic packs the blobs of several files together, so which file the flip hit depends on
        // where its blob landed in the pack: read the file from restic's own words, then require the
        // finding for that file. Where restic stops depends on the chunk: a file with a hole, or none.
        let named = (data.findings.first?.detail ?? "").split(separator: "\n").compactMap { line -> String? in
            guard let start = line.range(of: "ignoring error for /"), let end = line.range(of: ": ciphertext verification failed"),
                  start.upperBound <= end.lowerBound
            else { return nil }
            return String(line[start.upperBound..<end.lowerBound])
        }
        #expect(!named.isEmpty, "restic's own words, naming the file: \(data.findings)")
        for path in Set(named) {
            #expect(data.findings.contains { $0.path == path && [.checksumMismatch, .entryMissing].contains($0.reason) }, "\(path): \(data.findings)")
        }

        // A damaged tree: the directory does not come back; restic says so and each missing file is named.
        let tree = try await Self.check(Self.target(temp, Self.restic(temp, repository: "restic-tree")), in: temp)
        #expect(tree.status == .failed && tree.reasons == [.archiveCorrupt, .entryMissing], "\(tree.findings)")
        #expect(tree.findings.first?.detail?.hasPrefix("restic could not restore all it was asked for (exit status 1)") == true, "\(tree.findings)")
        #expect(tree.findings.contains { $0.path == "src/docs/orders.csv" && $0.reason == .entryMissing }, "\(tree.findings)")

        var relocated = Self.borg(temp, repository: "borg-bad")
        relocated.snapshot = "nightly-*"
        let borg = try await Self.check(Self.target(temp, relocated), in: temp)
        #expect(borg.status == .failed && borg.reasons.contains(.archiveCorrupt), "\(borg.findings)")
        #expect(borg.findings.contains { $0.detail?.contains("Data integrity error") == true }, "borg's own words: \(borg.findings)")
    }

    /// A restic repository in a bucket (restic's own S3 backend, here against rclone, which checks
    /// signatures): the target's credentials file reaches restic in its sandbox, which shares the
    /// network for a URL; a wrong key is an error naming the store, never a failed backup.
    @Test func aResticRepositoryInABucketPassesWithTheTargetsCredentialsFile() async throws {
        let temp = TemporaryDirectory("repo-s3")
        let server = try await Blocking.run { try S3TestServer(.rclone, root: temp.url("store")) }
        try FileManager.default.createDirectory(atPath: temp.url("store/restic-bucket"), withIntermediateDirectories: true)
        let url = "s3:\(server.endpoint)/restic-bucket/acme"
        try await Blocking.run {
            try Shell.run(
                """
                mkdir -p src/docs && seq 1 5000 > src/docs/orders.csv && echo hello > src/docs/readme.txt
                find src -type f | sort | xargs sha256sum > manifest.sha256
                echo 'correct horse battery staple' > pw
                export RESTIC_PASSWORD_FILE="$PWD/pw" AWS_ACCESS_KEY_ID=\(S3TestServer.accessKey) AWS_SECRET_ACCESS_KEY=\(S3TestServer.secretKey)
                restic init -q --repo \(url) && restic --repo \(url) --no-cache backup -q src
                """, in: temp.path)
        }
        var source = RepositorySource(tool: .restic, repository: url)
        source.passwordFile = temp.url("pw")
        source.credentialsFile = try server.credentialsFile(in: temp)
        let outcome = try await Self.check(Self.target(temp, source), in: temp)
        #expect(outcome.status == .passed && outcome.filesVerified == 2, "\(outcome.summary) \(outcome.findings)")
        #expect(!"\(outcome)".contains(S3TestServer.secretKey))

        source.credentialsFile = try server.credentialsFile(in: temp, secret: "wrong-secret")
        let denied = try await Self.check(Self.target(temp, source), in: temp)
        #expect(denied.status == .error && denied.reasons == [.sourceUnavailable], "\(denied.summary)")
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

    /// A borg passcommand that answers when the repository is listed and fails when the restore asks
    /// again (a vault that sealed in between): the source's failure, `source_unavailable`, with the
    /// command's words and no secret; never a failed restore.
    @Test func aPasscommandThatFailsAtRestoreTimeIsTheSourcesFailure() async throws {
        let temp = TemporaryDirectory("repo-passcommand")
        try await Blocking.run { try Self.repositories(temp) }
        let script = try temp.write(
            "vault.sh",
            """
            #!/bin/sh
            if [ -e '\(temp.url("asked"))' ]; then echo 'vault is sealed' >&2; exit 3; fi
            touch '\(temp.url("asked"))' && cat '\(temp.url("pw"))'

            """)
        chmod(script, 0o755)
        var source = Self.borg(temp)
        source.passwordFile = nil
        source.passcommand = script
        let outcome = try await Self.check(Self.target(temp, source), in: temp)
        #expect(FileManager.default.fileExists(atPath: temp.url("asked")), "the listing used the passcommand once")
        #expect(outcome.status == .error && outcome.reasons == [.sourceUnavailable], "\(outcome.status) \(outcome.reasons) \(outcome.summary)")
        #expect(outcome.summary.contains("borg's passcommand") && outcome.summary.contains("vault is sealed"), "\(outcome.summary)")
        #expect(!outcome.summary.contains("correct horse") && !"\(outcome.findings)".contains("correct horse"), "no secret in the outcome")
    }

    /// The listings (`restic snapshots`, `restic ls`) read the repository's metadata, the attacker's
    /// as much as its files: they run in the restore's sandbox. A wrapper (named so) around the real
    /// restic tries to write beside the repository each time it runs; outside the sandbox it can.
    @Test func theToolsListingsRunInItsSandbox() async throws {
        let temp = TemporaryDirectory("repo-listing-sandbox")
        try await Blocking.run { try Self.repositories(temp) }
        let wrapper = try temp.write(
            "restic-wrapper-that-tries-to-escape",
            "#!/bin/sh\ntouch '\(temp.url("escaped"))' 2>/dev/null && echo \"$1 $2 $3 $4 $5\" >> '\(temp.url("escaped"))'\nexec /usr/bin/restic \"$@\"\n")
        chmod(wrapper, 0o755)
        try await Blocking.run { try Shell.run("'\(wrapper)' version >/dev/null && rm '\(temp.url("escaped"))'", in: temp.path) }  // the control: outside, it writes
        var source = Self.restic(temp)
        source.binary = wrapper
        var target = Self.target(temp, source, manifest: false)
        target.sample = SampleSpec(size: .files(2))
        // Sampled without a manifest and with no full restore on record: the whole snapshot first,
        // then a sample drawn from `restic ls`.
        target.restoreTimePath = temp.url("restore-time.json")
        for _ in 0..<2 {
            let outcome = try await Self.check(target, in: temp)
            #expect(outcome.status == .passed, "\(outcome.summary) \(outcome.findings)")
        }
        let escaped = (try? String(contentsOfFile: temp.url("escaped"), encoding: .utf8)) ?? ""
        #expect(escaped.isEmpty, "the tool ran outside its sandbox for: \(escaped)")
    }

    /// A snapshot holding a device node: restic in the sandbox (no `CAP_MKNOD`) cannot recreate it
    /// and exits 1. That is our sandbox's doing: a note (as borg's warning is), with every regular
    /// file verified against the manifest; a damaged repository with the same node still fails.
    /// Needs root, to make the node.
    @Test(.enabled(if: getuid() == 0, "mknod needs root"))
    func aDeviceNodeTheSandboxCannotCreateIsANoteNotCorruption() async throws {
        let temp = TemporaryDirectory("repo-device")
        try await Blocking.run { try Self.repositories(temp, extra: "mkdir -p src/dev && mknod src/dev/null0 c 1 3") }
        let outcome = try await Self.check(Self.target(temp, Self.restic(temp)), in: temp)
        #expect(outcome.status == .passed, "\(outcome.summary) \(outcome.findings)")
        #expect(outcome.notes.contains { $0.hasPrefix("restic could not recreate 1 device node(s) (/src/dev/null0)") }, "\(outcome.notes)")
        #expect(outcome.filesVerified == 4 && outcome.verification == .manifest, "every regular file: \(outcome.filesVerified)")

        try Self.corrupt(temp.url("restic-repo/data"), larger: true, than: 1 << 20, in: temp)
        let damaged = try await Self.check(Self.target(temp, Self.restic(temp)), in: temp)
        #expect(damaged.status == .failed && damaged.reasons.contains(.archiveCorrupt), "\(damaged.summary)")
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
        // The sleep is ≥ 1000 s: any bound below it proves the deadline killed the tool, and a wide
        // one never measures the load of a two-core suite (142 s seen in CI).
        #expect(Date().timeIntervalSince(started) < 900, "killed at its 2 s deadline, not after its sleep")
        let digits = String(duration)
        let pattern = "sleep \(digits.dropLast())[\(digits.last!)]"
        #expect(try await Blocking.run { Survivors.remaining(matching: pattern) } == 0, "the tool's whole group is killed")

        // A tool that lists its snapshot and then hangs restoring it (in its sandbox): the same.
        let restoring = try temp.write(
            "fake-restic-that-hangs-restoring",
            "#!/bin/sh\ncase \"$*\" in *snapshots*) echo '[{\"id\":\"0123456789abcdef\",\"time\":\"2026-01-01T00:00:00Z\"}]' ;;\n"
                + "*) sleep \(duration + 1) ;; esac\n")
        chmod(restoring, 0o755)
        try FileManager.default.createDirectory(atPath: temp.url("restic-repo"), withIntermediateDirectories: true)
        source.binary = restoring
        let hung = try await Self.check(Self.target(temp, source, limits: limits), in: temp)
        #expect(hung.reasons.contains(.timeout), "\(hung.summary)")
        #expect(hung.summary.contains("did not finish restoring"), "\(hung.summary)")
        let after = String(duration + 1)
        let afterPattern = "sleep \(after.dropLast())[\(after.last!)]"
        #expect(try await Blocking.run { Survivors.remaining(matching: afterPattern) } == 0, "the sandbox and the tool in it are killed")
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
        #expect(Date().timeIntervalSince(started) < 1500, "stopped at the cancellation, not after the fake's 1789 s sleep")
        #expect(try await Blocking.run { Survivors.remaining(matching: "sleep 178[9]") } == 0)
    }
}
