/// What one test read from object storage: the bytes its GETs brought (the egress it cost), of how
/// many stored, in how many requests, and how many of those were retries. In the outcome, hence the
/// history, the metrics (`restorecheck_source_*_total`) and the report's method section.
public struct SourceRead: Sendable, Codable, Hashable {
    public var bytesFetched: Int64
    public var objectBytes: Int64
    public var requests: Int
    public var retries: Int
    /// Whether the object was fetched whole into a local file first (zip, 7z) rather than streamed.
    public var spooled: Bool
    /// What is left of the target's `egress_budget` this month after this test; nil without a budget.
    public var budgetRemainingBytes: Int64?

    public init(bytesFetched: Int64, objectBytes: Int64, requests: Int, retries: Int, spooled: Bool) {
        self.bytesFetched = bytesFetched
        self.objectBytes = objectBytes
        self.requests = requests
        self.retries = retries
        self.spooled = spooled
    }
}
