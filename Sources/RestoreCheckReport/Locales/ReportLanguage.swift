import Foundation
import RestoreCheckCore
import Yams

/// A report's language: its message catalogue, and how it writes numbers, dates and durations
/// (README "Report languages"). English is built in and is every other catalogue's fallback, key by
/// key; German is built in; a third language is `messages.<locale>.yaml` in `report.template_dir`.
///
/// Formats are the reports' own fast ones (`ReportFormat`), rearranged: a 20,000-test report formats
/// 100,000 values, so no `DateFormatter` or `NumberFormatter` per value.
public struct ReportLanguage: Sendable {
    public let code: String
    let messages: [String: String]
    let controls: [(control: String, evidence: String)]
    let method: [(heading: String, text: String)]
    let decimalComma: Bool
    let dayFirst: Bool
    let units: [String: String]
    let unitSpace: Bool

    /// A catalogue that cannot be used, named with its file.
    public struct Failure: Error, CustomStringConvertible {
        public var file: String
        public var message: String
        public var description: String { "\(file): \(message)" }
    }

    public static let english = try! ReportLanguage(code: "en", yaml: BuiltInCatalogues.english, file: "built-in en", fallback: nil)

    /// The language `code`: a file in `templateDirectory` first (so a built-in one can be reworded),
    /// else a built-in catalogue.
    public static func load(_ code: String, templateDirectory: String?) throws(Failure) -> ReportLanguage {
        if let templateDirectory {
            let path = "\(templateDirectory)/messages.\(code).yaml"
            if let data = FileManager.default.contents(atPath: path) {
                return try ReportLanguage(code: code, yaml: String(decoding: data, as: UTF8.self), file: path, fallback: english)
            }
        }
        if code == "en" { return english }
        guard let text = BuiltInCatalogues.all[code] else {
            throw Failure(
                file: templateDirectory.map { "\($0)/messages.\(code).yaml" } ?? "locale \(code)",
                message: "no such catalogue (built in: \(BuiltInCatalogues.all.keys.sorted().joined(separator: ", ")))")
        }
        return try ReportLanguage(code: code, yaml: text, file: "built-in \(code)", fallback: english)
    }

    init(code: String, yaml text: String, file: String, fallback: ReportLanguage?) throws(Failure) {
        let root: [String: Any]
        do {
            guard let loaded = try Yams.load(yaml: text) as? [String: Any] else { throw Failure(file: file, message: "expected a mapping") }
            root = loaded
        } catch let failure as Failure {
            throw failure
        } catch {
            throw Failure(file: file, message: "not valid YAML: \(error)")
        }
        self.code = code
        var messages = fallback?.messages ?? [:]
        for (key, value) in root["messages"] as? [String: Any] ?? [:] {
            guard let text = value as? String else { throw Failure(file: file, message: "messages.\(key): expected text") }
            messages[key] = text
        }
        self.messages = messages
        let controls = (root["controls"] as? [[String: Any]])?.compactMap { item -> (String, String)? in
            guard let control = item["control"] as? String, let evidence = item["evidence"] as? String else { return nil }
            return (control, evidence)
        }
        self.controls = controls ?? fallback?.controls ?? []
        let method = (root["method"] as? [[String: Any]])?.compactMap { item -> (String, String)? in
            guard let heading = item["heading"] as? String, let text = item["text"] as? String else { return nil }
            return (heading, text)
        }
        self.method = method ?? fallback?.method ?? []
        let format = root["format"] as? [String: Any] ?? [:]
        decimalComma = (format["decimal"] as? String).map { $0 == "," } ?? fallback?.decimalComma ?? false
        dayFirst = (format["date"] as? String).map { $0 == "dmy" } ?? fallback?.dayFirst ?? false
        var units = fallback?.units ?? ["d": "d", "h": "h", "m": "m", "s": "s"]
        for (key, value) in format["units"] as? [String: Any] ?? [:] { units[key] = "\(value)" }
        self.units = units
        unitSpace = format["unit_space"] as? Bool ?? fallback?.unitSpace ?? false
    }

    /// The message `key` with its `{name}` values filled in (an unknown key shows as itself, so a
    /// missing translation is visible, never a crash).
    public func text(_ key: String, _ values: KeyValuePairs<String, String> = [:]) -> String {
        var result = messages[key] ?? key
        for (name, value) in values { result = result.replacingOccurrences(of: "{\(name)}", with: value) }
        return result
    }

    // MARK: Formats

    /// `2026-12-03 12:00:00 UTC`, or `03.12.2026 12:00:00 UTC`.
    public func time(_ date: Date) -> String {
        let english = ReportFormat.time(date)
        guard dayFirst else { return english }
        return reorder(String(english.prefix(10))) + english.dropFirst(10)
    }

    public func day(_ date: Date) -> String {
        let english = ReportFormat.day(date)
        return dayFirst ? reorder(english) : english
    }

    public func percent(_ value: Double?) -> String { decimal(ReportFormat.percent(value)) }

    public func bytes(_ count: Int64?) -> String { decimal(ReportFormat.bytes(count)) }

    public func duration(_ seconds: Double?) -> String { seconds.map(span) ?? "—" }

    /// `TimeSpan.format` in this language's units: `1d2h`, or `1 T 2 h`.
    public func span(_ seconds: Double) -> String {
        let english = TimeSpan.format(seconds)
        guard units != ["d": "d", "h": "h", "m": "m", "s": "s"] || unitSpace || decimalComma else { return english }
        var parts: [String] = []
        var number = ""
        var unit = ""
        func flush() {
            guard !number.isEmpty else { return }
            parts.append(decimal(number) + (unitSpace ? " " : "") + (units[unit] ?? unit))
            number = ""
            unit = ""
        }
        for character in english {
            if character.isNumber || character == "." {
                if !unit.isEmpty { flush() }
                number.append(character)
            } else {
                unit.append(character)
            }
        }
        flush()
        return parts.joined(separator: unitSpace ? " " : "")
    }

    /// A number's decimal point as this language writes it.
    func decimal(_ text: String) -> String {
        decimalComma ? text.replacingOccurrences(of: ".", with: ",") : text
    }

    /// `YYYY-MM-DD` as `DD.MM.YYYY`.
    private func reorder(_ day: String) -> String {
        let parts = day.split(separator: "-")
        guard parts.count == 3 else { return day }
        return "\(parts[2]).\(parts[1]).\(parts[0])"
    }

    // MARK: Report phrases

    public func result(_ status: RunStatus?) -> String { text("result_\(status?.rawValue ?? "none")") }

    public func kind(_ kind: Breach.Kind) -> String { text("kind_\(kind.rawValue)") }

    /// A ledger event's detail in this language, from its structured form (the English `detail`
    /// is the JSON report's).
    public func detail(_ breach: Breach) -> String {
        guard let structured = breach.structured else { return breach.detail }
        switch structured {
        case .streak(let tests, let reasons):
            return text("detail_\(breach.kind.rawValue)", ["tests": String(tests)]) + (reasons.isEmpty ? "" : ": " + reasons.joined(separator: ", "))
        case .gap(let seconds): return text("detail_gap", ["span": span(seconds)])
        case .since(let date): return text("detail_since", ["time": time(date)])
        case .noTestRecorded: return text("detail_no_test")
        case .neverPassed: return text("detail_never_passed")
        case .olderThanRPO(let rpo): return text("detail_older_than_rpo", ["rpo": span(rpo)])
        case .noneVerifiedYet: return text("detail_none_verified_yet")
        }
    }

    /// `CoverageSummary.statement` in this language.
    public func coverage(_ summary: CoverageSummary) -> String {
        var result = text("coverage_statement", [
            "files_share": decimal(CoverageSummary.percent(summary.filesRatio)), "verified": String(summary.filesVerified),
            "files": String(summary.files), "bytes_share": decimal(CoverageSummary.percent(summary.bytesRatio)),
            "window": span(summary.windowSeconds),
        ])
        if let bound = summary.failingShareBound {
            result += bound == 0 ? text("coverage_all") : text("coverage_bound", ["bound": decimal(CoverageSummary.percent(bound, ceiling: true))])
        }
        if let needed = summary.filesPerTestNeeded { result += text("coverage_needed", ["needed": String(needed)]) }
        return result
    }

    var controlList: [[String: String]] { controls.map { ["control": $0.control, "evidence": $0.evidence] } }
    var methodList: [[String: String]] { method.map { ["heading": $0.heading, "text": $0.text] } }
}
