import Foundation
import RestoreCheckCore

/// Geometry of a target's three inline-SVG charts, from its `ChartSeries`. Only numbers here; the
/// markup is in the `chart` template partial, so a branded template can restyle it.
///
/// Drawn for greyscale print: lines differ by dash pattern and markers by shape, and results in the
/// strip by fill pattern (passed light, failed black, error hatched, aborted outlined).
struct ReportCharts {
    static let width = 640.0
    static let height = 150.0
    static let left = 64.0
    static let right = 12.0
    static let top = 10.0
    static let bottom = 22.0
    static var plotWidth: Double { width - left - right }
    static var plotHeight: Double { height - top - bottom }

    let from: Date
    let to: Date
    let language: ReportLanguage

    func x(_ time: Date) -> Double {
        let span = max(1, to.timeIntervalSince(from))
        return Self.left + Self.plotWidth * min(1, max(0, time.timeIntervalSince(from) / span))
    }

    func y(_ value: Double, max ceiling: Double) -> Double {
        Self.top + Self.plotHeight * (1 - min(1, max(0, value / ceiling)))
    }

    /// The verified backup's age against the RPO line.
    func age(_ summary: TargetSummary) -> [String: Any] {
        let ages = summary.chart.verifiedAge.flatMap { $0.map(\.ageSeconds) }
        let ceiling = Swift.max(summary.rpoSeconds * 1.25, ages.max() ?? 0, 1)
        let lines = summary.chart.verifiedAge.map { line in
            ["points": line.map { "\(fmt(x($0.time))),\(fmt(y($0.ageSeconds, max: ceiling)))" }.joined(separator: " ")]
        }
        return frame(ceiling: ceiling, limit: summary.rpoSeconds, limitLabel: "RPO") + [
            "lines": lines, "empty": lines.isEmpty,
            "title": language.text("chart_age_title", ["from": language.day(from), "to": language.day(to), "rpo": language.span(summary.rpoSeconds)]),
            "empty_text": language.text("chart_age_empty"),
        ]
    }

    /// Measured restore time (solid line, circles) and projected full restore (dashed line, squares)
    /// against the RTO line. Each series is one polyline with markers at its vertices: a 400-day chart
    /// is two elements, not 800.
    func restoreTimes(_ summary: TargetSummary) -> [String: Any] {
        let points = summary.chart.restoreTimes
        let values = points.flatMap { [$0.measuredSeconds, $0.projectedSeconds].compactMap { $0 } }
        let ceiling = Swift.max(summary.rtoSeconds * 1.25, values.max() ?? 0, 1)
        let line = { (value: KeyPath<ChartSeries.RestoreTimePoint, Double?>) in
            points.compactMap { point in point[keyPath: value].map { "\(fmt(x(point.time))),\(fmt(y($0, max: ceiling)))" } }
                .joined(separator: " ")
        }
        let measured = line(\.measuredSeconds)
        let projected = line(\.projectedSeconds)
        return frame(ceiling: ceiling, limit: summary.rtoSeconds, limitLabel: "RTO") + [
            "measured": measured, "has_measured": !measured.isEmpty, "projected": projected, "has_projected": !projected.isEmpty,
            "empty": points.isEmpty,
            "title": language.text("chart_restore_title", ["rto": language.span(summary.rtoSeconds)]),
            "empty_text": language.text("chart_restore_empty"),
        ]
    }

    /// One mark per test, by result: one SVG path per result, its marks as subpaths.
    func strip(_ runs: [EvidenceRun]) -> [String: Any] {
        let width = Swift.max(1.5, Swift.min(8, Self.plotWidth / Double(Swift.max(1, runs.count))))
        var paths: [RunStatus: String] = [:]
        for run in runs {
            paths[run.status, default: ""] += "M\(fmt(x(run.finished) - width / 2)) 4h\(fmt(width))v16h-\(fmt(width))z"
        }
        let marks = RunStatus.allCases.compactMap { status in paths[status].map { ["status": status.rawValue, "path": $0] } }
        return [
            "marks": marks, "empty": runs.isEmpty, "left": fmt(Self.left), "plot_width": fmt(Self.plotWidth),
            "title": language.text("chart_strip_title"), "results_label": language.text("chart_results"),
        ]
    }

    private func frame(ceiling: Double, limit: Double, limitLabel: String) -> [String: Any] {
        [
            "width": fmt(Self.width), "height": fmt(Self.height), "left": fmt(Self.left), "right_edge": fmt(Self.width - Self.right),
            "top": fmt(Self.top), "baseline": fmt(Self.top + Self.plotHeight), "limit_y": fmt(y(limit, max: ceiling)),
            "limit_label": "\(limitLabel) \(language.span(limit))", "ceiling_label": language.span(ceiling),
            "from_label": language.day(from), "to_label": language.day(to), "label_y": fmt(Self.height - 6),
            "to_x": fmt(Self.width - Self.right), "empty_x": fmt(Self.left + 8), "empty_y": fmt(Self.top + Self.plotHeight - 12),
        ]
    }

    /// One decimal, as SVG coordinates need (`String(format:)` was 9 % of a 20,000-run report).
    private func fmt(_ value: Double) -> String {
        let tenths = Int((value * 10).rounded())
        let sign = tenths < 0 ? "-" : ""
        return "\(sign)\(abs(tenths) / 10).\(abs(tenths) % 10)"
    }
}

extension Dictionary where Key == String, Value == Any {
    static func + (lhs: [String: Any], rhs: [String: Any]) -> [String: Any] { lhs.merging(rhs) { $1 } }
}
