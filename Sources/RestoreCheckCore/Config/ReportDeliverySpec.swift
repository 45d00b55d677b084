import Foundation

/// One entry of `reports.deliver:`: a tenant's report, mailed on a schedule (README "Report delivery").
public struct ReportDeliverySpec: Sendable, Hashable {
    public enum Format: String, Sendable, Hashable, CaseIterable {
        case pdf, html, markdown
    }

    public var tenant: String
    public var to: [String]
    public var schedule: CalendarSchedule
    public var format = Format.pdf
    /// The report's language (`en`, the built-in catalogue).
    public var locale = "en"
    /// `only: breaches`: sent only when the period had a breach (open or resolved in it).
    public var onlyBreaches = false

    public init(tenant: String, to: [String], schedule: CalendarSchedule) {
        self.tenant = tenant
        self.to = to
        self.schedule = schedule
    }

    /// Its key in the delivery ledger: what identifies the delivery, so editing one entry starts
    /// its own schedule afresh and leaves the others' untouched.
    public var name: String { "\(tenant) \(format.rawValue) \(schedule.description) to \(to.joined(separator: ","))" }
}
