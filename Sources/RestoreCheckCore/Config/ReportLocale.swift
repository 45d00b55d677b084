import Foundation

/// The languages reports are written in: English and German are built in; a third is a file,
/// `messages.<locale>.yaml` in `report.template_dir` (README "Report languages").
public enum ReportLocale {
    public static let builtIn = ["en", "de"]

    /// Whether `code` names a built-in catalogue or a file in `templateDirectory`.
    public static func isAvailable(_ code: String, templateDirectory: String?) -> Bool {
        if builtIn.contains(code) { return true }
        guard let templateDirectory else { return false }
        return FileManager.default.fileExists(atPath: "\(templateDirectory)/messages.\(code).yaml")
    }
}
