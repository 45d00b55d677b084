import Foundation
import Glibc
import RestoreCheckCore
import RestoreCheckTestSupport
import Testing

/// `restorecheck report` and `restorecheck evidence` from the command line, on a history written by
/// real `restorecheck run`s; signatures checked with the openssl CLI a customer would use.
@Suite("restorecheck report / evidence from the command line")
struct ReportCommandTests {
    let cli = RunCommandTests()

    func restorecheck(_ arguments: [String]) throws -> Shell.Result { try cli.restorecheck(arguments) }

    /// Two real runs: acme/fileserver passes, initech/nas fails (a flipped byte).
    func history(_ temp: TemporaryDirectory) throws -> String {
        let config = try cli.makeConfig(temp, broken: true)
        for _ in 0..<2 { #expect(try restorecheck(["run", "--config", config]).status == 1) }
        return config
    }

    @Test func aSignedReportVerifiesWithOpenSSLAndFailsWhenChanged() async throws {
        try await Blocking.run {
            let temp = TemporaryDirectory("cli-report-sign")
            let config = try history(temp)
            let written = try restorecheck(["report", "--config", config, "--all-tenants", "--since", "7d", "--output-dir", temp.url("reports"), "--sign"])
            #expect(written.status == 0, "\(written.stderr)")
            #expect(written.stdout.contains(temp.url("reports/acme.html")) && written.stdout.contains(temp.url("reports/initech.html")))
            let key = try restorecheck(["evidence", "public-key", "--config", config])
            #expect(key.stdout.hasPrefix("-----BEGIN PUBLIC KEY-----"))
            let publicKey = try temp.write("msp.pub.pem", key.stdout)
            let mode = try FileManager.default.attributesOfItem(atPath: temp.url("state/report-signing-key.pem"))[.posixPermissions] as? Int
            #expect(mode == 0o600, "the private key is readable by its owner only")

            let verify = "openssl pkeyutl -verify -pubin -inkey \"$KEY\" -rawin -in \"$REPORT\" -sigfile \"$REPORT.sig\""
            let good = try Shell.execute("/bin/sh", ["-c", verify], environment: ["KEY": publicKey, "REPORT": temp.url("reports/initech.html")])
            #expect(good.status == 0 && good.stdout.contains("Signature Verified Successfully"), "\(good.stdout)\(good.stderr)")
            let html = try String(contentsOfFile: temp.url("reports/initech.html"), encoding: .utf8)
            #expect(html.contains("<tr data-target=\"nas\">") && html.contains("Failed test"))
            try html.replacingOccurrences(of: "failed", with: "passed").write(toFile: temp.url("reports/initech.html"), atomically: true, encoding: .utf8)
            let bad = try Shell.execute("/bin/sh", ["-c", verify], environment: ["KEY": publicKey, "REPORT": temp.url("reports/initech.html")])
            #expect(bad.status != 0 && bad.stdout.contains("Signature Verification Failure"))
        }
    }

    /// `--format pdf`: the HTML report printed by headless Chromium in its sandbox, read back by
    /// `pdftotext`, signed like any report, and nothing left in scratch.
    @Test func aPDFReportIsTheHTMLReportPrintedAndSigned() async throws {
        try await Blocking.run {
            let temp = TemporaryDirectory("cli-report-pdf")
            let config = try history(temp)
            let written = try restorecheck(["report", "--config", config, "--tenant", "initech", "--format", "pdf", "--output", temp.url("initech.pdf"), "--sign"])
            #expect(written.status == 0, "\(written.stderr)")
            let pdf = try #require(FileManager.default.contents(atPath: temp.url("initech.pdf")))
            #expect(pdf.starts(with: Data("%PDF-".utf8)))
            let text = try Shell.execute("/usr/bin/pdftotext", ["-layout", temp.url("initech.pdf"), "-"]).stdout
            #expect(text.contains("Restore assurance report: initech"), "\(text.prefix(600))")
            #expect(text.contains("✗ Breached") || text.contains("? Never verified"), "the headline is on the first page: \(text.prefix(600))")
            #expect(text.contains("nas"))
            let key = try temp.write("msp.pub.pem", try restorecheck(["evidence", "public-key", "--config", config]).stdout)
            let verify = try Shell.execute(
                "/bin/sh", ["-c", "openssl pkeyutl -verify -pubin -inkey \"$KEY\" -rawin -in \"$REPORT\" -sigfile \"$REPORT.sig\""],
                environment: ["KEY": key, "REPORT": temp.url("initech.pdf")])
            #expect(verify.status == 0, "\(verify.stdout)\(verify.stderr)")
            #expect(temp.listing().filter { $0.hasPrefix("scratch/restorecheck-") }.isEmpty, "the print's scratch is removed")
            let refused = try restorecheck(["report", "--config", config, "--tenant", "initech", "--format", "pdf"])
            #expect(refused.status == 2 && refused.stderr.contains("--format pdf writes a file"), "\(refused.stderr)")
        }
    }

    /// Coverage from real runs, as `status`, the JSON report and the Markdown report show it.
    @Test func coverageShowsInStatusAndReports() async throws {
        try await Blocking.run {
            let temp = TemporaryDirectory("cli-coverage")
            try Shell.run(
                """
                mkdir -p src && for i in $(seq 1 40); do seq 1 $((i * 30)) > src/f-$i.txt; done
                (cd src && sha256sum * > ../fs.tar.sha256) && tar -C src -cf fs.tar .
                """, in: temp.path)
            let config = try temp.write(
                "rc.yaml",
                """
                scratch_dir: \(temp.url("scratch"))
                state_dir: \(temp.url("state"))
                targets:
                  - { name: fs, tenant: acme, archives: \(temp.url("fs.tar")), manifest: "{archive}.sha256", rpo: 1d, rto: 1h,
                      sample: { files: 10, coverage: 30d } }

                """)
            for seed in ["1", "2"] { #expect(try restorecheck(["run", "--config", config, "--seed", seed]).status == 0) }
            let status = try restorecheck(["status", "--config", config])
            #expect(status.stdout.contains("COVERAGE") && status.stdout.contains("50 % in 30d0h"), "\(status.stdout)")
            let json = try restorecheck(["report", "--config", config, "--tenant", "acme", "--format", "json"])
            let report = try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [String: Any]
            let target = try #require((report?["targets"] as? [[String: Any]])?.first)
            let coverage = try #require(target["coverage"] as? [String: Any])
            #expect(coverage["files_ratio"] as? Double == 0.5 && coverage["files_verified"] as? Int == 20 && coverage["files"] as? Int == 40)
            let markdown = try restorecheck(["report", "--config", config, "--tenant", "acme", "--format", "markdown"])
            #expect(markdown.stdout.contains("- **fs**: 50 % of files (20 of 40;"), "\(markdown.stdout)")
        }
    }

    @Test func evidenceVerifyExitsOneAndNamesTheRunAfterARowIsEdited() async throws {
        try await Blocking.run {
            let temp = TemporaryDirectory("cli-evidence")
            let config = try history(temp)
            let intact = try restorecheck(["evidence", "verify", "--config", config])
            #expect(intact.status == 0 && intact.stdout.contains("evidence intact: 4 recorded test(s) checked"), "\(intact.stdout)\(intact.stderr)")

            let report = temp.url("initech.json")
            #expect(try restorecheck(["report", "--config", config, "--tenant", "initech", "--format", "json", "--output", report, "--sign"]).status == 0)
            #expect(try restorecheck(["evidence", "verify", "--config", config, "--report", report]).status == 0)

            let db = temp.url("state/history.sqlite")
            _ = try Shell.run("sqlite3 \"$DB\" \"UPDATE run SET status = 'passed', reasons = '' WHERE target = 'nas' AND id = (SELECT MIN(id) FROM run WHERE target = 'nas')\"", environment: ["DB": db])
            let nasRun = try Shell.run("sqlite3 \"$DB\" \"SELECT MIN(id) FROM run WHERE target = 'nas'\"", environment: ["DB": db]).stdout.trimmingCharacters(in: .whitespacesAndNewlines)
            let edited = try restorecheck(["evidence", "verify", "--config", config])
            #expect(edited.status == 1)
            #expect(edited.stdout.contains("run \(nasRun) (chain entry"), "\(edited.stdout)")

            // A report whose tests were changed after it was written: its hashes and signature no longer match.
            var json = try String(contentsOfFile: report, encoding: .utf8)
            let hash = try #require(json.range(of: "\"entry_hash\":\"")).upperBound
            json.replaceSubrange(hash..<json.index(hash, offsetBy: 4), with: "0000")
            try json.write(toFile: report, atomically: true, encoding: .utf8)
            let checked = try restorecheck(["evidence", "verify", "--config", config, "--report", report])
            #expect(checked.status == 1)
            #expect(checked.stdout.contains("initech.json.sig is not this host's signature"))
            #expect(checked.stdout.contains("has chain hash 0000"))
        }
    }

    /// An unsigned JSON report whose failed tests were edited to "passed" (their chain hashes left
    /// alone): the hash check alone said "every test matches the history". Every field is compared,
    /// the one that differs is named, and an unsigned report is a problem unless allowed.
    @Test func anEditedUnsignedReportIsCaughtFieldByField() async throws {
        try await Blocking.run { try Self().editedUnsignedReportBody() }
    }

    func editedUnsignedReportBody() throws {
        let temp = TemporaryDirectory("cli-evidence-fields")
        let config = try history(temp)
        let report = temp.url("initech.json")
        #expect(try restorecheck(["report", "--config", config, "--tenant", "initech", "--format", "json", "--output", report]).status == 0)
        #expect(!FileManager.default.fileExists(atPath: report + ".sig"))

        let unsigned = try restorecheck(["evidence", "verify", "--config", config, "--report", report])
        #expect(unsigned.status == 1 && unsigned.stdout.contains("unsigned: contents not authenticated"), "\(unsigned.stdout)")
        let allowed = try restorecheck(["evidence", "verify", "--config", config, "--report", report, "--allow-unsigned"])
        #expect(allowed.status == 0, "\(allowed.stdout)")
        #expect(allowed.stdout.contains("every test matches the history, field by field; unsigned: contents not authenticated"), "\(allowed.stdout)")

        let json = try String(contentsOfFile: report, encoding: .utf8)
        #expect(json.contains("\"status\":\"failed\""))
        try json.replacingOccurrences(of: "\"status\":\"failed\"", with: "\"status\":\"passed\"")
            .replacingOccurrences(of: "\"files_verified\":0", with: "\"files_verified\":5")
            .write(toFile: report, atomically: true, encoding: .utf8)
        let edited = try restorecheck(["evidence", "verify", "--config", config, "--report", report, "--allow-unsigned"])
        #expect(edited.status == 1, "\(edited.stdout)")
        let lines = edited.stdout.split(separator: "\n").filter { $0.contains("differs from the history in") }
        #expect(lines.count == 2 && lines.allSatisfy { $0.hasSuffix("differs from the history in status") || $0.contains("in files_verified, status") }, "\(edited.stdout)")
    }

    @Test func theEvidenceNamesTheManifestByTheSHA256OfItsBytes() async throws {
        try await Blocking.run {
            let temp = TemporaryDirectory("cli-report-manifest")
            let config = try history(temp)
            let json = try restorecheck(["report", "--config", config, "--tenant", "acme", "--format", "json"])
            let report = try #require(try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [String: Any])
            let run = try #require((report["evidence"] as? [[String: Any]])?.first)
            let archive = try #require(run["archive"] as? String)
            let expected = try Shell.run("sha256sum \"$M\" | cut -c1-64", environment: ["M": archive + ".sha256"]).stdout
            #expect(run["manifest_sha256"] as? String == expected.trimmingCharacters(in: .whitespacesAndNewlines))
            #expect(run["seed"] as? String != nil && run["sample"] as? String == "5 files" && run["status"] as? String == "passed")
            let summary = try #require((report["targets"] as? [[String: Any]])?.first)
            #expect(summary["rto_compliance_percent"] as? Double == 100)
            #expect((summary["tests"] as? [String: Int])?["passed"] == 2)
        }
    }

    @Test func badRequestsAreUsageErrorsThatSayWhy() async throws {
        try await Blocking.run {
            let temp = TemporaryDirectory("cli-report-usage")
            let config = try history(temp)
            let unknown = try restorecheck(["report", "--config", config, "--tenant", "nobody"])
            #expect(unknown.status == 2 && unknown.stderr.contains("no tenant 'nobody'") && unknown.stderr.contains("acme, initech"))
            #expect(try restorecheck(["report", "--config", config, "--all-tenants"]).status == 2)
            let format = try restorecheck(["report", "--config", config, "--tenant", "acme", "--format", "docx"])
            #expect(format.status == 2 && format.stderr.contains("html, markdown, json, pdf"), "\(format.stderr)")
            let markdown = try restorecheck(["report", "--config", config, "--tenant", "acme", "--format", "markdown"])
            #expect(markdown.status == 0 && markdown.stdout.contains("| fileserver |"))
        }
    }
}
