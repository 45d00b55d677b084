import Foundation
import RestoreCheckTestSupport
import Testing

@testable import RestoreCheckCore

/// `compare_with_source`: restored files against their live copies (borgmatic's spot check), for
/// archives made by GNU tar and repositories made by restic, without a manifest: what makes a
/// manifest-less test compare content.
@Suite("Comparison with the live source")
struct LiveSourceTests {
    static func source(_ temp: TemporaryDirectory) throws {
        try Shell.run(
            """
            mkdir -p live/docs live/app && seq 1 20000 > live/docs/orders.csv && echo 'hello' > live/docs/readme.txt
            head -c 300000 /dev/urandom > live/app/data.bin && echo 'log line' > live/app/server.log
            touch -d '2 hours ago' live/docs/* live/app/*
            """, in: temp.path)
    }

    @Test func anArchiveMatchesItsUnchangedLiveFilesAndSkipsChangedOnes() async throws {
        let temp = TemporaryDirectory("live-archive")
        try Self.source(temp)
        try Shell.run(
            """
            tar -C live -czf good.tar.gz .
            # The same tree, but one file's bytes differ while its size and time stay the live file's:
            # a backup that did not keep what it read.
            cp -a live copy && printf 'HELLO\\n' > copy/docs/readme.txt && touch -r live/docs/readme.txt copy/docs/readme.txt
            tar -C copy -czf bad.tar.gz .
            """, in: temp.path)
        let live = LiveSource(path: temp.url("live"))
        let good = try await ArchiveCheck.run(temp.url("good.tar.gz"), in: temp) {
            $0.manifestTemplate = nil
            $0.liveSource = live
        }
        #expect(good.status == .passed, "\(good.findings)")
        #expect(good.notes.contains { $0.hasPrefix("compared with the live source: 4 file(s) unchanged since the backup compared byte for byte; 0 changed and 0 deleted since") }, "\(good.notes)")
        #expect(good.notes.contains { $0.hasSuffix("files missing from the backup not checked (the restore point has no recorded start time: a repository snapshot has one)") })

        // Without the comparison (today) the damaged backup passes: there is no manifest to tell.
        let blind = try await ArchiveCheck.run(temp.url("bad.tar.gz"), in: temp) { $0.manifestTemplate = nil }
        #expect(blind.status == .passed)
        let bad = try await ArchiveCheck.run(temp.url("bad.tar.gz"), in: temp) {
            $0.manifestTemplate = nil
            $0.liveSource = live
        }
        #expect(bad.status == .failed && bad.reasons == [.checksumMismatch], "\(bad.findings)")
        #expect(bad.findings.first?.path == "docs/readme.txt")
        #expect(bad.findings.first?.detail?.hasPrefix("differs from the live file \(temp.url("live"))/docs/readme.txt at byte 0") == true, "\(bad.findings)")

        // Live files changed or deleted since the backup are skipped and counted, never failed.
        try Shell.run("echo more >> live/docs/orders.csv && rm live/app/server.log", in: temp.path)
        let later = try await ArchiveCheck.run(temp.url("good.tar.gz"), in: temp) {
            $0.manifestTemplate = nil
            $0.liveSource = live
        }
        #expect(later.status == .passed, "\(later.findings)")
        #expect(later.notes.contains { $0.hasPrefix("compared with the live source: 2 file(s) unchanged since the backup compared byte for byte; 1 changed and 1 deleted since, skipped (50 % of the sample)") }, "\(later.notes)")
    }

    /// A snapshot records when its backup started, so the live tree is walked for files it lacks.
    @Test func aSnapshotMissingAnOldLiveFileFailsUnlessTheBackupExcludesIt() async throws {
        let temp = TemporaryDirectory("live-restic")
        try Self.source(temp)
        try Shell.run(
            """
            echo pw > pw && export RESTIC_PASSWORD_FILE="$PWD/pw"
            restic init -q --repo repo && (cd live && restic --repo ../repo --no-cache backup -q --exclude '*.log' .)
            sleep 1 && echo 'written after the backup' > live/docs/new.txt
            """, in: temp.path)
        var source = RepositorySource(tool: .restic, repository: temp.url("repo"))
        source.passwordFile = temp.url("pw")
        var target = RepositorySourceTests.target(temp, source, manifest: false)
        target.liveSource = LiveSource(path: temp.url("live"))
        let missing = try await RepositorySourceTests.check(target, in: temp)
        #expect(missing.status == .failed && missing.reasons == [.entryMissing], "\(missing.findings)")
        #expect(missing.findings.map(\.path) == ["app/server.log"], "new.txt is newer than the backup: \(missing.findings)")
        #expect(missing.notes.contains { $0.contains("4 live file(s) older than the backup's start checked for presence in it") }, "\(missing.notes)")

        target.liveSource?.exclude = ["**/*.log"]
        let excluded = try await RepositorySourceTests.check(target, in: temp)
        #expect(excluded.status == .passed, "\(excluded.findings)")
        #expect(excluded.notes.contains { $0.hasPrefix("compared with the live source: 3 file(s) unchanged since the backup compared byte for byte") }, "\(excluded.notes)")
    }
}
