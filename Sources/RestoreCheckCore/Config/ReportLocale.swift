/// The languages reports are written in: one message catalogue each.
public enum ReportLocale {
    public static let available = ["en"]
}
