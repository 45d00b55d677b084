/// A duration written the way operators write it: `90s`, `15m`, `26h`, `7d`, `1h30m`, `500ms`.
///
/// Named `TimeSpan` rather than `Duration` to stay clear of the standard library's type; it converts
/// to one with `duration`.
public struct TimeSpan: Sendable, Hashable, Comparable, Codable, CustomStringConvertible {
    public var seconds: Double

    public init(seconds: Double) { self.seconds = seconds }

    private static let unitSeconds: [String: Double] = [
        "ms": 0.001, "s": 1, "m": 60, "h": 3600, "d": 86_400, "w": 604_800,
    ]

    /// Parses one or more `<number><unit>` groups (`1h30m`); nil for anything else, including a bare
    /// number (is `90` seconds or minutes? an operator should not have to guess).
    public init?(parsing text: String) {
        let scalars = Array(text.trimmingWhitespace().unicodeScalars)
        guard !scalars.isEmpty else { return nil }
        var total = 0.0
        var index = 0
        while index < scalars.count {
            var number = ""
            while index < scalars.count, scalars[index].properties.numericType != nil || scalars[index] == "." {
                number.unicodeScalars.append(scalars[index])
                index += 1
            }
            var unit = ""
            while index < scalars.count, scalars[index].properties.isAlphabetic {
                unit.unicodeScalars.append(scalars[index])
                index += 1
            }
            guard let value = Double(number), value >= 0, let factor = Self.unitSeconds[unit] else { return nil }
            total += value * factor
        }
        guard total.isFinite else { return nil }
        seconds = total
    }

    public var duration: Duration { .milliseconds(Int64((seconds * 1000).rounded())) }

    public static func < (lhs: TimeSpan, rhs: TimeSpan) -> Bool { lhs.seconds < rhs.seconds }

    /// A compact human form: `26h`, `1h30m`, `45s`, `1.2s`.
    public var description: String { Self.format(seconds) }

    public static func format(_ seconds: Double) -> String {
        if seconds < 10 { return "\(seconds.formatted(decimals: 1))s" }
        // The largest unit and the one below it: "3d0h", "26m5s" — precise enough to read at a glance.
        let units: [(String, Int64)] = [("d", 86_400), ("h", 3600), ("m", 60), ("s", 1)]
        let total = Int64(seconds.rounded())
        guard let first = units.firstIndex(where: { total >= $0.1 }) else { return "0s" }
        var text = "\(total / units[first].1)\(units[first].0)"
        if first + 1 < units.count {
            let next = units[first + 1]
            text += "\((total % units[first].1) / next.1)\(next.0)"
        }
        return text
    }
}
