import Foundation
import RestoreCheckCore

/// The report as the templates see it: every value formatted for people, keys in snake_case (the
/// names a branded template uses; README "Branding" lists them).
struct ReportView {
    let report: TenantReport
    let logoDataURI: String?

    var dictionary: [String: Any] {
        let charts = ReportCharts(from: report.period.from, to: report.period.to)
        let runsByTarget = Dictionary(grouping: report.evidence, by: \.target)
        let targets: [[String: Any]] = report.targets.map { summary in
            var row: [String: Any] = [
                "target": summary.target,
                "rpo": TimeSpan.format(summary.rpoSeconds), "rto": TimeSpan.format(summary.rtoSeconds),
                "verified_age": ReportFormat.duration(summary.verifiedBackupAgeSeconds),
                "verified_backup": summary.verifiedBackupTimestamp.map(ReportFormat.time) ?? "never",
                "rpo_met": summary.rpoMet,
                "last_result": summary.lastResult?.rawValue ?? "none", "last_test": summary.lastTest.map(ReportFormat.time) ?? "—",
                "last_reasons": summary.lastReasons.joined(separator: ", "), "has_last_reasons": !summary.lastReasons.isEmpty,
                "rpo_compliance": ReportFormat.percent(summary.rpoCompliancePercent),
                "rto_compliance": ReportFormat.percent(summary.rtoCompliancePercent),
                "tests_run": summary.tests.run, "passed": summary.tests.passed, "failed": summary.tests.failed,
                "error": summary.tests.error, "aborted": summary.tests.aborted,
                "files_verified": summary.filesVerified, "bytes_verified": ReportFormat.bytes(summary.bytesVerified),
                "open_breaches": summary.openBreaches,
                "chart_age": charts.age(summary), "chart_restore": charts.restoreTimes(summary),
                "chart_strip": charts.strip((runsByTarget[summary.target] ?? []).reversed()),
            ]
            if let coverage = summary.coverage {
                row["coverage"] = ["statement": coverage.statement]
            }
            return row
        }
        let breaches: [[String: Any]] = report.breaches.map { breach in
            [
                "target": breach.target, "kind": breach.kind.rawValue, "kind_label": Self.label(breach.kind),
                "opened": ReportFormat.time(breach.opened), "resolved": breach.resolved.map(ReportFormat.time) ?? "open",
                "open": breach.isOpen, "duration": TimeSpan.format(breach.durationSeconds), "tests": breach.tests, "detail": breach.detail,
            ]
        }
        let restores: [[String: Any]] = report.evidence.filter { RestoreInto.isRestore(sample: $0.sample) }.map { run in
            [
                "target": run.target, "finished": ReportFormat.time(run.finished), "archive": run.archive ?? "—",
                "what": String((run.sample ?? "").dropFirst(RestoreInto.sampleLabelPrefix.count)),
                "files": run.filesVerified, "bytes": ReportFormat.bytes(run.bytesVerified),
                "duration": ReportFormat.duration(run.restoreSeconds), "status": run.status.rawValue,
            ]
        }
        let met = report.targets.count { $0.rpoMet }
        return [
            "tenant": report.tenant, "company": report.company ?? "", "has_company": report.company != nil,
            "logo": logoDataURI ?? "", "has_logo": logoDataURI != nil,
            "generated": ReportFormat.time(report.generated),
            "period_from": ReportFormat.time(report.period.from), "period_to": ReportFormat.time(report.period.to),
            "targets": targets, "target_count": report.targets.count, "targets_rpo_met": met,
            "headlines": report.targets.map { ReportHeadline($0).dictionary },
            "has_coverage": report.targets.contains { $0.coverage != nil },
            "all_rpo_met": met == report.targets.count,
            "tests_run": report.targets.reduce(0) { $0 + $1.tests.run },
            "open_breaches": report.breaches.count { $0.isOpen },
            "breaches": breaches, "has_breaches": !breaches.isEmpty,
            "has_evidence": !report.evidence.isEmpty,
            "restores": restores, "has_restores": !restores.isEmpty,
            "controls": ReportText.controls.map { ["control": $0.control, "evidence": $0.evidence] },
            "method": ReportText.method.map { ["heading": $0.heading, "text": $0.text] },
        ]
    }

    static func label(_ kind: Breach.Kind) -> String {
        switch kind {
        case .rpoBreach: "RPO breach"
        case .neverVerified: "Never verified"
        case .rtoBreach: "RTO breach"
        case .failedTest: "Failed test"
        case .errorStreak: "Verifier error"
        case .notTested: "Not tested"
        }
    }
}
