import Foundation
import Glibc
import RestoreCheckCore
import RestoreCheckTestSupport
import Testing

/// The built binary against a real PostgreSQL history: `history migrate` copies a SQLite history
/// recorded by real runs, and `run`, `status` and `evidence verify` then work on the copy.
@Suite("A PostgreSQL history from the command line")
struct FleetHistoryCommandTests {
    func restorecheck(_ arguments: [String]) throws -> Shell.Result { try Shell.execute(BuiltBinary.path, arguments) }

    /// Two real tar archives: `fs`'s intact, `nas`'s with one byte flipped (a checksum mismatch).
    func makeArchives(_ temp: TemporaryDirectory) throws -> (good: String, bad: String) {
        let good = try BackupSet.make(.gnuTar, in: temp, name: "fs")
        let bad = try BackupSet.make(.gnuTar, in: temp, name: "nas")
        var bytes = try Data(contentsOf: URL(fileURLWithPath: bad.archive))
        let range = try #require(bytes.range(of: Data("meeting at 10".utf8)))
        bytes[range.lowerBound] ^= 0x01
        try bytes.write(to: URL(fileURLWithPath: bad.archive))
        return (good.archive, bad.archive)
    }

    /// Two targets over `makeArchives`'s archives: `fileserver` passes, `nas` fails.
    func makeConfig(_ temp: TemporaryDirectory, history: String = "") throws -> String {
        let archives = try makeArchives(temp)
        return try writeConfig(temp, fs: archives.good, nas: archives.bad, history: history)
    }

    func writeConfig(_ temp: TemporaryDirectory, fs: String, nas: String, history: String) throws -> String {
        try temp.write("restorecheck.yaml", """
            scratch_dir: scratch
            state_dir: state
            defaults: { rpo: 26h, rto: 4h, every: 24h, jitter: 0s, sample: { files: all } }
            targets:
              - { name: fileserver, tenant: acme, archives: \(fs), manifest: "{archive}.sha256" }
              - { name: nas, tenant: initech, archives: \(nas), manifest: "{archive}.sha256" }
            \(history)
            """)
    }

    func url(_ settings: PostgresSettings) -> String {
        "postgresql://\(settings.user)@/\(settings.database)?host=\(settings.socketDirectory ?? "")"
    }

    @Test func migrateCopiesTheChainAndRunsContinueItInPostgres() async throws {
        try await Blocking.run {
            let temp = TemporaryDirectory("cli-migrate")
            let config = try makeConfig(temp)
            #expect(try restorecheck(["run", "--config", config]).status == 1)
            #expect(try restorecheck(["run", "--config", config, "fileserver"]).status == 0)
            let sqliteCheck = try restorecheck(["evidence", "verify", "--config", config])
            #expect(sqliteCheck.status == 0, "\(sqliteCheck.stdout)\(sqliteCheck.stderr)")
            let head = try #require(sqliteCheck.stdout.split(separator: " ").last.map { $0.trimmingCharacters(in: .whitespacesAndNewlines) })

            let database = try SharedPostgres.database("cli-migrate")
            let migrate = try restorecheck(["history", "migrate", "--config", config, "--to", url(database)])
            #expect(migrate.status == 0, "\(migrate.stdout)\(migrate.stderr)")
            #expect(migrate.stdout.contains("copied 3 run(s)"), "\(migrate.stdout)")
            #expect(migrate.stdout.contains("PostgreSQL chain: 3 entries, head \(head)"), "\(migrate.stdout)")
            let again = try restorecheck(["history", "migrate", "--config", config, "--to", url(database)])
            #expect(again.status == 3)
            #expect(again.stderr.contains("already holds 3 runs: migrate only into an empty one"), "\(again.stderr)")

            // The same targets, the history now in PostgreSQL: the SQLite file is moved away to
            // prove every answer comes from the database.
            try FileManager.default.moveItem(atPath: temp.url("state/history.sqlite"), toPath: temp.url("old.sqlite"))
            let fleet = try temp.write("fleet.yaml", String(contentsOfFile: config, encoding: .utf8) + """

                history:
                  postgresql: { url: "\(url(database))" }
                fleet: { node: verifier-a }
                """)
            let status = try restorecheck(["status", "--config", fleet, "--json"])
            #expect(status.status == 0, "\(status.stderr)")
            let targets = try #require((try JSONSerialization.jsonObject(with: Data(status.stdout.utf8)) as? [String: Any])?["targets"] as? [[String: Any]])
            #expect(targets.compactMap { $0["status"] as? String }.sorted() == ["failed", "passed"])
            #expect(try restorecheck(["run", "--config", fleet, "fileserver"]).status == 0)
            let history = try restorecheck(["history", "--config", fleet, "fileserver", "--json"])
            let runs = try #require((try JSONSerialization.jsonObject(with: Data(history.stdout.utf8)) as? [String: Any])?["runs"] as? [[String: Any]])
            #expect(runs.count == 3, "two copied, one recorded in PostgreSQL")
            let verify = try restorecheck(["evidence", "verify", "--config", fleet])
            #expect(verify.status == 0, "\(verify.stdout)\(verify.stderr)")
            #expect(verify.stdout.contains("4 recorded test(s) checked"), "\(verify.stdout)")
            let check = try restorecheck(["check", "--config", fleet, "--target", "nas"])
            #expect(check.status == 2, "CRITICAL for the failed target, read from PostgreSQL: \(check.stdout)")
            #expect(!FileManager.default.fileExists(atPath: temp.url("state/history.sqlite")), "no SQLite history is created beside it")
        }
    }

    @Test func twoServeHostsOnePerLocationTestEachTargetOnceIntoOneHistory() async throws {
        try await Blocking.run {
            let temp = TemporaryDirectory("cli-fleet-serve")
            let database = try SharedPostgres.database("cli-fleet-serve")
            let (good, bad) = try makeArchives(temp)
            // One config for the fleet; each host adds its name, its locations and its own state_dir.
            func hostConfig(_ node: String, _ location: String, named: Bool = true) throws -> String {
                try temp.write("\(node).yaml", """
                    scratch_dir: scratch-\(node)
                    state_dir: state-\(node)
                    defaults: { rpo: 26h, rto: 4h, every: 24h, jitter: 0s, sample: { files: all } }
                    targets:
                      - { name: fileserver, tenant: acme, location: fra1, archives: \(good), manifest: "{archive}.sha256" }
                      - { name: nas, tenant: initech, location: ams1, archives: \(bad), manifest: "{archive}.sha256" }
                    history:
                      postgresql: { url: "\(url(database))" }
                    fleet: { \(named ? "node: \(node), " : "")locations: [ \(location) ] }
                    """)
            }
            let fra = try hostConfig("verifier-fra1", "fra1")
            // This host is named on its command line instead (`serve --node`).
            let ams = try hostConfig("verifier-ams1", "ams1", named: false)
            let checked = try restorecheck(["check-config", "--config", fra])
            #expect(checked.stdout.contains("fleet:       node verifier-fra1; locations fra1; tests 1 of 2 target(s) here"), "\(checked.stdout)")
            #expect(checked.stdout.contains("location ams1: not tested by this host"), "\(checked.stdout)")
            let hosts = [
                try DaemonProcess(config: fra, in: temp), try DaemonProcess(config: ams, in: temp, extraArguments: ["--node", "verifier-ams1"]),
            ]
            // Both targets are due at once: poll the shared history until each has a result.
            let deadline = Date().addingTimeInterval(120)
            var statuses: [String: String] = [:]
            while Date() < deadline {
                let status = try restorecheck(["status", "--config", fra, "--json"])
                let targets = (try? JSONSerialization.jsonObject(with: Data(status.stdout.utf8)) as? [String: Any])?["targets"] as? [[String: Any]] ?? []
                statuses = Dictionary(uniqueKeysWithValues: targets.compactMap { row in
                    (row["target"] as? String).flatMap { target in (row["status"] as? String).map { (target, $0) } }
                })
                if statuses["fileserver"] == "passed" && statuses["nas"] == "failed" { break }
                Thread.sleep(forTimeInterval: 0.5)
            }
            #expect(statuses == ["fileserver": "passed", "nas": "failed"], "\(hosts.map(\.log))")
            // Both hosts beat into the history: live, same targets, every target served.
            let fleet = try restorecheck(["fleet", "status", "--config", fra, "--json"])
            #expect(fleet.status == 0, "\(fleet.stdout)\(fleet.stderr)")
            let view = try #require(try JSONSerialization.jsonObject(with: Data(fleet.stdout.utf8)) as? [String: Any])
            let listed = view["hosts"] as? [[String: Any]] ?? []
            #expect(listed.compactMap { ($0["beat"] as? [String: Any])?["node"] as? String } == ["verifier-ams1", "verifier-fra1"])
            #expect(listed.allSatisfy { $0["live"] as? Bool == true && $0["config_differs"] as? Bool == false }, "\(fleet.stdout)")
            #expect((view["unserved"] as? [String]) == [])
            // A config with a target at a location no host serves: named, and the hosts' targets differ.
            let grown = try temp.write("grown.yaml", String(contentsOfFile: fra, encoding: .utf8).replacingOccurrences(
                of: "targets:\n", with: "targets:\n  - { name: london, tenant: acme, location: lon1, archives: \(good) }\n"))
            let drift = try restorecheck(["fleet", "status", "--config", grown])
            #expect(drift.status == 1)
            #expect(drift.stdout.contains("not tested by any live host: london"), "\(drift.stdout)")
            #expect(drift.stdout.contains("DIFFER from this host's"), "\(drift.stdout)")
            // Each target's series come from the host that tests it: one alert per target, not per host.
            let (fraMetrics, amsMetrics) = (hosts[0].metrics() ?? "", hosts[1].metrics() ?? "")
            #expect(fraMetrics.contains("target=\"fileserver\"") && !fraMetrics.contains("target=\"nas\""))
            #expect(amsMetrics.contains("target=\"nas\"") && !amsMetrics.contains("target=\"fileserver\""))
            for host in hosts { host.signal(SIGTERM) }
            for host in hosts { #expect(host.waitForExit() == 0, "\(host.log)") }
            for target in ["fileserver", "nas"] {
                let history = try restorecheck(["history", "--config", ams, target, "--json"])
                let runs = (try? JSONSerialization.jsonObject(with: Data(history.stdout.utf8)) as? [String: Any])?["runs"] as? [[String: Any]] ?? []
                #expect(runs.count == 1, "\(target) is tested by its location's host only: \(history.stdout)")
            }
            let verify = try restorecheck(["evidence", "verify", "--config", ams])
            #expect(verify.status == 0 && verify.stdout.contains("2 recorded test(s) checked"), "\(verify.stdout)")
        }
    }

    @Test func aPasswordInTheURLIsRefusedAndAMissingDatabaseIsNamed() async throws {
        try await Blocking.run {
            let temp = TemporaryDirectory("cli-pg-url")
            let config = try makeConfig(temp, history: """
                history:
                  postgresql: { url: "postgresql://restorecheck:hunter2@db.example/restorecheck" }
                """)
            let loaded = try restorecheck(["check-config", "--config", config])
            #expect(loaded.status == 2)
            #expect(loaded.stderr.contains("history.postgresql.url"), "\(loaded.stderr)")
            #expect(loaded.stderr.contains("password_file"), "\(loaded.stderr)")
            #expect(!loaded.stderr.contains("hunter2"), "the password is never echoed")

            let server = try SharedPostgres.server()
            let missing = try writeConfig(temp, fs: temp.url("fs.tar"), nas: temp.url("nas.tar"), history: """
                history:
                  postgresql: { url: "postgresql://postgres@/no_such_db?host=\(server.directory)" }
                """)
            let status = try restorecheck(["status", "--config", missing])
            #expect(status.status == 3)
            #expect(status.stderr.contains("no_such_db"), "\(status.stderr)")
            #expect(status.stderr.contains("does not exist"), "the server's own message: \(status.stderr)")
        }
    }
}
