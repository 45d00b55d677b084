/// A size written the way operators write it: `512MiB`, `2GiB`, `10GB`, `4096`.
///
/// Binary (`KiB`, `MiB`, `GiB`, `TiB`) and decimal (`KB`, `MB`, `GB`, `TB`) units are both accepted and
/// mean what they say; a bare number is bytes.
public struct ByteCount: Sendable, Hashable, Comparable, Codable, CustomStringConvertible {
    public var bytes: Int64

    public init(bytes: Int64) { self.bytes = bytes }

    private static let units: [(suffix: String, factor: Int64)] = [
        ("TiB", 1 << 40), ("GiB", 1 << 30), ("MiB", 1 << 20), ("KiB", 1 << 10),
        ("TB", 1_000_000_000_000), ("GB", 1_000_000_000), ("MB", 1_000_000), ("KB", 1_000), ("kB", 1_000),
        ("B", 1),
    ]

    /// Parses `text`; nil when it is not a non-negative whole number followed by a known unit.
    public init?(parsing text: String) {
        let trimmed = text.trimmingWhitespace()
        var number = Substring(trimmed)
        var factor: Int64 = 1
        for (suffix, unitFactor) in Self.units where trimmed.hasSuffix(suffix) {
            number = trimmed.dropLast(suffix.count)
            factor = unitFactor
            break
        }
        let digits = number.trimmingWhitespace()
        guard !digits.isEmpty, digits.allSatisfy(\.isASCIIDigit), let value = Int64(digits) else { return nil }
        let (product, overflow) = value.multipliedReportingOverflow(by: factor)
        guard !overflow else { return nil }
        bytes = product
    }

    public static func < (lhs: ByteCount, rhs: ByteCount) -> Bool { lhs.bytes < rhs.bytes }

    /// A short human form for tables: `1.5 GiB`, `980 KiB`, `12 B`.
    public var description: String { Self.format(bytes) }

    public static func format(_ bytes: Int64) -> String {
        let units = ["B", "KiB", "MiB", "GiB", "TiB", "PiB"]
        var value = Double(bytes)
        var unit = 0
        while value >= 1024, unit < units.count - 1 {
            value /= 1024
            unit += 1
        }
        if unit == 0 { return "\(bytes) B" }
        return value >= 100 ? "\(Int(value.rounded())) \(units[unit])" : "\(value.formatted(decimals: 1)) \(units[unit])"
    }
}
