import Foundation
import Glibc

/// A `restorecheck serve` process on loopback, started from the built binary, with its log in a file.
public final class DaemonProcess: @unchecked Sendable {
    // @unchecked: all stored properties are set once in init; `process` is only signalled.
    public let process: Process
    public let logPath: String
    public let port: Int

    public init(
        config: String, in temp: TemporaryDirectory, environment: [String: String] = [:], port: Int = Loopback.freePort(),
        extraArguments: [String] = []
    ) throws {
        self.port = port
        logPath = temp.url("serve-\(port).log")
        FileManager.default.createFile(atPath: logPath, contents: nil)
        process = Process()
        process.executableURL = URL(fileURLWithPath: BuiltBinary.path)
        process.arguments = ["serve", "--config", config, "--web.listen-address", "127.0.0.1:\(port)"] + extraArguments
        process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
        let log = try FileHandle(forWritingTo: URL(fileURLWithPath: logPath))
        process.standardOutput = log
        process.standardError = log
        try process.run()
    }

    deinit {
        if process.isRunning { kill(process.processIdentifier, SIGKILL) }
    }

    public var log: String { (try? String(contentsOfFile: logPath, encoding: .utf8)) ?? "" }

    /// Waits until /metrics answers (any HTTP status, over plain HTTP or TLS).
    public func waitUntilServing(timeout: Double = 60) -> Bool {
        Loopback.eventually(timeout: timeout) {
            Loopback.status("http://127.0.0.1:\(port)/metrics") != nil || Loopback.status("https://127.0.0.1:\(port)/metrics", ["-k"]) != nil ? true : nil
        } != nil
    }

    public func metrics() -> String? { Loopback.get("http://127.0.0.1:\(port)/metrics") }

    public func signal(_ number: Int32) { kill(process.processIdentifier, number) }

    /// Waits for exit; returns the status, or nil if still running after `timeout`.
    public func waitForExit(timeout: Double = 30) -> Int32? {
        let deadline = Date().addingTimeInterval(timeout)
        while process.isRunning && Date() < deadline { usleep(50_000) }
        return process.isRunning ? nil : process.terminationStatus
    }
}
