import Foundation
import Glibc

/// Streams one object into a file descriptor (the restore worker's pipe) in order, fetched as
/// ranged GETs of `partBytes` with up to `parallelism` in flight, each conditional on the ETag the
/// object was located with. A part that fails transiently is retried with backoff and resumed at the
/// byte it reached; a part that still fails, or an object that changed, stops the stream with
/// `failure` set. The reader leaving (EPIPE: the worker ended, its sample complete or its verdict
/// made) stops it without a failure.
///
/// Memory is bounded by `parallelism` parts: a part is not started until the one `parallelism`
/// places before it has been written.
public final class RangedFetcher: @unchecked Sendable {
    // @unchecked: every mutable field below is read and written only with `condition` locked.

    public typealias Statistics = FetchStatistics

    public let client: S3Client
    public let object: S3Object
    public let partBytes: Int64
    public let parallelism: Int

    private let condition = NSCondition()
    private var parts: [Int: Data] = [:]
    private var nextToClaim = 0
    private var nextToWrite = 0
    private var stopped = false
    private var failureValue: S3Error?
    private var readerLeftValue = false
    private var statistics = Statistics()

    /// 8 MiB parts, four in flight: the defaults every fetch uses.
    public static let defaultPartBytes: Int64 = 8 << 20
    public static let defaultParallelism = 4

    public init(client: S3Client, object: S3Object, partBytes: Int64 = defaultPartBytes, parallelism: Int = defaultParallelism) {
        self.client = client
        self.object = object
        self.partBytes = max(1, partBytes)
        self.parallelism = max(1, parallelism)
    }

    private var partCount: Int { Int((object.size + partBytes - 1) / partBytes) }

    /// The error that ended the stream early; nil when every byte was written or the reader left.
    public var failure: S3Error? { condition.withLock { failureValue } }
    /// Whether the reader closed its end before the last byte (not a failure).
    public var readerLeft: Bool { condition.withLock { readerLeftValue } }
    public var stats: Statistics { condition.withLock { statistics } }

    /// Ends the stream as soon as the in-flight requests notice (a cancelled test).
    public func stop() {
        condition.withLock {
            stopped = true
            condition.broadcast()
        }
    }

    /// Fetches and writes every part to `fd`, in order; returns when done, failed, stopped or
    /// when the reader left. Does not close `fd`.
    public func run(into fd: Int32) {
        let start = Date()
        let done = DispatchGroup()
        for index in 0..<min(parallelism, partCount) {
            done.enter()
            let thread = Thread { [self] in
                fetchParts()
                done.leave()
            }
            thread.name = "restorecheck s3 fetch \(index)"
            thread.start()
        }
        writeParts(into: fd)
        stop()
        done.wait()
        condition.withLock { statistics.seconds = Date().timeIntervalSince(start) }
    }

    /// The writer: each part as it arrives, in order.
    private func writeParts(into fd: Int32) {
        for index in 0..<partCount {
            condition.lock()
            while parts[index] == nil, !stopped { condition.wait() }
            guard let data = parts.removeValue(forKey: index) else {
                condition.unlock()
                return
            }
            condition.unlock()
            let written = data.withUnsafeBytes { Self.writeAll($0, to: fd) }
            condition.withLock {
                nextToWrite = index + 1
                if written < 0 {
                    readerLeftValue = true
                    stopped = true
                } else {
                    statistics.bytesWritten += Int64(data.count)
                }
                condition.broadcast()
            }
            if written < 0 { return }
        }
    }

    /// A fetcher thread: claims the next part within the window, fetches it, hands it over.
    private func fetchParts() {
        let transfer = CurlTransfer()
        while true {
            condition.lock()
            while !stopped, nextToClaim < partCount, nextToClaim - nextToWrite >= parallelism { condition.wait() }
            guard !stopped, nextToClaim < partCount else {
                condition.unlock()
                return
            }
            let index = nextToClaim
            nextToClaim += 1
            condition.unlock()
            let lower = Int64(index) * partBytes
            let range = lower..<min(object.size, lower + partBytes)
            guard let data = fetch(range, transfer: transfer) else { return }
            condition.withLock {
                parts[index] = data
                condition.broadcast()
            }
        }
    }

    /// One part, resumed after transient failures; nil when the stream must end (failure recorded).
    private func fetch(_ range: Range<Int64>, transfer: CurlTransfer) -> Data? {
        let result = ResumableRange(client: client, object: object).fetch(
            range, transfer: transfer, isStopped: { [self] in condition.withLock { stopped } },
            attempted: { [self] get in condition.withLock { statistics.record(get) } },
            retrying: { [self] in condition.withLock { statistics.retries += 1 } })
        switch result {
        case .fetched(let data): return data
        case .stopped: return nil
        case .failed(let error):
            condition.withLock {
                if failureValue == nil { failureValue = error }
                stopped = true
                condition.broadcast()
            }
            return nil
        }
    }

    /// Writes all of `bytes`; the count, or -1 when the reader is gone (EPIPE) or the write failed.
    private static func writeAll(_ bytes: UnsafeRawBufferPointer, to fd: Int32) -> Int {
        var offset = 0
        while offset < bytes.count {
            let written = write(fd, bytes.baseAddress! + offset, bytes.count - offset)
            if written < 0 {
                if errno == EINTR { continue }
                return -1
            }
            offset += written
        }
        return offset
    }
}
