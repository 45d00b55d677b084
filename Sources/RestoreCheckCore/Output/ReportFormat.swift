import Foundation

/// How reports write numbers and times for people (UTC, so every reader sees the same time).
public enum ReportFormat {
    public static func time(_ date: Date) -> String {
        let (day, seconds) = civil(date)
        return "\(day) \(pad(seconds / 3600)):\(pad(seconds / 60 % 60)):\(pad(seconds % 60)) UTC"
    }

    public static func day(_ date: Date) -> String { civil(date).day }

    /// `YYYY-MM-DD` and seconds into the day, UTC, by Howard Hinnant's days-to-civil algorithm:
    /// exact for the proleptic Gregorian calendar, and ~50× cheaper than a `Date.FormatStyle`
    /// (which was 10 % of a 20,000-run report).
    private static func civil(_ date: Date) -> (day: String, seconds: Int) {
        let total = Int(date.timeIntervalSince1970.rounded(.down))
        let days = total >= 0 ? total / 86_400 : (total - 86_399) / 86_400
        let seconds = total - days * 86_400
        let z = days + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let doe = z - era * 146_097
        let yoe = (doe - doe / 1_460 + doe / 36_524 - doe / 146_096) / 365
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        let dayOfMonth = doy - (153 * mp + 2) / 5 + 1
        let month = mp < 10 ? mp + 3 : mp - 9
        let year = yoe + era * 400 + (month <= 2 ? 1 : 0)
        return ("\(year)-\(pad(month))-\(pad(dayOfMonth))", seconds)
    }

    private static func pad(_ value: Int) -> String { value < 10 ? "0\(value)" : "\(value)" }

    public static func percent(_ value: Double?) -> String {
        guard let value else { return "—" }
        // Never round a shortfall up to 100: 99.996 % shows as 99.99 %.
        let truncated = (value * 100).rounded(.down) / 100
        return truncated == 100 ? "100 %" : String(format: "%.2f %%", truncated)
    }

    public static func bytes(_ count: Int64?) -> String {
        guard let count else { return "—" }
        let units = ["B", "KiB", "MiB", "GiB", "TiB", "PiB"]
        var unit = 0
        var scale: Int64 = 1
        while count / scale >= 1024, unit < units.count - 1 {
            scale *= 1024
            unit += 1
        }
        guard unit > 0 else { return "\(count) B" }
        // One decimal, rounded half up, without `String(format:)` (6 % of a 20,000-run report).
        let tenths = (count * 10 + scale / 2) / scale
        return "\(tenths / 10).\(tenths % 10) \(units[unit])"
    }
}
