import Foundation
import Glibc

/// The parent's end of a restore worker's random reads of one object: the worker's libarchive seeks
/// and reads (`CDecoders/ranged_input.c`, which documents the wire format), and each read arrives
/// here on a socket as a request for a range, fetched with a ranged GET conditional on the object's
/// ETag (retried and resumed, `ResumableRange`) and written back. A zip's or 7z's sample thus costs
/// the central directory, the local headers and the sampled members, not the object.
///
/// Requests are served one at a time, in order: libarchive asks for the next bytes only when it
/// needs them. A range that cannot be fetched answers -1 and ends the service with `failure` set;
/// the worker then stops, and the test is voided as the store's fault.
public final class RangeServer: @unchecked Sendable {
    // @unchecked: the mutable fields are read and written only with `lock` held.

    public let client: S3Client
    public let object: S3Object

    private let lock = NSLock()
    private var statistics = FetchStatistics()
    private var failureValue: S3Error?
    private var stopped = false
    private var socket: Int32 = -1

    /// The most one request may ask for: the worker asks for at most 8 MiB; a worker taken over by
    /// a hostile archive could ask for more, and this bounds what it can make this process hold.
    static let maximumRequest: UInt64 = 16 << 20

    public init(client: S3Client, object: S3Object) {
        self.client = client
        self.object = object
    }

    /// The error that ended the service; nil when the worker simply closed its end.
    public var failure: S3Error? { lock.withLock { failureValue } }
    public var stats: FetchStatistics { lock.withLock { statistics } }

    /// Ends the service: its socket is shut down, so a wait for the next request returns.
    public func stop() {
        lock.withLock {
            stopped = true
            if socket >= 0 { _ = shutdown(socket, Int32(SHUT_RDWR)) }
        }
    }

    /// Answers requests on `fd` until the worker closes its end, a range fails, or `stop()`.
    /// Does not close `fd`.
    public func serve(_ fd: Int32) {
        let start = Date()
        defer { lock.withLock { statistics.seconds = Date().timeIntervalSince(start) } }
        let alreadyStopped = lock.withLock {
            socket = fd
            return stopped
        }
        if alreadyStopped { return }
        let transfer = CurlTransfer()
        var request = [UInt8](repeating: 0, count: 16)
        while Self.readAll(fd, &request) {
            let offset = Self.little(request[0..<8]), length = Self.little(request[8..<16])
            guard offset <= UInt64(object.size), length <= Self.maximumRequest else {
                fail(S3Error(kind: .other, status: 0, message: "the worker asked for \(length) bytes at \(offset) of \(object.size)"), fd)
                return
            }
            let range = Int64(offset)..<min(object.size, Int64(offset + length))
            var data = Data()
            if !range.isEmpty {
                let result = ResumableRange(client: client, object: object).fetch(
                    range, transfer: transfer, isStopped: { [self] in lock.withLock { stopped } },
                    attempted: { [self] get in lock.withLock { statistics.record(get) } },
                    retrying: { [self] in lock.withLock { statistics.retries += 1 } })
                switch result {
                case .fetched(let fetched): data = fetched
                case .stopped: return
                case .failed(let error):
                    fail(error, fd)
                    return
                }
            }
            var answer = Self.bytes(Int64(data.count))
            answer.append(contentsOf: data)
            guard Self.writeAll(fd, answer) else { return }
            lock.withLock { statistics.bytesWritten += Int64(data.count) }
        }
    }

    /// Fetches `partBytes` (from the object's start) when no GET so far brought as much:
    /// a sample of small files measures the store's latency but not its throughput, which a full
    /// restore's projection needs. Counted like every other read; a failure is only a missing
    /// measurement. Call after `serve` has returned.
    public func measureThroughput(partBytes: Int64) {
        let wanted = min(object.size, partBytes)
        guard wanted > 0, stats.largestGetBytes < wanted else { return }
        _ = ResumableRange(client: client, object: object).fetch(
            0..<wanted, transfer: CurlTransfer(), isStopped: { [self] in lock.withLock { stopped } },
            attempted: { [self] get in lock.withLock { statistics.record(get) } },
            retrying: { [self] in lock.withLock { statistics.retries += 1 } })
    }

    private func fail(_ error: S3Error, _ fd: Int32) {
        lock.withLock { if failureValue == nil { failureValue = error } }
        _ = Self.writeAll(fd, Self.bytes(-1))
    }

    private static func little(_ bytes: ArraySlice<UInt8>) -> UInt64 {
        bytes.reversed().reduce(0) { $0 << 8 | UInt64($1) }
    }

    private static func bytes(_ value: Int64) -> [UInt8] {
        (0..<8).map { UInt8(truncatingIfNeeded: UInt64(bitPattern: value) >> (8 * $0)) }
    }

    /// Fills `buffer`; false at the end of the stream (the worker left) or on an error.
    private static func readAll(_ fd: Int32, _ buffer: inout [UInt8]) -> Bool {
        var offset = 0
        while offset < buffer.count {
            let count = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress! + offset, $0.count - offset) }
            if count < 0, errno == EINTR { continue }
            guard count > 0 else { return false }
            offset += count
        }
        return true
    }

    /// False when the worker has gone (EPIPE: it stopped reading) or the write failed.
    private static func writeAll(_ fd: Int32, _ bytes: [UInt8]) -> Bool {
        var offset = 0
        while offset < bytes.count {
            let written = bytes.withUnsafeBytes { send(fd, $0.baseAddress! + offset, $0.count - offset, Int32(MSG_NOSIGNAL)) }
            if written < 0, errno == EINTR { continue }
            guard written > 0 else { return false }
            offset += written
        }
        return true
    }
}
