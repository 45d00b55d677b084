import Foundation
import RestoreCheckCore

/// The report as the templates see it: every value formatted for people, keys in snake_case (the
/// names a branded template uses; README "Branding" lists them).
struct ReportView {
    let report: TenantReport
    let logoDataURI: String?
    let language: ReportLanguage

    var dictionary: [String: Any] {
        let l = language
        let charts = ReportCharts(from: report.period.from, to: report.period.to, language: l)
        let runsByTarget = Dictionary(grouping: report.evidence, by: \.target)
        let targets: [[String: Any]] = report.targets.map { summary in
            var row: [String: Any] = [
                "target": summary.target,
                "rpo": l.span(summary.rpoSeconds), "rto": l.span(summary.rtoSeconds),
                "verified_age": l.duration(summary.verifiedBackupAgeSeconds),
                "verified_backup": summary.verifiedBackupTimestamp.map(l.time) ?? l.text("never"),
                "rpo_met": summary.rpoMet,
                "last_result": summary.lastResult?.rawValue ?? "none", "last_result_label": l.result(summary.lastResult),
                "last_test": summary.lastTest.map(l.time) ?? "—",
                "last_reasons": summary.lastReasons.joined(separator: ", "), "has_last_reasons": !summary.lastReasons.isEmpty,
                "rpo_compliance": l.percent(summary.rpoCompliancePercent),
                "rto_compliance": l.percent(summary.rtoCompliancePercent),
                "tests_run": summary.tests.run, "passed": summary.tests.passed, "failed": summary.tests.failed,
                "error": summary.tests.error, "aborted": summary.tests.aborted,
                "files_verified": summary.filesVerified, "bytes_verified": l.bytes(summary.bytesVerified),
                "open_breaches": summary.openBreaches,
                "chart_age": charts.age(summary), "chart_restore": charts.restoreTimes(summary),
                "chart_strip": charts.strip((runsByTarget[summary.target] ?? []).reversed()),
            ]
            if let coverage = summary.coverage {
                row["coverage"] = ["statement": l.coverage(coverage)]
            }
            return row
        }
        let breaches: [[String: Any]] = report.breaches.map { breach in
            [
                "target": breach.target, "kind": breach.kind.rawValue, "kind_label": l.kind(breach.kind),
                "opened": l.time(breach.opened), "resolved": breach.resolved.map(l.time) ?? l.text("open"),
                "open": breach.isOpen, "duration": l.span(breach.durationSeconds), "tests": breach.tests, "detail": l.detail(breach),
            ]
        }
        let restores: [[String: Any]] = report.evidence.filter { RestoreInto.isRestore(sample: $0.sample) }.map { run in
            [
                "target": run.target, "finished": l.time(run.finished), "archive": run.archive ?? "—",
                "what": String((run.sample ?? "").dropFirst(RestoreInto.sampleLabelPrefix.count)),
                "files": run.filesVerified, "bytes": l.bytes(run.bytesVerified),
                "duration": l.duration(run.restoreSeconds), "status": run.status.rawValue, "status_label": l.result(run.status),
            ]
        }
        let met = report.targets.count { $0.rpoMet }
        let testsRun = report.targets.reduce(0) { $0 + $1.tests.run }
        let openBreaches = report.breaches.count { $0.isOpen }
        let period = (from: l.time(report.period.from), to: l.time(report.period.to), generated: l.time(report.generated))
        return [
            "t": l.messages,
            "page_title": l.text("page_title", ["tenant": report.tenant]), "title": l.text("title", ["tenant": report.tenant]),
            "prepared_by": l.text("prepared_by", ["company": report.company ?? ""]),
            "meta_html": l.text("meta_html", ["from": period.from, "to": period.to, "generated": period.generated]),
            "meta_markdown": l.text("meta_markdown", ["from": period.from, "to": period.to, "generated": period.generated]),
            "headline_text": l.text("headline", [
                "met": String(met), "count": String(report.targets.count), "tests": String(testsRun), "open": String(openBreaches),
            ]),
            "tenant": report.tenant, "company": report.company ?? "", "has_company": report.company != nil,
            "logo": logoDataURI ?? "", "has_logo": logoDataURI != nil,
            "generated": period.generated, "period_from": period.from, "period_to": period.to,
            "targets": targets, "target_count": report.targets.count, "targets_rpo_met": met,
            "headlines": report.targets.map { ReportHeadline($0, language: l).dictionary },
            "has_coverage": report.targets.contains { $0.coverage != nil },
            "all_rpo_met": met == report.targets.count,
            "tests_run": testsRun,
            "open_breaches": openBreaches,
            "breaches": breaches, "has_breaches": !breaches.isEmpty,
            "has_evidence": !report.evidence.isEmpty,
            "restores": restores, "has_restores": !restores.isEmpty,
            "controls": l.controlList,
            "method": l.methodList,
        ]
    }
}
