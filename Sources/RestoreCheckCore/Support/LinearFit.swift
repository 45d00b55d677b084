/// A least-squares line `y = intercept + slope · x`, kept as running sums: constant memory however
/// many points, and Codable, so the worker can report it.
///
/// The RTO projection fits each restored file's data time against its size: the intercept is what a
/// file costs whatever its size (the data loop's fixed work), the slope what each byte costs. A plain
/// ratio of total time to total bytes charges the fixed part per byte instead, which on a sample of
/// small files over-projected a full restore about twofold.
public struct LinearFit: Sendable, Codable, Hashable {
    public private(set) var count = 0
    private var sumX = 0.0
    private var sumY = 0.0
    private var sumXX = 0.0
    private var sumXY = 0.0

    public init() {}

    public mutating func add(x: Double, y: Double) {
        count += 1
        sumX += x
        sumY += y
        sumXX += x * x
        sumXY += x * y
    }

    /// The fitted line; nil with fewer than three points or when every x is the same (no slope to see).
    public var line: (intercept: Double, slope: Double)? {
        guard count >= 3 else { return nil }
        let n = Double(count)
        let spread = n * sumXX - sumX * sumX
        // Relative test: sums of squares of byte counts reach 1e16 and more.
        guard spread > 1e-9 * n * sumXX, spread > 0 else { return nil }
        let slope = (n * sumXY - sumX * sumY) / spread
        return ((sumY - slope * sumX) / n, slope)
    }

    /// The standard deviation of x: how far apart the points are (zero without points).
    public var xSpread: Double {
        guard count > 0 else { return 0 }
        let mean = sumX / Double(count)
        return (max(0, sumXX / Double(count) - mean * mean)).squareRoot()
    }

    /// Mean of x and of y (zero without points).
    public var means: (x: Double, y: Double) {
        count == 0 ? (0, 0) : (sumX / Double(count), sumY / Double(count))
    }
}
