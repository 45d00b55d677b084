/// What a fetch of one object did (`RangedFetcher`, `RangeServer`), for the outcome's note, the
/// history's `source_read` and the metrics.
public struct FetchStatistics: Sendable {
    public var bytesFetched: Int64 = 0
    /// Bytes handed on (to the worker's pipe); a stream stopped early fetched some it never wrote.
    public var bytesWritten: Int64 = 0
    public var requests = 0
    public var retries = 0
    /// Mean seconds from a request to its first byte.
    public var meanFirstByteSeconds = 0.0
    public var seconds = 0.0
    private var firstByteTotal = 0.0

    public init() {}

    /// Counts one GET, whatever it achieved.
    mutating func record(_ get: S3Client.GetResult) {
        requests += 1
        bytesFetched += get.delivered
        firstByteTotal += get.firstByteSeconds
        meanFirstByteSeconds = firstByteTotal / Double(requests)
    }
}
