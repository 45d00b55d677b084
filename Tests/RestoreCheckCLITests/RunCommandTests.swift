import Foundation
import Glibc
import RestoreCheckCore
import RestoreCheckTestSupport
import Testing

/// Drives the built `restorecheck` binary as an operator or a cron job would.
@Suite("restorecheck run / check-config from the command line")
struct RunCommandTests {
    /// A config with one passing tar.gz target and, optionally, one whose archive has a flipped byte.
    func makeConfig(_ temp: TemporaryDirectory, broken: Bool = false, scratch: String = "scratch") throws -> String {
        let good = try BackupSet.make(.gnuTarGzip, in: temp, name: "good")
        var yaml = """
            scratch_dir: \(scratch)
            state_dir: state
            defaults: { rpo: 26h, rto: 4h, sample: { files: 5 } }
            targets:
              - name: fileserver
                tenant: acme
                archives: \(good.archive)
                manifest: "{archive}.sha256"

            """
        if broken {
            let bad = try BackupSet.make(.gnuTar, in: temp, name: "bad")
            var bytes = try Data(contentsOf: URL(fileURLWithPath: bad.archive))
            let range = try #require(bytes.range(of: Data("meeting at 10".utf8)))
            bytes[range.lowerBound] ^= 0x01
            try bytes.write(to: URL(fileURLWithPath: bad.archive))
            yaml += """
                  - name: nas
                    tenant: initech
                    archives: \(bad.archive)
                    manifest: "{archive}.sha256"
                    sample: { files: all }

                """
        }
        return try temp.write("restorecheck.yaml", yaml)
    }

    /// The table row of `target`, split into cells.
    func row(_ table: String, _ target: String) -> [String] {
        let line = table.split(separator: "\n").first { $0.split(separator: " ").dropFirst().first.map(String.init) == target }
        return line.map { $0.split(separator: " ").map(String.init) } ?? []
    }

    func restorecheck(_ arguments: [String], environment: [String: String] = [:]) throws -> Shell.Result {
        try Shell.execute(BuiltBinary.path, arguments, environment: environment)
    }

    @Test func allPassedExitsZeroWithATable() async throws {
        try await Blocking.run {
            let temp = TemporaryDirectory("cli-ok")
            let config = try makeConfig(temp)
            let result = try restorecheck(["run", "--config", config])
            #expect(result.status == 0, "\(result.stderr)")
            #expect(result.stdout.contains("TENANT"))
            #expect(row(result.stdout, "fileserver").prefix(3) == ["acme", "fileserver", "PASSED"])
            #expect(result.stdout.contains("1 target(s): 1 passed, 0 failed, 0 error"))
            #expect(!result.stderr.contains("\r"), "no progress line when output is not a terminal")
        }
    }

    @Test func aFailedTargetExitsOneAndNamesTheFile() async throws {
        try await Blocking.run {
            let temp = TemporaryDirectory("cli-fail")
            let config = try makeConfig(temp, broken: true)
            let result = try restorecheck(["run", "--config", config])
            #expect(result.status == 1)
            #expect(row(result.stdout, "nas").prefix(3) == ["initech", "nas", "FAILED"])
            #expect(result.stdout.contains("checksum_mismatch: home/alice/notes.txt"))
        }
    }

    @Test func jsonMatchesTheContract() async throws {
        try await Blocking.run {
            let temp = TemporaryDirectory("cli-json")
            let config = try makeConfig(temp, broken: true)
            let result = try restorecheck(["run", "--config", config, "--json", "--seed", "42"])
            #expect(result.status == 1)
            let object = try #require(try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any])
            let results = try #require(object["results"] as? [[String: Any]])
            #expect(results.count == 2)
            let contract = [
                "target", "tenant", "status", "reasons", "archive", "backup_timestamp", "restore_seconds",
                "projected_full_restore_seconds", "files_verified", "bytes_restored", "rpo_met", "rto_met", "findings",
            ]
            for result in results {
                for key in contract { #expect(result[key] != nil, "missing \(key)") }
                #expect(result["seed"] as? UInt64 == 42)
            }
            let nas = try #require(results.first { $0["target"] as? String == "nas" })
            #expect(nas["status"] as? String == "failed")
            #expect(nas["reasons"] as? [String] == ["checksum_mismatch"])
            let finding = try #require((nas["findings"] as? [[String: Any]])?.first)
            #expect(finding["path"] as? String == "home/alice/notes.txt")
            #expect((finding["expected_sha256"] as? String)?.count == 64)
            #expect((finding["actual_sha256"] as? String)?.count == 64)
            #expect((nas["backup_timestamp"] as? String).flatMap { ISO8601DateFormatter().date(from: $0) } != nil)
            #expect(object["exit_code"] as? Int == 1)
            // Decodes back into the model, so `status`/`history` can read what `run` wrote.
            _ = try Outcome.jsonDecoder().decode(RunSummary.self, from: Data(result.stdout.utf8))
        }
    }

    @Test func namedTargetsOnly() async throws {
        try await Blocking.run {
            let temp = TemporaryDirectory("cli-named")
            let config = try makeConfig(temp, broken: true)
            let result = try restorecheck(["run", "--config", config, "--json", "fileserver"])
            #expect(result.status == 0, "the broken target was not run")
            let summary = try Outcome.jsonDecoder().decode(RunSummary.self, from: Data(result.stdout.utf8))
            #expect(summary.results.map(\.target) == ["fileserver"])

            let unknown = try restorecheck(["run", "--config", config, "nosuch"])
            #expect(unknown.status == 2)
            #expect(unknown.stderr.contains("no target named 'nosuch'"))
        }
    }

    @Test func configErrorExitsTwoWithFileAndLine() async throws {
        try await Blocking.run {
            let temp = TemporaryDirectory("cli-cfg")
            let config = try temp.write("bad.yaml", "defaults: { rpo: 26h, rto: 4h }\ntargets:\n  - name: a\n    tenant: t\n    archives: /x\n    sample: { files: lots }\n")
            for command in ["run", "check-config"] {
                let result = try restorecheck([command, "--config", config])
                #expect(result.status == 2)
                #expect(result.stderr.contains("\(config):6:"), "\(result.stderr)")
                #expect(result.stderr.contains("targets[0].sample.files"))
            }
            let missing = try restorecheck(["run", "--config", temp.url("absent.yaml")])
            #expect(missing.status == 2)
            #expect(missing.stderr.contains("absent.yaml"))
            let usage = try restorecheck(["run", "--no-such-flag"])
            #expect(usage.status == 2)
        }
    }

    @Test func checkConfigValidatesWithoutTouchingArchives() async throws {
        try await Blocking.run {
            let temp = TemporaryDirectory("cli-check")
            let config = try temp.write(
                "rc.yaml", "defaults: { rpo: 26h, rto: 4h }\ntargets:\n  - name: a\n    tenant: t\n    archives: /nonexistent/*.tar\n")
            let result = try restorecheck(["check-config", "--config", config])
            #expect(result.status == 0)
            #expect(result.stdout.contains("OK, 1 target(s)"))
            #expect(!FileManager.default.fileExists(atPath: temp.url("scratch")))
        }
    }

    /// A script handed to an interpreter by its host path: the sandbox does not show it, so the
    /// command fails the customer's backup at every test. `check-config` says so beforehand; the
    /// script as the program itself (copied into the sandbox) is fine.
    @Test func checkConfigWarnsOfAHostPathTheSandboxDoesNotShow() async throws {
        try await Blocking.run {
            let temp = TemporaryDirectory("cli-check-hidden")
            let script = try temp.write("check.py", "#!/usr/bin/python3\nimport sys; open(sys.argv[1]).read()\n")
            chmod(script, 0o755)
            let config = try temp.write(
                "rc.yaml",
                """
                defaults: { rpo: 26h, rto: 4h }
                targets:
                  - name: a
                    tenant: t
                    archives: /nonexistent/*.tar
                    validate:
                      - { match: "*.txt", command: [ /usr/bin/python3, \(script), "{file}" ] }
                      - { match: "*.csv", command: [ \(script), "{file}", /dev/null, /usr/share/dict ] }

                """)
            let result = try restorecheck(["check-config", "--config", config])
            #expect(result.status == 0, "\(result.stderr)")
            let warnings = result.stdout.split(separator: "\n").filter { $0.contains("WARNING") }
            #expect(warnings.count == 1 && warnings[0].contains("WARNING: \(script) is not in the sandbox"), "\(result.stdout)")
        }
    }

    /// `check-config` says which zstd window a target's newest archive needs when it is more than
    /// libarchive reads, before any test calls it unsupported.
    @Test func checkConfigNamesAZstdWindowTooLargeToRead() async throws {
        let temp = TemporaryDirectory("cli-check-zstd")
        try await Blocking.run {
            try Shell.run("mkdir src && seq 1 1000 > src/a.txt && tar -C src -cf - . | zstd -q --long=31 -o fs.tar.zst", in: temp.path)
        }
        let config = try temp.write(
            "rc.yaml", "defaults: { rpo: 26h, rto: 4h }\ntargets:\n  - { name: a, tenant: t, archives: \(temp.url("*.tar.zst")) }\n")
        let result = try await Blocking.run { try Self().restorecheck(["check-config", "--config", config]) }
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout.contains("WARNING: the newest archive is zstd with a 2048 MiB window"), "\(result.stdout)")
    }

    @Test func errorOnlyExitsThree() async throws {
        try await Blocking.run {
            let temp = TemporaryDirectory("cli-err")
            try temp.write("not-a-dir", "x")
            let config = try makeConfig(temp, scratch: "not-a-dir/scratch")
            let result = try restorecheck(["run", "--config", config, "--json"])
            #expect(result.status == 3, "\(result.stdout)")
            #expect(result.stdout.contains("scratch_error"))
        }
    }

    @Test func helpDocumentsTheExitCodes() async throws {
        try await Blocking.run {
            let result = try restorecheck(["run", "--help"])
            #expect(result.status == 0)
            #expect(result.stdout.contains("3 at least one test could not be carried out"))
            #expect(!result.stdout.contains("restore-worker"))
        }
    }

    @Test func aZipSampleDoesNotStatTheTimeZoneFilePerEntry() async throws {
        try await Blocking.run { try Self().aZipSampleDoesNotStatTheTimeZoneFilePerEntryBody() }
    }

    /// libarchive converts every zip entry's DOS time with mktime(), and with TZ unset glibc stats
    /// /etc/localtime on each call: 21,000 stats for a 10,000-file zip, 15 % of a 20-file sample.
    /// The worker sets a fixed TZ; without it this 400-file zip costs 800 or more.
    func aZipSampleDoesNotStatTheTimeZoneFilePerEntryBody() throws {
        let temp = TemporaryDirectory("tz")
        let files = Dictionary(uniqueKeysWithValues: (0..<400).map { ("d/f\($0).txt", Data("file \($0)\n".utf8)) })
        let set = try BackupSet.make(.zipDeflate, in: temp, files: files)
        let config = try temp.oneTargetConfig(archive: set.archive, defaults: "rpo: 1d, rto: 1h, sample: { files: 5 }")
        try Shell.run(
            "strace -f -qq -e trace=stat,lstat,newfstatat,statx -o trace.txt \"$B\" run --config \"$C\" > out.txt",
            in: temp.path, environment: ["B": BuiltBinary.path, "C": config])
        #expect(try String(contentsOfFile: temp.url("out.txt"), encoding: .utf8).contains("PASSED"))
        let trace = try String(contentsOfFile: temp.url("trace.txt"), encoding: .utf8)
        let zoneStats = trace.split(separator: "\n").filter { $0.contains("/etc/localtime") }.count
        #expect(zoneStats < 40, "\(zoneStats) stats of /etc/localtime for a 400-entry zip")
    }

    @Test func interruptRemovesScratchAndExits130() async throws {
        try await Blocking.run { try Self().interruptRemovesScratchAndExits130Body() }
    }

    func interruptRemovesScratchAndExits130Body() throws {
        let temp = TemporaryDirectory("cli-int")
        let config = try makeConfig(temp)
        let fake = try FakeWorker.install(FakeWorker.hangs, named: "hanging-worker", in: temp)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: BuiltBinary.path)
        process.arguments = ["run", "--config", config]
        process.environment = ProcessInfo.processInfo.environment.merging(["RESTORECHECK_WORKER_EXECUTABLE": fake]) { $1 }
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        // Wait until the test is under way (its scratch directory exists), then press Ctrl-C.
        let deadline = Date().addingTimeInterval(20)
        while temp.listing().filter({ $0.hasPrefix("scratch/restorecheck-") }).isEmpty, Date() < deadline {
            usleep(50_000)
        }
        #expect(!temp.listing().filter { $0.hasPrefix("scratch/restorecheck-") }.isEmpty)
        kill(process.processIdentifier, SIGINT)
        process.waitUntilExit()
        #expect(process.terminationStatus == 130)
        #expect(temp.listing().filter { $0.hasPrefix("scratch/") }.isEmpty)
    }

    @Test func runRecordsHistoryThatStatusAndHistoryShow() async throws {
        try await Blocking.run {
            let temp = TemporaryDirectory("cli-hist")
            let config = try makeConfig(temp, broken: true)
            #expect(try restorecheck(["run", "--config", config]).status == 1)
            #expect(try restorecheck(["run", "--config", config, "fileserver"]).status == 0)

            let status = try restorecheck(["status", "--config", config])
            #expect(status.status == 0, "\(status.stderr)")
            #expect(row(status.stdout, "fileserver").prefix(3) == ["acme", "fileserver", "passed"])
            #expect(row(status.stdout, "nas").prefix(3) == ["initech", "nas", "failed"])

            let json = try restorecheck(["status", "--config", config, "--json"])
            let object = try #require(try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [String: Any])
            let targets = try #require(object["targets"] as? [[String: Any]])
            let nas = try #require(targets.first { $0["target"] as? String == "nas" })
            #expect(nas["reasons"] as? [String] == ["checksum_mismatch"])
            #expect((nas["outcome"] as? [String: Any])?["findings"] != nil, "the stored outcome keeps its findings")

            let history = try restorecheck(["history", "--config", config, "fileserver", "--json"])
            let runs = try #require((try JSONSerialization.jsonObject(with: Data(history.stdout.utf8)) as? [String: Any])?["runs"] as? [[String: Any]])
            #expect(runs.count == 2, "both runs of fileserver are recorded")
            #expect(runs.allSatisfy { $0["status"] as? String == "passed" })
            #expect(try restorecheck(["history", "--config", config, "nosuch"]).status == 2)
        }
    }

    @Test func textfileForNodeExporterIsWrittenAtomicallyAndLints() async throws {
        try await Blocking.run {
            let temp = TemporaryDirectory("cli-textfile")
            let config = try makeConfig(temp, broken: true)
            try FileManager.default.createDirectory(atPath: temp.url("textfile"), withIntermediateDirectories: true)
            let result = try restorecheck(["run", "--config", config, "--textfile-dir", temp.url("textfile")])
            #expect(result.status == 1)
            #expect(try FileManager.default.contentsOfDirectory(atPath: temp.url("textfile")) == ["restorecheck.prom"])
            let text = try String(contentsOfFile: temp.url("textfile/restorecheck.prom"), encoding: .utf8)
            #expect(text.contains(#"restorecheck_restore_success{tenant="acme",target="fileserver"} 1.0"#))
            #expect(text.contains(#"restorecheck_restore_success{tenant="initech",target="nas"} 0.0"#))
            #expect(!text.contains("_total"), "no counters from a short-lived process")
            let lint = try Shell.execute("/usr/bin/promtool", ["check", "metrics"], input: Data(text.utf8))
            #expect(lint.status == 0, "\(lint.stdout)\(lint.stderr)")
        }
    }

    @Test func aMissingTextfileDirectoryIsSaidInPlainWords() async throws {
        try await Blocking.run {
            let temp = TemporaryDirectory("cli-textfile-missing")
            let config = try makeConfig(temp, broken: false)
            let result = try restorecheck(["run", "--config", config, "--textfile-dir", temp.url("nosuch")])
            #expect(result.status == 3, "the tests passed but the export could not be done: an error, as documented")
            #expect(
                result.stderr.contains("--textfile-dir: cannot use the directory \(temp.url("nosuch")): No such file or directory"),
                "\(result.stderr)")
            #expect(!result.stderr.contains("NSCocoaErrorDomain") && !result.stderr.contains(".tmp"), "\(result.stderr)")
        }
    }
}
