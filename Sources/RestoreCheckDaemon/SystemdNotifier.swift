import Foundation
import Glibc

/// `sd_notify` without libsystemd: one datagram to `$NOTIFY_SOCKET` per message.
///
/// A leading `@` in the socket path means an abstract socket (the `@` becomes a NUL byte). Without
/// `$NOTIFY_SOCKET` (not started by systemd) every call is a no-op.
public struct SystemdNotifier: Sendable {
    public let socketPath: String?
    /// `$WATCHDOG_USEC` as seconds, when systemd expects `WATCHDOG=1` pings.
    public let watchdogInterval: Double?

    public init(environment: [String: String] = ProcessInfo.processInfo.environment) {
        socketPath = environment["NOTIFY_SOCKET"].flatMap { $0.isEmpty ? nil : $0 }
        watchdogInterval = environment["WATCHDOG_USEC"].flatMap(Double.init).map { $0 / 1_000_000 }
    }

    public func ready(status: String) { send("READY=1\nSTATUS=\(status)") }

    /// Before a reload; systemd 253+ also wants the monotonic time to match it with `READY=1`.
    public func reloading() {
        var now = timespec()
        clock_gettime(CLOCK_MONOTONIC, &now)
        send("RELOADING=1\nMONOTONIC_USEC=\(Int64(now.tv_sec) * 1_000_000 + Int64(now.tv_nsec) / 1000)")
    }

    public func status(_ text: String) { send("STATUS=\(text)") }
    /// Droppable: the next ping follows within half the watchdog interval.
    public func watchdog() { send("WATCHDOG=1", mayDrop: true) }
    public func stopping() { send("STOPPING=1") }

    /// How long a state change (`READY=1`, `RELOADING=1`, `STOPPING=1`, `STATUS=`) may wait for room
    /// in a full notify socket before it is given up.
    static let stateChangeTimeout = timeval(tv_sec: 2, tv_usec: 0)

    /// Sends `message`; failures are ignored (systemd may be gone during shutdown).
    ///
    /// Never blocks for long. A datagram socket whose reader has stopped reading fills its queue
    /// (`net.unix.max_dgram_qlen`, 10 here), and a plain blocking `sendto` then waits forever — on
    /// the scheduler's cooperative thread, which stopped the daemon from shutting down (seen in CI).
    /// A droppable message (the watchdog ping) is sent with `MSG_DONTWAIT`; a state change waits
    /// for room at most `stateChangeTimeout` (`SO_SNDTIMEO`): systemd waits for `READY=1`, so
    /// dropping it the moment the queue is full would be wrong too (also seen in CI).
    public func send(_ message: String, mayDrop: Bool = false) {
        guard let socketPath else { return }
        let fd = socket(AF_UNIX, Int32(SOCK_DGRAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { return }
        defer { close(fd) }
        var timeout = Self.stateChangeTimeout
        _ = setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        var pathBytes = Array(socketPath.utf8)
        if pathBytes.first == UInt8(ascii: "@") { pathBytes[0] = 0 }
        guard pathBytes.count < MemoryLayout.size(ofValue: address.sun_path) else { return }
        withUnsafeMutableBytes(of: &address.sun_path) { raw in
            raw.copyBytes(from: pathBytes)
        }
        let length = socklen_t(MemoryLayout<sa_family_t>.size + pathBytes.count + (pathBytes.first == 0 ? 0 : 1))
        let bytes = Array(message.utf8)
        _ = withUnsafePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { sockaddrPointer in
                sendto(fd, bytes, bytes.count, Int32(MSG_NOSIGNAL) | (mayDrop ? Int32(MSG_DONTWAIT) : 0), sockaddrPointer, length)
            }
        }
    }
}
