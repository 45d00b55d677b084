import Foundation

/// How many bytes an `s3:` target's tests have read from object storage this calendar month (UTC),
/// against its `egress_budget`: a small state file (`state_dir/egress/<target>`) of the month and the
/// bytes, reset when the month changes. Providers bill egress by the month, so the budget is one.
///
/// One test of a target runs at a time (the scheduler's rule), so read-then-write needs no lock.
struct EgressLedger {
    let path: String

    /// `YYYYMM` of `date` in UTC: the month a byte read then is billed in.
    static func month(of date: Date) -> UInt64 {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC")!
        let parts = calendar.dateComponents([.year, .month], from: date)
        return UInt64(parts.year! * 100 + parts.month!)
    }

    /// Bytes read in `date`'s month so far (0 for a new month or no file).
    func used(in date: Date) throws(StateFile.Failure) -> Int64 {
        guard let bytes = try StateFile.read(path) else { return 0 }
        var reader = StateFile.Reader(bytes)
        guard let month = reader.word(4), let used = reader.word(8), reader.remaining == 0 else {
            throw StateFile.Failure(message: "\(path) is not an egress ledger (\(bytes.count) bytes)")
        }
        return month == Self.month(of: date) ? Int64(clamping: used) : 0
    }

    /// Adds `bytes` read at `date` (a new month starts from them).
    func add(_ bytes: Int64, at date: Date) throws(StateFile.Failure) {
        let total = (try? used(in: date)) ?? 0
        var out: [UInt8] = []
        StateFile.append(Self.month(of: date), 4, to: &out)
        StateFile.append(UInt64(max(0, total + bytes)), 8, to: &out)
        try StateFile.write(path, out)
    }

    /// The first instant of the month after `date`'s (UTC): when the budget is full again.
    static func reset(after date: Date) -> Date {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC")!
        let start = calendar.dateInterval(of: .month, for: date)!
        return start.end
    }
}
