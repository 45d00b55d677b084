import Foundation
import RestoreCheckTestSupport
import Testing

/// A real Prometheus (Debian's `prometheus` package) scrapes a real `restorecheck serve` on loopback;
/// assertions go through Prometheus's own HTTP query API.
@Suite("End to end with a real Prometheus", .serialized)
struct PrometheusScrapeTests {
    /// The value of an instant query's single sample, or nil.
    func query(_ port: Int, _ promql: String) -> String? {
        let encoded = promql.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? promql
        guard let body = Loopback.get("http://127.0.0.1:\(port)/api/v1/query?query=\(encoded)"),
            let json = try? JSONSerialization.jsonObject(with: Data(body.utf8)) as? [String: Any],
            let data = json["data"] as? [String: Any], let result = data["result"] as? [[String: Any]],
            let value = result.first?["value"] as? [Any]
        else { return nil }
        return value.last as? String
    }

    @Test func prometheusSeesSuccessThenFailureAfterCorruption() async throws {
        try await Blocking.run { try Self().prometheusSeesSuccessThenFailureAfterCorruptionBody() }
    }

    func prometheusSeesSuccessThenFailureAfterCorruptionBody() throws {
        let temp = TemporaryDirectory("prom")
        let set = try BackupSet.make(.gnuTarGzip, in: temp)
        let config = try temp.write(
            "rc.yaml",
            """
            scratch_dir: \(temp.url("scratch"))
            state_dir: \(temp.url("state"))
            defaults: { rpo: 26h, rto: 4h, every: 2s, jitter: 0s, sample: { files: all } }
            targets:
              - { name: demo, tenant: acme, archives: \(set.archive), manifest: "{archive}.sha256" }
            """)
        let daemon = try DaemonProcess(config: config, in: temp)
        #expect(daemon.waitUntilServing())

        let prometheusPort = Loopback.freePort()
        let prometheusConfig = try temp.write(
            "prometheus.yml",
            """
            global: { scrape_interval: 1s, evaluation_interval: 1s }
            scrape_configs:
              - job_name: restorecheck
                static_configs: [ { targets: ["127.0.0.1:\(daemon.port)"] } ]
            """)
        let prometheus = Process()
        prometheus.executableURL = URL(fileURLWithPath: "/usr/bin/prometheus")
        prometheus.arguments = [
            "--config.file=\(prometheusConfig)", "--storage.tsdb.path=\(temp.url("tsdb"))",
            "--web.listen-address=127.0.0.1:\(prometheusPort)", "--log.level=warn",
        ]
        prometheus.standardOutput = FileHandle.nullDevice
        prometheus.standardError = FileHandle.nullDevice
        try prometheus.run()
        defer {
            prometheus.terminate()
            prometheus.waitUntilExit()
            daemon.signal(SIGTERM)
            _ = daemon.waitForExit()
        }

        let success = #"restorecheck_restore_success{tenant="acme",target="demo"}"#
        #expect(Loopback.eventually(timeout: 60) { query(prometheusPort, "up{job=\"restorecheck\"}") == "1" ? true : nil } == true)
        #expect(Loopback.eventually(timeout: 60) { query(prometheusPort, success) == "1" ? true : nil } == true)

        // Corrupt the archive; the next scheduled test (every 2s) fails and Prometheus sees 0.
        try Shell.run("truncate -s 5000 \"$A\"", environment: ["A": set.archive])
        #expect(Loopback.eventually(timeout: 60) { query(prometheusPort, success) == "0" ? true : nil } == true)
        #expect(query(prometheusPort, #"restorecheck_run_failures_total{target="demo"}"#).flatMap(Double.init).map { $0 >= 1 } == true)
    }
}
