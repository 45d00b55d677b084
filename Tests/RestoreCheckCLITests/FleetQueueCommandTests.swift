import Foundation
import Glibc
import RestoreCheckCore
import RestoreCheckTestSupport
import Testing

/// Real `serve` nodes on one PostgreSQL history, testing real archives through the fleet's queue:
/// a node killed mid-test or paused past its lease loses no result and doubles none; `run --fleet`
/// gets the fleet's verdict; a target no node can reach is `not_started`, with the reason.
@Suite("Fleet queue end to end: serve nodes, kills, pauses, run --fleet")
struct FleetQueueCommandTests {
    func restorecheck(_ arguments: [String]) throws -> Shell.Result { try Shell.execute(BuiltBinary.path, arguments) }

    /// One config per node (its own state and scratch), the same targets for all. Leases of 3 s so
    /// a lost node's job comes back within seconds.
    func nodeConfig(_ temp: TemporaryDirectory, _ node: String, database: PostgresSettings, targets: String, maxConcurrent: Int = 1) throws -> String {
        try temp.write("\(node).yaml", """
            scratch_dir: scratch-\(node)
            state_dir: state-\(node)
            defaults: { rpo: 26h, rto: 4h, every: 24h, jitter: 0s, sample: { files: all } }
            targets:
            \(targets)
            history:
              postgresql: { url: "postgresql://\(database.user)@/\(database.database)?host=\(database.socketDirectory ?? "")&port=\(database.port)" }
            fleet: { locations: [ fra1 ], lease: 3s, max_concurrent: \(maxConcurrent), per_tenant: 1 }
            """)
    }

    /// The real restore worker, started `seconds` late: a test long enough to kill or pause a node in.
    func slowWorker(_ temp: TemporaryDirectory, seconds: Int) throws -> [String: String] {
        let path = try FakeWorker.install("#!/bin/sh\nsleep \(seconds)\nexec \"\(BuiltBinary.path)\" \"$@\"\n", named: "slow-worker", in: temp)
        return ["RESTORECHECK_WORKER_EXECUTABLE": path]
    }

    /// `history --json`'s runs of `target`, newest first: (status, node).
    func runs(_ config: String, _ target: String) throws -> [[String: Any]] {
        let history = try restorecheck(["history", "--config", config, target, "--json"])
        return (try? JSONSerialization.jsonObject(with: Data(history.stdout.utf8)) as? [String: Any])?["runs"] as? [[String: Any]] ?? []
    }

    /// Polls until a test of `target` is recorded `started`: the node is mid-test.
    func testing(_ config: String, _ target: String) -> Bool? {
        Loopback.eventually(timeout: 60) { ((try? self.runs(config, target)) ?? []).contains { $0["status"] as? String == "started" } ? true : nil }
    }

    /// Polls `target`'s history until it has a finished run; its runs then, or nil past `timeout`.
    func firstResult(_ config: String, _ target: String, timeout: Double) -> [[String: Any]]? {
        Loopback.eventually(timeout: timeout) { () -> [[String: Any]]? in
            let runs = (try? self.runs(config, target)) ?? []
            return self.finished(runs).isEmpty ? nil : runs
        }
    }

    func finished(_ runs: [[String: Any]]) -> [String] {
        runs.compactMap { $0["status"] as? String }.filter { ["passed", "failed", "error"].contains($0) }
    }

    @Test func aNodeKilledMidTestLosesNothingAndRunFleetGetsTheFleetsVerdict() async throws {
        try await Blocking.run {
            let temp = TemporaryDirectory("cli-fleet-kill")
            let database = try SharedPostgres.database("cli-fleet-kill")
            let good = try BackupSet.make(.gnuTar, in: temp, name: "fs").archive
            let targets = """
                  - { name: fileserver, tenant: acme, location: fra1, archives: \(good), manifest: "{archive}.sha256" }
                  - { name: london, tenant: acme, location: lon1, archives: \(good), manifest: "{archive}.sha256", every: 4s }
                """
            let configs = try ["node-a", "node-b", "node-c"].map { try nodeConfig(temp, $0, database: database, targets: targets) }
            // node-a alone claims fileserver and is killed while its worker runs.
            let a = try DaemonProcess(config: configs[0], in: temp, environment: try slowWorker(temp, seconds: 30), extraArguments: ["--node", "node-a"])
            #expect(testing(configs[0], "fileserver") == true, "\(a.log)")
            a.signal(SIGKILL)
            _ = a.waitForExit()
            let others = try [1, 2].map { try DaemonProcess(config: configs[$0], in: temp, extraArguments: ["--node", "node-\(["a", "b", "c"][$0])"]) }
            // Another node reaps the lease and runs the job: one result, the killed attempt aborted.
            let result = self.firstResult(configs[1], "fileserver", timeout: 90)
            let fileserver = try #require(result, "\(others.map(\.log))")
            #expect(finished(fileserver) == ["passed"], "\(fileserver)")
            #expect(fileserver.compactMap { $0["status"] as? String }.sorted() == ["aborted", "passed"], "\(fileserver)")
            // A target at a location no node serves: not started within its window (4 s), and says why.
            let london = self.firstResult(configs[1], "london", timeout: 60)
            let summary = (london?.first?["outcome"] as? [String: Any])?["summary"] as? String
            #expect(summary?.contains("no live node serves location 'lon1'") == true, "\(String(describing: london))")
            // An operator asks the fleet: the verdict comes from whichever node runs it.
            let asked = try restorecheck(["run", "--fleet", "--config", configs[0], "fileserver", "--json"])
            #expect(asked.status == 0, "\(asked.stdout)\(asked.stderr)")
            #expect(asked.stdout.contains("\"status\" : \"passed\""), "\(asked.stdout)")
            #expect(finished(try runs(configs[0], "fileserver")) == ["passed", "passed"])
            let status = try restorecheck(["fleet", "status", "--config", configs[1]])
            #expect(status.stdout.contains("planner: node-b") || status.stdout.contains("planner: node-c"), "\(status.stdout)")
            #expect(status.stdout.contains("not tested by any live host: london"), "\(status.stdout)")
            let claims = others.compactMap { $0.metrics() }.joined()
            #expect(claims.contains("restorecheck_fleet_node_claims_total{node=\"node-b\"}"), "\(claims)")
            for node in others { node.signal(SIGTERM) }
            for node in others { #expect(node.waitForExit() == 0, "\(node.log)") }
            let verify = try restorecheck(["evidence", "verify", "--config", configs[2]])
            #expect(verify.status == 0, "\(verify.stdout)\(verify.stderr)")
        }
    }

    @Test func threeNodesTestEveryTargetExactlyOnceWithinTheTenantCap() async throws {
        try await Blocking.run {
            let temp = TemporaryDirectory("cli-fleet-once")
            let database = try SharedPostgres.database("cli-fleet-once")
            let good = try BackupSet.make(.gnuTar, in: temp, name: "fs").archive
            // 60 targets of 6 tenants, due at once: the planner and three nodes race on every one.
            let targets = (0..<60).map {
                "      - { name: t\($0), tenant: tenant\($0 % 6), location: fra1, archives: \(good), manifest: \"{archive}.sha256\" }"
            }.joined(separator: "\n")
            let configs = try ["node-a", "node-b", "node-c"].map { try nodeConfig(temp, $0, database: database, targets: targets) }
            let nodes = try configs.enumerated().map { index, config in
                try DaemonProcess(config: config, in: temp, extraArguments: ["--node", "node-\(["a", "b", "c"][index])"])
            }
            let statuses = Loopback.eventually(timeout: 120) { () -> [[String: Any]]? in
                let status = try? restorecheck(["status", "--config", configs[0], "--json"])
                let rows = (try? JSONSerialization.jsonObject(with: Data((status?.stdout ?? "").utf8)) as? [String: Any])?["targets"] as? [[String: Any]] ?? []
                return rows.count == 60 && rows.allSatisfy({ $0["status"] as? String == "passed" }) ? rows : nil
            }
            #expect(statuses != nil, "\(nodes.map(\.log))")
            for node in nodes { node.signal(SIGTERM) }
            for node in nodes { #expect(node.waitForExit() == 0, "\(node.log)") }
            // Exactly one test per target (a second would show in its history), each recorded by the node that claimed it.
            for index in [0, 17, 59] {
                #expect(finished(try runs(configs[1], "t\(index)")) == ["passed"])
            }
            let verify = try restorecheck(["evidence", "verify", "--config", configs[2]])
            #expect(verify.stdout.contains("60 recorded test(s) checked"), "one chain link per test, none twice: \(verify.stdout)")
        }
    }

    @Test func sixSlotsOnThreeNodesRunOneTestPerTenantAtATime() async throws {
        try await Blocking.run {
            let temp = TemporaryDirectory("cli-fleet-cap")
            let database = try SharedPostgres.database("cli-fleet-cap")
            let good = try BackupSet.make(.gnuTar, in: temp, name: "fs").archive
            // 2 tenants of 8 targets each, 3 nodes of 2 slots, per_tenant 1; each test lasts over 2 s.
            let names = (0..<16).map { "t\($0)" }
            let targets = names.enumerated().map { index, name in
                "      - { name: \(name), tenant: tenant\(index % 2), location: fra1, archives: \(good), manifest: \"{archive}.sha256\" }"
            }.joined(separator: "\n")
            let worker = try slowWorker(temp, seconds: 2)
            let nodes = try ["node-a", "node-b", "node-c"].map { node in
                try DaemonProcess(
                    config: try nodeConfig(temp, node, database: database, targets: targets, maxConcurrent: 2), in: temp, environment: worker,
                    extraArguments: ["--node", node])
            }
            let config = temp.url("node-a.yaml")
            let done = Loopback.eventually(timeout: 120) { () -> Bool? in
                let status = try? restorecheck(["status", "--config", config, "--json"])
                let rows = (try? JSONSerialization.jsonObject(with: Data((status?.stdout ?? "").utf8)) as? [String: Any])?["targets"] as? [[String: Any]] ?? []
                return rows.count == 16 && rows.allSatisfy({ $0["status"] as? String == "passed" }) ? true : nil
            }
            #expect(done == true, "\(nodes.map(\.log))")
            for node in nodes { node.signal(SIGTERM) }
            for node in nodes { #expect(node.waitForExit() == 0, "\(node.log)") }
            // Each tenant's tests never overlap (times in whole seconds: a test starts no earlier
            // than the second the tenant's previous one ended).
            let formatter = ISO8601DateFormatter()
            for tenant in 0..<2 {
                let intervals = try names.enumerated().filter { $0.offset % 2 == tenant }.flatMap { _, name in
                    try runs(config, name).compactMap { run -> (Date, Date)? in
                        guard let started = (run["started"] as? String).flatMap(formatter.date), let finished = (run["finished"] as? String).flatMap(formatter.date)
                        else { return nil }
                        return (started, finished)
                    }
                }.sorted { $0.0 < $1.0 }
                #expect(intervals.count == 8, "one test per target")
                for (previous, next) in zip(intervals, intervals.dropFirst()) {
                    #expect(next.0 >= previous.1, "tenant\(tenant): a test started at \(next.0) while another ran until \(previous.1)")
                }
            }
        }
    }

    @Test func aNodePausedPastItsLeaseWritesNothingWhenItWakes() async throws {
        try await Blocking.run {
            let temp = TemporaryDirectory("cli-fleet-pause")
            let database = try SharedPostgres.database("cli-fleet-pause")
            let good = try BackupSet.make(.gnuTar, in: temp, name: "fs").archive
            let targets = """
                  - { name: fileserver, tenant: acme, location: fra1, archives: \(good), manifest: "{archive}.sha256" }
                """
            let configs = try ["node-a", "node-b"].map { try nodeConfig(temp, $0, database: database, targets: targets) }
            let a = try DaemonProcess(config: configs[0], in: temp, environment: try slowWorker(temp, seconds: 6), extraArguments: ["--node", "node-a"])
            #expect(testing(configs[0], "fileserver") == true, "\(a.log)")
            // Frozen (a VM pause, SIGSTOP) past its 3 s lease; its worker goes on meanwhile.
            a.signal(SIGSTOP)
            let b = try DaemonProcess(config: configs[1], in: temp, extraArguments: ["--node", "node-b"])
            let tested = self.firstResult(configs[1], "fileserver", timeout: 90)
            #expect(tested.map(finished) == ["passed"], "\(b.log)")
            a.signal(SIGCONT)
            // It wakes with its test (or its renewal) refused: counted, and nothing written.
            let fenced = Loopback.eventually(timeout: 60) {
                a.metrics()?.contains("restorecheck_fleet_node_fenced_writes_total{node=\"node-a\"} 1") == true ? true : nil
            }
            #expect(fenced == true, "\(a.log)")
            let runs = try runs(configs[0], "fileserver")
            #expect(runs.compactMap { $0["status"] as? String }.sorted() == ["aborted", "passed"], "one result, the lost attempt aborted: \(runs)")
            for node in [a, b] { node.signal(SIGTERM) }
            for node in [a, b] { #expect(node.waitForExit() == 0, "\(node.log)") }
            let verify = try restorecheck(["evidence", "verify", "--config", configs[1]])
            #expect(verify.status == 0, "\(verify.stdout)\(verify.stderr)")
        }
    }
}

/// A fleet node through a PostgreSQL outage (its own cluster, stopped for 30 s while a test runs).
@Suite("Fleet node through a database outage")
struct FleetOutageTests {
    @Test func aDatabaseStoppedForThirtySecondsMidTestLosesAndDoublesNoResult() async throws {
        try await Blocking.run {
            let temp = TemporaryDirectory("cli-fleet-outage")
            let server = try TemporaryPostgres.startNetworked(in: temp.url("pg"), port: Loopback.freePort())
            defer { server.stop() }
            try server.run("createdb", "fleet")
            let database = PostgresSettings(host: nil, port: server.port, socketDirectory: server.directory, user: "postgres", database: "fleet", tls: .disable)
            let good = try BackupSet.make(.gnuTar, in: temp, name: "fs").archive
            let suite = FleetQueueCommandTests()
            let config = try suite.nodeConfig(temp, "node-a", database: database, targets: """
                  - { name: fileserver, tenant: acme, location: fra1, archives: \(good), manifest: "{archive}.sha256" }
                """)
            let node = try DaemonProcess(config: config, in: temp, environment: try suite.slowWorker(temp, seconds: 5), extraArguments: ["--node", "node-a"])
            #expect(suite.testing(config, "fileserver") == true, "\(node.log)")
            try server.pause()
            // The outage's length is the case itself, not a wait for a result.
            Thread.sleep(forTimeInterval: 30)
            #expect(node.process.isRunning, "the node keeps running through the outage: \(node.log)")
            try server.resume()
            // Recorded once after reconnecting, or the job re-runs: either way one result.
            let result = suite.firstResult(config, "fileserver", timeout: 120)
            #expect(result.map(suite.finished) == ["passed"], "\(node.log)")
            node.signal(SIGTERM)
            #expect(node.waitForExit() == 0, "\(node.log)")
            #expect(suite.finished(try suite.runs(config, "fileserver")) == ["passed"], "no second result")
            let verify = try suite.restorecheck(["evidence", "verify", "--config", config])
            #expect(verify.status == 0, "\(verify.stdout)\(verify.stderr)")
        }
    }
}

/// The shipped alert rules, evaluated by a real Prometheus (Debian's `prometheus`) scraping three
/// real `serve` nodes of one fleet: a failing target is one alert, not one per node.
@Suite("Fleet alerts with a real Prometheus", .serialized)
struct FleetAlertTests {
    @Test func threeNodesExportingAFailingTargetFireOneAlert() async throws {
        try await Blocking.run {
            let temp = TemporaryDirectory("cli-fleet-alerts")
            let database = try SharedPostgres.database("cli-fleet-alerts")
            let good = try BackupSet.make(.gnuTar, in: temp, name: "fs").archive
            let bad = try BackupSet.make(.gnuTar, in: temp, name: "nas").archive
            try Shell.run("truncate -s 3000 \"$A\"", environment: ["A": bad])
            let targets = """
                  - { name: fileserver, tenant: acme, location: fra1, archives: \(good), manifest: "{archive}.sha256" }
                  - { name: nas, tenant: initech, location: fra1, archives: \(bad), manifest: "{archive}.sha256" }
                """
            let suite = FleetQueueCommandTests()
            let nodes = try ["node-a", "node-b", "node-c"].map {
                try DaemonProcess(config: try suite.nodeConfig(temp, $0, database: database, targets: targets), in: temp, extraArguments: ["--node", $0])
            }
            let rules = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("../../config/prometheus/restorecheck-alerts.yml").standardized.path
            let prometheus = try TestPrometheus(scraping: nodes.map(\.port), rules: [rules], in: temp)
            defer {
                prometheus.stop()
                for node in nodes { node.signal(SIGTERM) }
                for node in nodes { _ = node.waitForExit() }
            }
            // Every node exports the fleet's failing outcome for nas, whichever node tested it...
            let exported = Loopback.eventually(timeout: 90) {
                prometheus.query(#"restorecheck_restore_success{target="nas"} == 0"#)?.count == 3 ? true : nil
            }
            #expect(exported == true, "\(nodes.map(\.log))")
            // ...and the rules fire once for it, none for the passing target.
            let firing = Loopback.eventually(timeout: 30) { () -> [[String: Any]]? in
                let alerts = prometheus.query(#"ALERTS{alertname="RestoreTestFailed",alertstate="firing"}"#) ?? []
                return alerts.isEmpty ? nil : alerts
            }
            let labels = (firing ?? []).compactMap { $0["metric"] as? [String: Any] }
            #expect(labels.count == 1 && labels.first?["target"] as? String == "nas", "\(labels)")
            #expect(prometheus.query(#"restorecheck_fleet_node_claims_total"#)?.count == 3, "each node exports its own node series")
        }
    }
}
