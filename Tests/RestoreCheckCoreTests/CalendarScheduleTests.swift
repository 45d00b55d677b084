import Foundation
import RestoreCheckCore
import Testing

/// Report schedules in a customer's time zone, across daylight-saving changes.
@Suite("Calendar schedules for report delivery")
struct CalendarScheduleTests {
    func date(_ text: String) -> Date { try! Date(text, strategy: .iso8601) }

    @Test func monthlyInBerlinFollowsDaylightSaving() throws {
        let schedule = try CalendarSchedule(parsing: "monthly 1 06:00 Europe/Berlin")
        // 06:00 in Berlin is 05:00 UTC in winter (CET) and 04:00 UTC in summer (CEST).
        #expect(schedule.latest(atOrBefore: date("2026-12-03T12:00:00Z")) == date("2026-12-01T05:00:00Z"))
        #expect(schedule.latest(atOrBefore: date("2026-07-15T00:00:00Z")) == date("2026-07-01T04:00:00Z"))
        #expect(schedule.latest(atOrBefore: date("2026-12-01T05:00:00Z")) == date("2026-12-01T05:00:00Z"), "the time itself is due")
        #expect(schedule.latest(atOrBefore: date("2026-12-01T04:59:59Z")) == date("2026-11-01T05:00:00Z"))
        #expect(schedule.previous(before: date("2026-12-01T05:00:00Z")) == date("2026-11-01T05:00:00Z"))
        #expect(schedule.next(after: date("2026-12-01T05:00:00Z")) == date("2027-01-01T05:00:00Z"))
    }

    @Test func weeklyAndDaily() throws {
        let weekly = try CalendarSchedule(parsing: "weekly mon 07:30 UTC")
        // 2026-12-03 is a Thursday.
        #expect(weekly.latest(atOrBefore: date("2026-12-03T12:00:00Z")) == date("2026-11-30T07:30:00Z"))
        #expect(weekly.previous(before: date("2026-11-30T07:30:00Z")) == date("2026-11-23T07:30:00Z"))
        let daily = try CalendarSchedule(parsing: "daily 23:15 America/New_York")
        #expect(daily.latest(atOrBefore: date("2026-12-03T12:00:00Z")) == date("2026-12-03T04:15:00Z"))
    }

    @Test func badSchedulesSayWhatIsWrong() {
        let cases = [
            ("monthly 31 06:00 UTC", "day 1–28"), ("weekly someday 06:00 UTC", "a day (mon…sun)"), ("daily 25:00 UTC", "HH:MM"),
            ("daily 06:00 Mars/Olympus", "is not a time zone"), ("hourly", "use 'monthly 1 06:00"), ("daily 06:00", "use 'monthly"),
        ]
        for (text, message) in cases {
            #expect(throws: CalendarSchedule.ParseError.self, "\(text)") { try CalendarSchedule(parsing: text) }
            do { _ = try CalendarSchedule(parsing: text) } catch { #expect(error.message.contains(message), "\(text): \(error.message)") }
        }
    }
}
