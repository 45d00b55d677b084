import Foundation
import RestoreCheckCore

/// How reports write numbers and times for people (UTC, so every reader sees the same time).
enum ReportFormat {
    static func time(_ date: Date) -> String {
        date.formatted(Date.ISO8601FormatStyle(dateSeparator: .dash, dateTimeSeparator: .space, timeSeparator: .colon, timeZone: .gmt)
            .year().month().day().time(includingFractionalSeconds: false)) + " UTC"
    }

    static func day(_ date: Date) -> String {
        date.formatted(Date.ISO8601FormatStyle(timeZone: .gmt).year().month().day())
    }

    static func percent(_ value: Double?) -> String {
        guard let value else { return "—" }
        // Never round a shortfall up to 100: 99.996 % shows as 99.99 %.
        let truncated = (value * 100).rounded(.down) / 100
        return truncated == 100 ? "100 %" : String(format: "%.2f %%", truncated)
    }

    static func duration(_ seconds: Double?) -> String {
        seconds.map(TimeSpan.format) ?? "—"
    }

    static func bytes(_ count: Int64?) -> String {
        guard let count else { return "—" }
        let units = ["B", "KiB", "MiB", "GiB", "TiB", "PiB"]
        var value = Double(count)
        var unit = 0
        while value >= 1024, unit < units.count - 1 {
            value /= 1024
            unit += 1
        }
        return unit == 0 ? "\(count) B" : String(format: "%.1f %@", value, units[unit])
    }
}
