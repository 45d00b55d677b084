import Foundation
import RestoreCheckTestSupport
import Testing

@testable import RestoreCheckCore

/// Changes between restore points, from the manifests: a week of ordinary churn on a small file
/// server never triggers; encryption in place, a mass rename to a ransomware extension, random
/// per-file extensions and a halved backup each do, and with `change_checks: off` (today's
/// behaviour) every one of them passes. Real GNU tar archives and sha256sum manifests.
@Suite("Changes between restore points")
struct ChangeDetectionTests {
    /// The simulated clock's first day: an hour from now, since the archives' modification times are
    /// real and a restore point later than the test's clock would be dated in the future.
    static let day0 = Date().addingTimeInterval(3_600)

    /// 200 .docx, 100 .xlsx, 100 .pdf, 150 .txt (text content, so content checks stay quiet) and
    /// two large .sql dumps holding most of the bytes.
    static let baseline = """
        mkdir -p src/docs src/sheets src/pdf src/text src/db
        for i in $(seq 1 200); do printf 'document %s\\nline two of %s\\n' $i $i > src/docs/report-$i.docx; done
        for i in $(seq 1 100); do printf 'sheet %s\\n' $i > src/sheets/budget-$i.xlsx; done
        for i in $(seq 1 100); do printf 'pdf %s\\n' $i > src/pdf/scan-$i.pdf; done
        for i in $(seq 1 150); do printf 'note %s\\n' $i > src/text/note-$i.txt; done
        for n in 1 2; do seq 1 60000 | sed "s/^/INSERT INTO t VALUES ($n, /" > src/db/dump-$n.sql; done
        """

    /// One day of ordinary work: 12 documents edited, 3 notes added, 2 deleted.
    static func churn(_ day: Int) -> String {
        """
        for k in $(seq 1 12); do echo "edit \(day)" >> src/docs/report-$(( (\(day) * 37 + k * 13) % 200 + 1 )).docx; done
        for k in 1 2 3; do printf 'new note\\n' > src/text/new-\(day)-$k.txt; done
        rm -f src/text/note-$(( \(day) * 2 )).txt src/text/note-$(( \(day) * 2 + 1 )).txt
        """
    }

    static let backup = "(cd src && find . -type f | sort | xargs sha256sum) > fs.tar.sha256 && tar -C src -cf fs.tar ."

    static func target(_ temp: TemporaryDirectory, mode: CheckMode = .fail, summary: String = "state/changes/fs.summary") -> Target {
        var target = Target(
            name: "fs", tenant: "acme", archiveGlob: temp.url("fs.tar"), manifestTemplate: "{archive}.sha256",
            // An RTO no projection reaches: these tests are about changes, not restore time. A
            // fresh-clone CI run under full load once failed day 0 with no finding: a 5-file sample
            // of 20-40-byte files fitted its per-byte cost over a few bytes' spread, so one stalled
            // file extrapolated to hours for the 3 MB of dumps (now bounded: RestoreProjection.dataLine).
            rpo: TimeSpan(seconds: 3_650 * 86_400), rto: TimeSpan(seconds: 30 * 86_400), sample: SampleSpec(size: .files(5)))
        target.changeChecks = mode
        target.changeSummaryPath = temp.url(summary)
        return target
    }

    static func check(_ target: Target, day: Int, in temp: TemporaryDirectory) async throws -> Outcome {
        let now = day0.addingTimeInterval(Double(day) * 86_400)
        let runner = CheckRunner(scratchBase: temp.url("scratch"), supervisor: WorkerSupervisor(executable: BuiltBinary.path), now: { now })
        return try #require(await runner.check(target, seed: UInt64(day)))
    }

    /// The baseline and eight days of churn; every test passes and the history holds their shares.
    static func week(_ temp: TemporaryDirectory) async throws {
        try await Blocking.run { try Shell.run(baseline + "\n" + backup, in: temp.path) }
        for day in 0...8 {
            if day > 0 { try await Blocking.run { try Shell.run(churn(day) + "\n" + backup, in: temp.path) } }
            let outcome = try await check(target(temp), day: day, in: temp)
            #expect(outcome.status == .passed, "day \(day): \(outcome.reasons) \(outcome.summary) \(outcome.findings)")
            if day > 0 { #expect(outcome.notes.contains { $0.hasPrefix("changes since the previous restore point: 3 added, 2 deleted, 12 of") }, "\(outcome.notes)") }
        }
        let summary = try #require(try ChangeSummary.load(temp.url("state/changes/fs.summary")))
        #expect(summary.changedHistory.count == 8 && summary.files == 552 + 8)
    }

    @Test(arguments: [
        ("encrypted in place", "for f in $(find src -type f); do openssl enc -aes-256-cbc -pbkdf2 -pass pass:x -in $f -out $f.tmp && mv $f.tmp $f; done",
         "changed since the previous restore point; the target's last 8 points changed"),
        ("renamed to .locky", "for f in src/docs/*.docx; do mv $f $f.locky; done",
         "mass deletion: 200 of 200 '.docx' files (100 %) gone since the previous restore point"),
        ("random extensions", "i=0; for f in $(ls src/sheets/* | head -30); do i=$((i+1)); mv $f $f.x$i$RANDOM; done",
         "30 extensions this target never had before"),
        ("halved", "rm src/db/dump-1.sql src/db/dump-2.sql",
         "total size down from"),
    ])
    func anAttackDayTriggersAndTodaysBehaviourPassesIt(name: String, attack: String, detail: String) async throws {
        let temp = TemporaryDirectory("changes-\(name.replacingOccurrences(of: " ", with: "-"))")
        try await Self.week(temp)
        try await Blocking.run { try Shell.run("cp state/changes/fs.summary baseline.summary && " + attack + "\n" + Self.backup, in: temp.path) }

        let blind = try await Self.check(Self.target(temp, mode: .off), day: 9, in: temp)
        #expect(!blind.reasons.contains(.suspiciousChange), "off: nothing compared")

        let outcome = try await Self.check(Self.target(temp, summary: "baseline.summary"), day: 9, in: temp)
        #expect(outcome.status == .failed)
        #expect(outcome.reasons.contains(.suspiciousChange))
        let finding = try #require(outcome.findings.first { $0.reason == .suspiciousChange })
        #expect(finding.path == temp.url("fs.tar.sha256"))
        #expect(finding.detail?.contains(detail) == true, "\(finding.detail ?? "")")

        // The same restore point tested again is not compared again; the next one is compared with it.
        let again = try await Self.check(Self.target(temp, summary: "baseline.summary"), day: 9, in: temp)
        #expect(!again.reasons.contains(.suspiciousChange))

        let warned = try await Self.check(Self.target(temp, mode: .warn, summary: "state/changes/fs.summary"), day: 9, in: temp)
        #expect(!warned.reasons.contains(.suspiciousChange))
        #expect(warned.notes.contains { $0.hasPrefix("suspicious change (change_checks: warn): ") && $0.contains(detail) }, "\(warned.notes)")
    }

    @Test func aStaticDatasetsFirstEditIsNotAnAttack() async throws {
        let temp = TemporaryDirectory("changes-static")
        try await Blocking.run { try Shell.run(Self.baseline + "\n" + Self.backup, in: temp.path) }
        for day in 0...6 {
            // Nothing changes but one new note a day: the changed share's history is all zeros.
            if day > 0 { try await Blocking.run { try Shell.run("printf 'n\\n' > src/text/day-\(day).txt\n" + Self.backup, in: temp.path) } }
            #expect(try await Self.check(Self.target(temp), day: day, in: temp).status == .passed)
        }
        try await Blocking.run { try Shell.run("echo edit >> src/docs/report-1.docx && echo edit >> src/docs/report-2.docx\n" + Self.backup, in: temp.path) }
        let outcome = try await Self.check(Self.target(temp), day: 7, in: temp)
        #expect(outcome.status == .passed, "2 of 558 files changed: above mean + 3σ (all zeros), below the 5 % floor: \(outcome.findings)")
    }

    /// Churn that is not an attack, in one day: `git gc` packs a real repository's 600-odd loose
    /// objects (extension-less files, gone by the hundred), a log rotated into `app.log.1` … `.40`,
    /// and version files named as Nextcloud names them (`name.v<Unix time>`; the names made here,
    /// Nextcloud itself is not installed). Before, the first was "mass deletion: files without an
    /// extension" and the others "extensions this target never had before".
    @Test func gitGCLogRotationAndVersionFilesAreNotAnAttack() async throws {
        let temp = TemporaryDirectory("changes-churn")
        try await Blocking.run { try Shell.run(
            Self.baseline + """

            mkdir -p src/repo src/logs src/cloud && cd src/repo && git init -q . && git config user.email a@b.example && git config user.name a
            for i in $(seq 1 300); do echo "module $i" > m$i.txt; git add m$i.txt; git commit -qm "m$i"; done
            cd ../.. && seq 1 1000 > src/logs/app.log && printf 'notes\n' > src/cloud/notes.txt
            """ + "\n" + Self.backup, in: temp.path) }
        let loose = try Shell.run("find src/repo/.git/objects -type f | grep -c '/[0-9a-f][0-9a-f]/'", in: temp.path).stdout
        #expect((Int(loose.trimmingCharacters(in: .whitespacesAndNewlines)) ?? 0) > 600, "loose objects: \(loose)")
        #expect(try await Self.check(Self.target(temp), day: 0, in: temp).status == .passed)

        try await Blocking.run { try Shell.run(
            """
            (cd src/repo && git gc -q)
            for i in $(seq 40 -1 1); do seq 1 $i > src/logs/app.log.$i; done
            for d in $(seq 1 25); do printf 'notes %s\n' $d > src/cloud/notes.txt.v$((1764400613 + d * 86400)); done
            """ + "\n" + Self.backup, in: temp.path) }
        let outcome = try await Self.check(Self.target(temp), day: 1, in: temp)
        #expect(outcome.status == .passed, "\(outcome.findings)")
        #expect(!outcome.reasons.contains(.suspiciousChange), "\(outcome.findings)")
        #expect(outcome.notes.contains { $0.hasPrefix("changes since the previous restore point:") && $0.contains("deleted") }, "\(outcome.notes)")
    }

    @Test func versionSuffixesAreNotExtensions() {
        let ext = { (name: String) in ChangeSummary.fileExtension(EntryName(bytes: Array(name.utf8))) }
        #expect(ext("logs/app.log.12") == "" && ext("a/notes.txt.v1764400613") == "" && ext("x.d1764400613000") == "")
        #expect(ext("budget-1.xlsx.x1723456") == "x1723456", "a random extension (the attack test's) is still one")
        #expect(ext("video.mp4") == "mp4" && ext("clip.h264") == "h264" && ext("report.DOCX") == "docx")
    }

    @Test func theSummaryIsEightBytesPerFileAndHoldsNoNames() async throws {
        try await Blocking.run {
            let temp = TemporaryDirectory("changes-summary")
            try Shell.run(Self.baseline + "\n" + Self.backup, in: temp.path)
            let summary = try ChangeSummary.of(manifest: temp.url("fs.tar.sha256"), bytes: 1_000, key: Array(0..<16))
            #expect(summary.files == 552 && summary.extensionCounts == ["docx": 200, "xlsx": 100, "pdf": 100, "txt": 150, "sql": 2])
            try summary.write(to: temp.url("s/fs.summary"))
            let bytes = try Data(contentsOf: URL(fileURLWithPath: temp.url("s/fs.summary")))
            #expect(bytes.range(of: Data("report-".utf8)) == nil)
            let fixed = 8 + 16 + 32 + 16 + 4 + 4 + 4 + 8
            let extensions = summary.seenExtensions.reduce(0) { $0 + 1 + $1.utf8.count } + summary.extensionCounts.keys.reduce(0) { $0 + 5 + $1.utf8.count }
            #expect(bytes.count == fixed + extensions + 8 * 552)
            #expect(try ChangeSummary.load(temp.url("s/fs.summary")) == summary)
            try bytes.prefix(100).write(to: URL(fileURLWithPath: temp.url("s/fs.summary")))
            #expect(throws: ChangeSummary.Failure.self) { try ChangeSummary.load(temp.url("s/fs.summary")) }
        }
    }
}
