import Foundation
import Glibc

/// `webhook-receiver.py` on loopback: what restorecheck's webhook channel sent, and a switch that
/// makes it answer 503 (`down`) or hold requests unanswered (`hang`). See the script's header.
public final class WebhookReceiver: @unchecked Sendable {
    // @unchecked: set once in init; the process is only signalled.
    public let port: Int
    private let process: Process
    private let logPath: String
    private let modePath: String

    static let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("webhook-receiver.py").path

    /// Starts the receiver (on `port`, or a free one), answering in `mode`.
    public init(in temp: TemporaryDirectory, port: Int? = nil, mode: String = "ok") throws {
        let name = UUID().uuidString
        logPath = temp.url("webhook-\(name).jsonl")
        modePath = temp.url("webhook-\(name).mode")
        FileManager.default.createFile(atPath: logPath, contents: nil)
        FileManager.default.createFile(atPath: modePath, contents: Data(mode.utf8))
        process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", Self.script, logPath, modePath] + (port.map { [String($0)] } ?? [])
        let out = Pipe()
        process.standardOutput = out
        process.standardError = FileHandle(forWritingAtPath: "/dev/null")
        try process.run()
        let line = out.fileHandleForReading.readLine()
        guard let bound = Int(line) else {
            throw Shell.Failure(command: "webhook-receiver.py", result: Shell.Result(status: 1, stdout: line, stderr: "no port"))
        }
        self.port = bound
    }

    deinit { stop() }

    public func stop() {
        if process.isRunning {
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
        }
    }

    public var url: String { "http://127.0.0.1:\(port)/hooks/restorecheck" }

    /// `ok`, `down` or `hang`.
    public func set(mode: String) {
        FileManager.default.createFile(atPath: modePath, contents: Data(mode.utf8))
    }

    /// One request as received.
    public struct Delivery {
        public var answered: Bool
        public var headers: [String: String]
        public var body: String
        /// The body as JSON (a CloudEvent).
        public var event: [String: Any] { (try? JSONSerialization.jsonObject(with: Data(body.utf8)) as? [String: Any]) ?? [:] }
        public var data: [String: Any] { event["data"] as? [String: Any] ?? [:] }
    }

    /// Every request recorded so far, in arrival order.
    public var deliveries: [Delivery] {
        let text = (try? String(contentsOfFile: logPath, encoding: .utf8)) ?? ""
        return text.split(separator: "\n").compactMap { line in
            guard let json = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any] else { return nil }
            return Delivery(
                answered: json["answered"] as? Bool ?? false, headers: json["headers"] as? [String: String] ?? [:],
                body: json["body"] as? String ?? "")
        }
    }
}
