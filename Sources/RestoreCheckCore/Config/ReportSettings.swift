/// The `report:` section: branding, and whether `serve` publishes reports.
public struct ReportSettings: Sendable, Hashable {
    /// The MSP's name, shown as "Prepared by".
    public var company: String?
    /// A PNG, JPEG or SVG embedded in HTML reports.
    public var logoPath: String?
    /// `*.mustache` files here replace the built-in templates of the same name.
    public var templateDirectory: String?
    /// `serve` answers `/reports/` and `/reports/<tenant>` (off unless set: reports are customer data).
    public var serve = false
    /// The period a served report covers (`/reports/acme?since=90d` overrides it).
    public var period = TimeSpan(seconds: 30 * 86_400)

    public init(company: String? = nil, logoPath: String? = nil, templateDirectory: String? = nil, serve: Bool = false) {
        self.company = company
        self.logoPath = logoPath
        self.templateDirectory = templateDirectory
        self.serve = serve
    }
}
