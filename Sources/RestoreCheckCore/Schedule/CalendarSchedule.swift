import Foundation

/// When a report is delivered: `monthly D HH:MM ZONE`, `weekly DAY HH:MM ZONE` or `daily HH:MM ZONE`,
/// with an explicit IANA time zone (a customer's 06:00 is theirs, across daylight-saving changes).
public struct CalendarSchedule: Sendable, Hashable, CustomStringConvertible {
    public enum Period: Sendable, Hashable {
        /// Day of the month, 1–28 (every month has it).
        case monthly(day: Int)
        /// 1 = Sunday … 7 = Saturday (Foundation's weekday numbers).
        case weekly(weekday: Int)
        case daily
    }

    public var period: Period
    public var hour: Int
    public var minute: Int
    public var timeZone: TimeZone
    public let description: String

    static let weekdays = ["sun", "mon", "tue", "wed", "thu", "fri", "sat"]

    /// Parses the text, or says what is wrong with it.
    public init(parsing text: String) throws(ParseError) {
        let words = text.split(separator: " ").map(String.init)
        let shape = "use 'monthly 1 06:00 Europe/Berlin', 'weekly mon 07:30 UTC' or 'daily 06:00 America/New_York'"
        guard let kind = words.first else { throw ParseError(message: "empty schedule: \(shape)") }
        let rest: ArraySlice<String>
        switch kind {
        case "monthly":
            guard words.count == 4, let day = Int(words[1]), (1...28).contains(day) else {
                throw ParseError(message: "'\(text)': monthly needs a day 1–28 (every month has it), a time and a zone: \(shape)")
            }
            period = .monthly(day: day)
            rest = words[2...]
        case "weekly":
            guard words.count == 4, let index = Self.weekdays.firstIndex(of: words[1].lowercased().prefix(3).description) else {
                throw ParseError(message: "'\(text)': weekly needs a day (mon…sun), a time and a zone: \(shape)")
            }
            period = .weekly(weekday: index + 1)
            rest = words[2...]
        case "daily":
            guard words.count == 3 else { throw ParseError(message: "'\(text)': \(shape)") }
            period = .daily
            rest = words[1...]
        default:
            throw ParseError(message: "'\(text)': \(shape)")
        }
        let time = rest[rest.startIndex].split(separator: ":")
        guard time.count == 2, let hour = Int(time[0]), let minute = Int(time[1]), (0...23).contains(hour), (0...59).contains(minute) else {
            throw ParseError(message: "'\(text)': the time must be HH:MM (24-hour)")
        }
        let zoneName = rest[rest.index(after: rest.startIndex)]
        guard let zone = TimeZone(identifier: zoneName) else {
            throw ParseError(message: "'\(text)': '\(zoneName)' is not a time zone (IANA names: Europe/Berlin, UTC)")
        }
        self.hour = hour
        self.minute = minute
        self.timeZone = zone
        self.description = text
    }

    public struct ParseError: Error, CustomStringConvertible {
        public var message: String
        public var description: String { message }
    }

    private var calendar: Calendar {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = timeZone
        return calendar
    }

    private var components: DateComponents {
        switch period {
        case .monthly(let day): DateComponents(day: day, hour: hour, minute: minute, second: 0)
        case .weekly(let weekday): DateComponents(hour: hour, minute: minute, second: 0, weekday: weekday)
        case .daily: DateComponents(hour: hour, minute: minute, second: 0)
        }
    }

    /// The latest scheduled time at or before `date`.
    public func latest(atOrBefore date: Date) -> Date {
        // `nextDate(after:)` is strict in both directions: `date` itself is found searching forward
        // from just before it.
        let upcoming = next(after: date.addingTimeInterval(-1))
        return upcoming <= date ? upcoming : previous(before: date)
    }

    /// The next scheduled time after `date`.
    public func next(after date: Date) -> Date {
        calendar.nextDate(after: date, matching: components, matchingPolicy: .nextTime, direction: .forward) ?? date
    }

    /// The scheduled time before `date` (the start of the period a delivery at `date` covers).
    public func previous(before date: Date) -> Date {
        calendar.nextDate(after: date, matching: components, matchingPolicy: .nextTime, direction: .backward) ?? date
    }
}
