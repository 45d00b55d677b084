import Foundation

/// Runs real tools (GNU tar, bsdtar, zip, 7z, cpio, python3) the way a backup job would.
public enum Shell {
    public struct Result: Sendable {
        public var status: Int32
        public var stdout: String
        public var stderr: String
    }

    public struct Failure: Error, CustomStringConvertible {
        public var command: String
        public var result: Result
        public var description: String { "`\(command)` exited \(result.status): \(result.stderr)" }
    }

    /// Runs `bash -c script` in `directory`; throws unless it exits 0.
    @discardableResult
    public static func run(_ script: String, in directory: String? = nil, environment: [String: String] = [:]) throws -> Result {
        let result = try execute("/bin/bash", ["-c", "set -euo pipefail; " + script], in: directory, environment: environment)
        guard result.status == 0 else { throw Failure(command: script, result: result) }
        return result
    }

    /// Runs an executable with arguments and returns its status and output, whatever the status.
    public static func execute(
        _ executable: String, _ arguments: [String], in directory: String? = nil,
        environment: [String: String] = [:], input: Data? = nil
    ) throws -> Result {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        if let directory { process.currentDirectoryURL = URL(fileURLWithPath: directory) }
        var env = ProcessInfo.processInfo.environment
        env.merge(environment) { $1 }
        process.environment = env
        let out = Pipe()
        let err = Pipe()
        let inPipe = Pipe()
        process.standardOutput = out
        process.standardError = err
        process.standardInput = inPipe
        try process.run()
        if let input { inPipe.fileHandleForWriting.write(input) }
        try? inPipe.fileHandleForWriting.close()
        // Read both pipes concurrently so neither fills up and blocks the child.
        let errBox = DataBox()
        let done = DispatchSemaphore(value: 0)
        let errHandle = err.fileHandleForReading
        DispatchQueue.global().async {
            errBox.data = errHandle.readDataToEndOfFile()
            done.signal()
        }
        let outData = out.fileHandleForReading.readDataToEndOfFile()
        done.wait()
        let errData = errBox.data
        process.waitUntilExit()
        return Result(
            status: process.terminationStatus,
            stdout: String(decoding: outData, as: UTF8.self),
            stderr: String(decoding: errData, as: UTF8.self))
    }

    /// Whether `tool` is on PATH.
    public static func has(_ tool: String) -> Bool {
        (try? run("command -v \(tool) >/dev/null")) != nil
    }
}

/// Carries bytes from the reader thread; the semaphore orders the write before the read.
private final class DataBox: @unchecked Sendable {
    var data = Data()
}
