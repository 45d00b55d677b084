import Foundation

/// A real Prometheus (Debian's `prometheus` package) on loopback, scraping the given targets every
/// second with optional rule files, and its HTTP query API.
public final class TestPrometheus: @unchecked Sendable {
    // @unchecked: set once in init; `process` is only terminated.
    public let port: Int
    private let process: Process

    public init(scraping targets: [Int], rules: [String] = [], in temp: TemporaryDirectory) throws {
        port = Loopback.freePort()
        let config = try temp.write(
            "prometheus.yml",
            """
            global: { scrape_interval: 1s, evaluation_interval: 1s }
            rule_files: [\(rules.map { "\"\($0)\"" }.joined(separator: ", "))]
            scrape_configs:
              - job_name: restorecheck
                static_configs: [ { targets: [\(targets.map { "\"127.0.0.1:\($0)\"" }.joined(separator: ", "))] } ]
            """)
        process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/prometheus")
        process.arguments = [
            "--config.file=\(config)", "--storage.tsdb.path=\(temp.url("tsdb"))",
            "--web.listen-address=127.0.0.1:\(port)", "--log.level=warn",
        ]
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
    }

    public func stop() {
        process.terminate()
        process.waitUntilExit()
    }

    /// An instant query's samples (`metric` labels and `value`), or nil when Prometheus did not answer.
    public func query(_ promql: String) -> [[String: Any]]? {
        let encoded = promql.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? promql
        guard let body = Loopback.get("http://127.0.0.1:\(port)/api/v1/query?query=\(encoded)"),
            let json = try? JSONSerialization.jsonObject(with: Data(body.utf8)) as? [String: Any],
            let data = json["data"] as? [String: Any]
        else { return nil }
        return data["result"] as? [[String: Any]]
    }

    /// The value of an instant query's single sample, or nil.
    public func value(_ promql: String) -> String? {
        (query(promql)?.first?["value"] as? [Any])?.last as? String
    }
}
