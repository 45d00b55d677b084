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
    /// The most bytes one successful GET brought.
    public var largestGetBytes: Int64 = 0
    private var firstByteTotal = 0.0
    /// Least-squares sums of each successful GET's seconds against its bytes (`transferLine`).
    private var fit = (count: 0.0, x: 0.0, y: 0.0, xx: 0.0, xy: 0.0)

    public init() {}

    /// Counts one GET, whatever it achieved.
    mutating func record(_ get: S3Client.GetResult) {
        requests += 1
        bytesFetched += get.delivered
        firstByteTotal += get.firstByteSeconds
        meanFirstByteSeconds = firstByteTotal / Double(requests)
        guard get.error == nil, !get.readerLeft, get.delivered > 0 else { return }
        largestGetBytes = max(largestGetBytes, get.delivered)
        let x = Double(get.delivered), y = get.seconds
        fit = (fit.count + 1, fit.x + x, fit.y + y, fit.xx + x * x, fit.xy + x * y)
    }

    /// The successful GETs' time, request to last byte (not the pauses between them).
    public var transferSeconds: Double { fit.y }

    /// A GET's time as latency plus bytes times seconds per byte, fitted over this fetch's GETs of
    /// different sizes (a zip's sample: 512-byte header reads to 8 MiB data reads); nil without two sizes,
    /// or when the fit says nothing sensible (a slope that is not positive).
    public var transferLine: (latency: Double, secondsPerByte: Double)? {
        let spread = fit.count * fit.xx - fit.x * fit.x
        guard fit.count >= 2, spread > 0 else { return nil }
        let slope = (fit.count * fit.xy - fit.x * fit.y) / spread
        guard slope > 0 else { return nil }
        return (max(0, (fit.y - slope * fit.x) / fit.count), slope)
    }
}
