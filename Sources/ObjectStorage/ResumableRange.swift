import Foundation

/// One range of an object fetched whole: GETs conditional on the ETag it was located with, retried
/// with backoff after a transient failure and resumed at the byte reached. Progress earns the range
/// a fresh set of retries: a slow but moving server is not failing. Shared by `RangedFetcher` (a
/// stream's parts) and `RangeServer` (a worker's random reads).
struct ResumableRange {
    let client: S3Client
    let object: S3Object

    enum Result {
        case fetched(Data)
        /// `isStopped` said so (the test was cancelled, or the reader left).
        case stopped
        /// Not transient, or still failing after the retry policy's attempts.
        case failed(S3Error)
    }

    /// - Parameters:
    ///   - isStopped: asked before each attempt and at each chunk; true ends the fetch.
    ///   - attempted: each GET's result, for the statistics.
    ///   - retrying: called before each retry's wait.
    func fetch(
        _ range: Range<Int64>, transfer: CurlTransfer, isStopped: @escaping () -> Bool,
        attempted: (S3Client.GetResult) -> Void, retrying: () -> Void
    ) -> Result {
        var data = Data(capacity: range.count)
        var failures = 0
        while true {
            if isStopped() { return .stopped }
            let remaining = (range.lowerBound + Int64(data.count))..<range.upperBound
            let result = client.get(object, range: remaining, transfer: transfer) { bytes in
                data.append(contentsOf: bytes)
                return !isStopped()
            }
            attempted(result)
            if data.count == range.count { return .fetched(data) }
            if result.readerLeft { return .stopped }
            guard let error = result.error else { return .stopped }
            failures = result.delivered > 0 ? 1 : failures + 1
            guard error.kind == .transient, failures < client.retry.attempts else { return .failed(error) }
            retrying()
            Thread.sleep(forTimeInterval: client.retry.delay(afterAttempt: failures - 1))
        }
    }
}
