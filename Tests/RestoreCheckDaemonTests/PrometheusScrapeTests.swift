import Foundation
import RestoreCheckTestSupport
import Testing

/// A real Prometheus (Debian's `prometheus` package) scrapes a real `restorecheck serve` on loopback;
/// assertions go through Prometheus's own HTTP query API.
@Suite("End to end with a real Prometheus", .serialized)
struct PrometheusScrapeTests {
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

        let prometheus = try TestPrometheus(scraping: [daemon.port], in: temp)
        defer {
            prometheus.stop()
            daemon.signal(SIGTERM)
            _ = daemon.waitForExit()
        }

        let success = #"restorecheck_restore_success{tenant="acme",target="demo"}"#
        #expect(Loopback.eventually(timeout: 60) { prometheus.value("up{job=\"restorecheck\"}") == "1" ? true : nil } == true)
        #expect(Loopback.eventually(timeout: 60) { prometheus.value(success) == "1" ? true : nil } == true)

        // Corrupt the archive; the next scheduled test (every 2s) fails and Prometheus sees 0.
        try Shell.run("truncate -s 5000 \"$A\"", environment: ["A": set.archive])
        #expect(Loopback.eventually(timeout: 60) { prometheus.value(success) == "0" ? true : nil } == true)
        #expect(prometheus.value(#"restorecheck_run_failures_total{target="demo"}"#).flatMap(Double.init).map { $0 >= 1 } == true)
    }
}
