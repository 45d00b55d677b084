import Foundation
import Glibc
import RestoreCheckMetrics
import RestoreCheckTestSupport
import Testing

/// `/reports/` on a real `restorecheck serve`, asked with curl: served only when enabled, behind the
/// same basic auth, and a tenant-limited user sees only that tenant's report.
@Suite("Reports served by the daemon", .serialized)
struct ReportEndpointTests {
    @Test func tenantUsersSeeOnlyTheirReportAndReportsFollowReload() async throws {
        try await Blocking.run { try Self().body() }
    }

    func body() throws {
        let temp = TemporaryDirectory("report-endpoint")
        let acme = try BackupSet.make(.gnuTarGzip, in: temp, name: "acme")
        let globex = try BackupSet.make(.gnuTar, in: temp, name: "globex")
        let configText = { (serve: Bool) in
            """
            scratch_dir: \(temp.url("scratch"))
            state_dir: \(temp.url("state"))
            defaults: { rpo: 1d, rto: 1h, jitter: 0s, manifest: "{archive}.sha256" }
            report: { serve: \(serve), company: "Example MSP" }
            targets:
              - { name: fileserver, tenant: acme, archives: \(acme.archive) }
              - { name: mail, tenant: globex, archives: \(globex.archive) }

            """
        }
        let config = try temp.write("rc.yaml", configText(true))
        let admin = try Shell.run("htpasswd -nbBC 10 admin adminpass | cut -d: -f2-").stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        let viewer = try Shell.run("htpasswd -nbBC 10 acme-viewer viewpass | cut -d: -f2-").stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        try temp.write(
            "web.yml",
            """
            basic_auth_users:
              admin: '\(admin)'
              acme-viewer: '\(viewer)'
            tenant_users:
              acme-viewer: [acme]
            """)
        let daemon = try DaemonProcess(config: config, in: temp, extraArguments: ["--web.config.file", temp.url("web.yml")])
        let base = "http://127.0.0.1:\(daemon.port)"
        let asAdmin = ["-u", "admin:adminpass"]
        let asViewer = ["-u", "acme-viewer:viewpass"]
        let page = Loopback.eventually(timeout: 60) { () -> String? in
            let html = Loopback.get("\(base)/reports/acme", headers: ["Authorization: Basic \(Data("admin:adminpass".utf8).base64EncodedString())"])
            return html?.contains("<tr data-run=") == true ? html : nil
        }
        let html = try #require(page, "the daemon's first test shows in the served report: \(daemon.log)")
        #expect(html.contains("<tr data-target=\"fileserver\">") && html.contains("Prepared by Example MSP"))
        let type = try Shell.execute("/usr/bin/curl", ["-s", "-o", "/dev/null", "-w", "%{content_type}", "-u", "admin:adminpass", "\(base)/reports/acme"])
        #expect(type.stdout == "text/html; charset=utf-8", "a header, not the page: \(type.stdout.prefix(80))")
        #expect(!html.contains("mail"), "another tenant's target never appears")

        #expect(Loopback.status("\(base)/reports/") == 401)
        let index = try #require(Loopback.get("\(base)/reports/", headers: ["Authorization: Basic \(Data("admin:adminpass".utf8).base64EncodedString())"]))
        #expect(index.contains("<a href=\"/reports/acme\">acme</a>") && index.contains("<a href=\"/reports/globex\">globex</a>"))
        // A report renders at nice 19 (`BackgroundWorker`), so on a CI host whose two cores are busy
        // with other tests it can take seconds (a 5 s limit failed once): pages that render get a
        // minute; the answers that render nothing (401, 403, 404, 400) keep curl's 5 s.
        let rendering = 60
        #expect(Loopback.status("\(base)/reports/globex", asAdmin, maxTime: rendering) == 200)
        #expect(Loopback.status("\(base)/reports/nobody", asAdmin) == 404)
        #expect(Loopback.status("\(base)/reports/..%2F..%2Fetc%2Fpasswd", asAdmin) == 404, "names are looked up, never used as paths")
        #expect(Loopback.status("\(base)/reports/acme?since=forever", asAdmin) == 400)
        #expect(Loopback.status("\(base)/reports/acme?since=90d", asAdmin, maxTime: rendering) == 200)
        #expect(Loopback.status("\(base)/metrics", asAdmin) == 200)

        #expect(Loopback.status("\(base)/reports/acme", asViewer, maxTime: rendering) == 200)
        #expect(Loopback.status("\(base)/reports/globex", asViewer) == 403)
        #expect(Loopback.status("\(base)/reports/", asViewer) == 403, "the list names other customers")
        #expect(Loopback.status("\(base)/metrics", asViewer) == 403, "metrics carry every tenant's series")
        #expect(Loopback.status("\(base)/reports/acme", ["-u", "acme-viewer:wrong"]) == 401)

        // Turned off by a reload: the next request is 404.
        try temp.write("rc.yaml", configText(false))
        daemon.signal(SIGHUP)
        #expect(Loopback.eventually(timeout: 20) { Loopback.status("\(base)/reports/acme", asAdmin) == 404 ? true : nil } == true, "\(daemon.log)")
        daemon.signal(SIGTERM)
        #expect(daemon.waitForExit() == 0, "\(daemon.log)")
    }

    @Test func reportsAreNeverServedBeyondLoopbackWithoutBasicAuth() async throws {
        try await Blocking.run {
            let temp = TemporaryDirectory("report-exposed")
            let set = try BackupSet.make(.gnuTar, in: temp)
            let config = try temp.write(
                "rc.yaml",
                "scratch_dir: \(temp.url("scratch"))\nstate_dir: \(temp.url("state"))\nreport: { serve: true }\n"
                    + "targets:\n  - { name: t, tenant: x, archives: \(set.archive), rpo: 1d, rto: 1h }\n")
            let result = try Shell.execute(BuiltBinary.path, ["serve", "--config", config, "--web.listen-address", "0.0.0.0:\(Loopback.freePort())"])
            #expect(result.status == 2)
            #expect(result.stderr.contains("report.serve on 0.0.0.0") && result.stderr.contains("without basic_auth_users"), "\(result.stderr)")
            #expect(MetricsEndpoint.reportsExposed(WebConfig(basicAuthUsers: ["a": "$2b$10$x"]), addresses: [ListenAddress(host: "10.0.0.1", port: 1)]) == nil)
            #expect(MetricsEndpoint.reportsExposed(nil, addresses: [.default]) == nil, "loopback needs no auth")
        }
    }

    @Test func aTenantUserWhoIsNotABasicAuthUserIsAConfigError() async throws {
        try await Blocking.run {
            let temp = TemporaryDirectory("report-webconfig")
            let path = try temp.write("web.yml", "basic_auth_users:\n  admin: '$2b$10$7EqJtq98hPqEX7fNZaFWoOhi5BWX4Z3V5lz0xCjCEvQZ8pP5Tj1W6'\ntenant_users:\n  viewer: [acme]\n")
            let set = try BackupSet.make(.gnuTar, in: temp)
            let config = try temp.oneTargetConfig(archive: set.archive)
            let result = try Shell.execute(BuiltBinary.path, ["serve", "--config", config, "--web.config.file", path])
            #expect(result.status == 2 || result.status == 1)
            #expect(result.stderr.contains("'viewer' is not in basic_auth_users"), "\(result.stderr)")
        }
    }
}
