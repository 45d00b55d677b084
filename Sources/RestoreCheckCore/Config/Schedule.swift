import Foundation

/// When the daemon tests a target: an interval, an optional daily window, and jitter.
public struct Schedule: Sendable, Hashable {
    /// Test this often (measured from the start of the previous test).
    public var every: TimeSpan
    /// Only start tests inside this daily window (local time); nil: any time.
    public var window: DailyWindow?
    /// Spread starts over up to this much after the due time, so 300 targets due at once do not all
    /// start at once. Default: a tenth of `every`, at most 30 minutes.
    public var jitter: TimeSpan

    public init(every: TimeSpan = TimeSpan(seconds: 86_400), window: DailyWindow? = nil, jitter: TimeSpan? = nil) {
        self.every = every
        self.window = window
        self.jitter = jitter ?? TimeSpan(seconds: min(every.seconds / 10, 1800))
    }
}

/// A daily time window such as `22:00-06:00` (may wrap past midnight), in a given time zone.
public struct DailyWindow: Sendable, Hashable, CustomStringConvertible {
    /// Minutes after local midnight.
    public var start: Int
    public var end: Int
    public var timeZone: TimeZone

    public init(start: Int, end: Int, timeZone: TimeZone = .current) {
        self.start = start
        self.end = end
        self.timeZone = timeZone
    }

    /// Parses `HH:MM-HH:MM`; nil when malformed or empty (start == end).
    public init?(parsing text: String, timeZone: TimeZone = .current) {
        let parts = text.trimmingWhitespace().split(separator: "-")
        guard parts.count == 2, let start = Self.minutes(parts[0]), let end = Self.minutes(parts[1]), start != end else {
            return nil
        }
        self.init(start: start, end: end, timeZone: timeZone)
    }

    private static func minutes(_ text: Substring) -> Int? {
        let pieces = text.trimmingWhitespace().split(separator: ":")
        guard pieces.count == 2, pieces[1].count == 2, let hours = Int(pieces[0]), let minutes = Int(pieces[1]),
            (0...23).contains(hours), (0...59).contains(minutes)
        else { return nil }
        return hours * 60 + minutes
    }

    /// Length of the window in seconds.
    public var length: Double { Double((end - start + 1440) % 1440) * 60 }

    private var calendar: Calendar {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = timeZone
        return calendar
    }

    private func minuteOfDay(_ date: Date) -> Double {
        let startOfDay = calendar.startOfDay(for: date)
        return date.timeIntervalSince(startOfDay) / 60
    }

    /// Whether `date` falls inside the window.
    public func contains(_ date: Date) -> Bool {
        let minute = minuteOfDay(date)
        if start < end { return minute >= Double(start) && minute < Double(end) }
        return minute >= Double(start) || minute < Double(end)
    }

    /// `date` itself if inside the window, else the window's next opening.
    public func nextOpening(atOrAfter date: Date) -> Date {
        if contains(date) { return date }
        let startOfDay = calendar.startOfDay(for: date)
        for dayOffset in 0...2 {
            guard let day = calendar.date(byAdding: .day, value: dayOffset, to: startOfDay),
                let opening = calendar.date(byAdding: .minute, value: start, to: day)
            else { continue }
            if opening >= date { return opening }
        }
        return date
    }

    public var description: String {
        String(format: "%02d:%02d-%02d:%02d", start / 60, start % 60, end / 60, end % 60)
    }
}
