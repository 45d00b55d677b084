import Foundation
import RestoreCheckCore
import RestoreCheckPostgres
import RestoreCheckStoreTestSupport
import RestoreCheckTestSupport
import Testing

/// What only the PostgreSQL history must do: many hosts writing one history, the database going
/// away and coming back, and a least-privilege role over verified TLS.
@Suite("PostgreSQL history: many hosts, restarts, least privilege and TLS")
struct PostgresHistoryTests {
    typealias H = SyntheticHistory

    @Test func twoHostsAppendingAtOnceKeepOneUnbrokenChain() async throws {
        let history = try await HistoryBackend.postgresql.open("fleet-chain", node: "node-a")
        defer { history.close() }
        let other = try await history.reopen(node: "node-b")
        defer { (other as? PostgresHistory)?.close() }
        try await withThrowingTaskGroup(of: Void.self) { group in
            for (host, store) in [("a", history.store), ("b", other)] {
                group.addTask {
                    for day in 0..<15 {
                        try await H.record(into: store, "fs-\(host)", tenant: host, H.Test(day: day, status: day % 5 == 4 ? .failed : .passed))
                    }
                }
            }
            try await group.waitForAll()
        }
        let fromA = try await history.verify()
        #expect(fromA.isIntact, "\(fromA.problems)")
        #expect(fromA.entriesChecked == 30, "every run of both hosts is in the one chain")
        let fromB = try await (other as? PostgresHistory)?.verifyEvidence(since: nil, retention: nil, now: Date())
        #expect(fromB?.headHash == fromA.headHash, "every host computes the same head")
        #expect(Set(try await other.latestPerTarget().map(\.target)) == ["fs-a", "fs-b"], "one history, whichever host reads it")
    }

    @Test func aHostAbortsOnlyItsOwnLeftovers() async throws {
        let history = try await HistoryBackend.postgresql.open("fleet-leftovers", node: "node-a")
        defer { history.close() }
        let other = try await history.reopen(node: "node-b")
        defer { (other as? PostgresHistory)?.close() }
        _ = try await history.store.beginRun(target: "fs", tenant: "acme", started: H.started(0), origin: "serve")
        _ = try await other.beginRun(target: "db", tenant: "acme", started: H.started(0), origin: "serve")
        #expect(try await other.abortLeftovers() == 1, "node-b restarted: its own run was cut short")
        let latest = Dictionary(uniqueKeysWithValues: try await history.store.latestPerTarget().map { ($0.target, $0.status) })
        #expect(latest == ["fs": .started, "db": .aborted], "node-a's test is still running")
    }

    @Test func aTestFinishingWhileTheDatabaseRestartsIsRecordedOnce() async throws {
        let temp = TemporaryDirectory("pg-restart")
        let server = try await Blocking.run { try TemporaryPostgres.startNetworked(in: temp.url("pg"), port: Loopback.freePort()) }
        defer { server.stop() }
        try await Blocking.run { try server.run("createdb", "fleet") }
        let settings = PostgresSettings(host: nil, port: server.port, socketDirectory: server.directory, user: "postgres", database: "fleet", tls: .disable)
        let store = try await PostgresHistory.open(settings, node: "node-a")
        defer { store.close() }
        try await H.record(into: store, "fs", H.Test(day: 0))
        let id = try await store.beginRun(target: "fs", tenant: "acme", started: H.started(1), origin: "serve")
        try await Blocking.run { try server.pause() }
        // The test ends while the database is down; the write waits for it and lands once.
        let completion = Task { try await store.complete(runID: id, outcome: H.outcome("fs", H.Test(day: 1))) }
        // The outage's length is the case itself (a restart of a few seconds), not a wait for a result.
        try await Task.sleep(for: .seconds(3))
        try await Blocking.run { try server.resume() }
        try await completion.value
        #expect(try await store.history(target: "fs", limit: 10).map(\.status) == [.passed, .passed])
        let check = try await store.verifyEvidence(since: nil, retention: nil, now: Date())
        #expect(check.isIntact && check.entriesChecked == 2, "\(check.problems)")
    }

    @Test func aSweepCutMidQueryByACrashRecordsEveryEventOnce() async throws {
        let temp = TemporaryDirectory("pg-crash")
        let server = try await Blocking.run { try TemporaryPostgres.startNetworked(in: temp.url("pg"), port: Loopback.freePort()) }
        defer { server.stop() }
        try await Blocking.run {
            try server.run("createdb", "fleet")
            try server.run("psql", "-q -d fleet -c \"ALTER ROLE postgres PASSWORD 'pw'\"")
        }
        let password = try temp.write("pw", "pw\n")
        let settings = PostgresSettings(host: "127.0.0.1", port: server.port, user: "postgres", database: "fleet", tls: .disable, passwordFile: password)
        let store = try await PostgresHistory.open(settings, node: "node-a")
        defer { store.close() }
        try await store.registerChannels(["psa"])
        let targets = (0..<400).map { WatchedTarget(name: "t\($0)", tenant: "acme", rpoSeconds: 86_400) }
        #expect(try await store.refreshBreaches(targets, now: H.at(0)) == 0)
        // A week later every target is untested: 400 transactions, one per target, cut by a crash.
        let sweep = Task { try await store.refreshBreaches(targets, now: H.at(8)) }
        let deadline = Date().addingTimeInterval(60)
        while try await store.openBreaches().count < 40, Date() < deadline { try await Task.sleep(for: .milliseconds(20)) }
        try await Blocking.run {
            try server.pause(mode: "immediate")
            try server.resume()
        }
        _ = try await sweep.value
        let open = try await store.openBreaches()
        #expect(open.count == 400)
        let events = try await store.pendingEvents(channel: "psa", now: .distantFuture, limit: 1_000)
        #expect(events.count == 400, "one not_tested event per target: none lost to the crash, none doubled by the retry")
        #expect(Set(events.map(\.event.target)).count == 400)
    }

    @Test func aLeastPrivilegeRoleOverVerifiedTLSWithAPasswordFile() async throws {
        let temp = TemporaryDirectory("pg-tls")
        let server = try await Blocking.run { try TemporaryPostgres.startNetworked(in: temp.url("pg"), port: Loopback.freePort()) }
        defer { server.stop() }
        // The DBA's part (README "Fleet"): a role, a database it does not own, and one schema it does.
        let setup = try temp.write("setup.sql", """
            CREATE ROLE restorecheck LOGIN PASSWORD 'correct horse';
            CREATE DATABASE fleet;
            \\c fleet
            CREATE SCHEMA restorecheck AUTHORIZATION restorecheck;
            REVOKE ALL ON SCHEMA public FROM PUBLIC;
            """)
        try await Blocking.run {
            try Shell.run("chmod 644 \(setup)")
            try server.run("psql", "-v ON_ERROR_STOP=1 -q -d postgres -f \(setup)")
        }
        let passwordFile = try temp.write("pg-password", "correct horse\n")
        func settings(_ url: String, password: String? = passwordFile) throws -> PostgresSettings {
            var settings = try PostgresSettings.parse(url: url)
            settings.passwordFile = password
            return settings
        }
        let good = "postgresql://restorecheck@localhost:\(server.port)/fleet?sslmode=verify-full&sslrootcert=\(server.certificate)"
        let store = try await PostgresHistory.open(try settings(good), node: "node-a")
        try await H.record(into: store, "fs", H.Test(day: 0))
        #expect(try await store.verifyEvidence(since: nil, retention: nil, now: Date()).entriesChecked == 1)
        store.close()
        let schemas = try await Blocking.run { try server.run("psql", "-At -d fleet -c \"SELECT count(*) FROM pg_tables WHERE tableowner = 'restorecheck' AND schemaname <> 'restorecheck'\"") }
        #expect(schemas.stdout.trimmingCharacters(in: .whitespacesAndNewlines) == "0", "every table is in the role's own schema")

        let wrong = try temp.write("wrong-password", "battery staple\n")
        await #expect {
            try await PostgresHistory.open(try settings(good, password: wrong), node: "node-a")
        } throws: { error in
            "\(error)".contains("password authentication failed for user \"restorecheck\"") && !"\(error)".contains("battery")
        }
        // verify-full checks the name: the certificate is for localhost, not 127.0.0.1.
        await #expect(throws: (any Error).self) {
            try await PostgresHistory.open(
                try settings("postgresql://restorecheck@127.0.0.1:\(server.port)/fleet?sslmode=verify-full&sslrootcert=\(server.certificate)"), node: "n")
        }
        // verify-ca does not, and still checks the chain: without the CA the server is refused.
        let byAddress = try await PostgresHistory.open(
            try settings("postgresql://restorecheck@127.0.0.1:\(server.port)/fleet?sslmode=verify-ca&sslrootcert=\(server.certificate)"), node: "n")
        byAddress.close()
        await #expect(throws: (any Error).self) {
            try await PostgresHistory.open(try settings("postgresql://restorecheck@localhost:\(server.port)/fleet?sslmode=verify-full"), node: "n")
        }
    }
}
