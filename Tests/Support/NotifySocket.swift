import Foundation
import Glibc

/// A Unix datagram socket standing in for systemd's `$NOTIFY_SOCKET`: the daemon's real sd_notify
/// code sends to it, and the test reads what systemd would have received.
public final class NotifySocket: @unchecked Sendable {
    // @unchecked: `fd` and `path` are immutable; reads happen on one test task at a time.
    public let path: String
    private let fd: Int32

    public init(path: String) throws {
        self.path = path
        fd = socket(AF_UNIX, Int32(SOCK_DGRAM.rawValue), 0)
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        let bytes = Array(path.utf8)
        precondition(bytes.count < MemoryLayout.size(ofValue: address.sun_path), "socket path too long: \(path)")
        withUnsafeMutableBytes(of: &address.sun_path) { $0.copyBytes(from: bytes) }
        let result = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
        }
        guard result == 0 else { throw POSIXError(POSIXErrorCode(rawValue: errno) ?? .EIO) }
    }

    deinit {
        close(fd)
        unlink(path)
    }

    /// The next datagram, or nil after `timeout` seconds.
    public func receive(timeout: Double) -> String? {
        var descriptor = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
        guard poll(&descriptor, 1, Int32(timeout * 1000)) == 1 else { return nil }
        var buffer = [UInt8](repeating: 0, count: 4096)
        let count = recv(fd, &buffer, buffer.count, 0)
        return count > 0 ? String(decoding: buffer[0..<count], as: UTF8.self) : nil
    }

    /// Discards every message waiting (as systemd would have read them): a test that stops reading
    /// for a while lets watchdog pings fill the socket's queue (`max_dgram_qlen`, 10 here).
    public func drain() {
        while receive(timeout: 0) != nil {}
    }

    /// Reads messages until one satisfies `match`; returns every message read, or nil on timeout.
    public func waitFor(timeout: Double = 30, _ match: (String) -> Bool) -> [String]? {
        let deadline = Date().addingTimeInterval(timeout)
        var seen: [String] = []
        while Date() < deadline {
            guard let message = receive(timeout: max(0.05, deadline.timeIntervalSinceNow)) else { continue }
            seen.append(message)
            if match(message) { return seen }
        }
        return nil
    }
}

/// Loopback helpers for tests that run servers.
public enum Loopback {
    /// A TCP port that was free a moment ago (bind to 0, read it, close).
    public static func freePort() -> Int {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = 0
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { pointer in
                _ = bind(fd, pointer, length)
                return getsockname(fd, pointer, &length)
            }
        }
        return Int(UInt16(bigEndian: address.sin_port))
    }

    /// GET `url` with curl (a real HTTP client); nil when the request fails.
    public static func get(_ url: String, headers: [String] = []) -> String? {
        let arguments = ["-sS", "--max-time", "5", "--fail"] + headers.flatMap { ["-H", $0] } + [url]
        guard let result = try? Shell.execute("/usr/bin/curl", arguments), result.status == 0 else { return nil }
        return result.stdout
    }

    /// The HTTP status of a request made with curl and `arguments`; nil when no HTTP answer came
    /// within `maxTime` seconds (connection refused or closed, TLS handshake failed, too slow).
    public static func status(_ url: String, _ arguments: [String] = [], maxTime: Int = 5) -> Int? {
        let result = try? Shell.execute("/usr/bin/curl", ["-s", "-o", "/dev/null", "-w", "%{http_code}", "--max-time", "\(maxTime)"] + arguments + [url])
        guard let result, result.status == 0, let code = Int(result.stdout), code > 0 else { return nil }
        return code
    }

    /// Polls `body` until it returns non-nil or `timeout` passes.
    public static func eventually<T>(timeout: Double = 30, interval: Double = 0.2, _ body: () -> T?) -> T? {
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            if let value = body() { return value }
            usleep(useconds_t(interval * 1_000_000))
        }
        return body()
    }
}
