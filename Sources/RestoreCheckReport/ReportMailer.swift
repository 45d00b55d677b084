import Foundation
import ObjectStorage
import RestoreCheckCore

/// Renders a tenant's report for one `reports.deliver` entry and mails it: the report in its format
/// (a PDF printed from the HTML report), with the signed JSON report and its detached Ed25519
/// signature attached, so the customer's auditor can verify the numbers offline (README "Report
/// delivery"). `report --deliver` and `serve`'s schedule both come here.
public struct ReportMailer: Sendable {
    public let config: Config
    public let history: any HistoryQuery
    public let key: Ed25519Key

    public init(config: Config, history: any HistoryQuery, key: Ed25519Key) {
        self.config = config
        self.history = history
        self.key = key
    }

    /// What a delivery came to.
    public enum Result: Sendable, Equatable {
        /// Mailed, with these attachments.
        case sent(attachments: [String])
        /// Nothing to send (`only: breaches` and a period without one).
        case skipped(String)
        /// Not sent, and why (retried later by `serve`).
        case failed(String)
    }

    /// The report of `spec`'s tenant over `from..<to`, mailed.
    public func deliver(_ spec: ReportDeliverySpec, from: Date, to: Date) async -> Result {
        guard let smtp = config.smtp else { return .failed("no smtp: section in the config") }
        let tenant = spec.tenant
        let report: TenantReport
        do {
            // On a thread of its own: `HistoryQuery` is synchronous, and a history that waits on the
            // network (PostgreSQL) must never block one of the cooperative pool's threads.
            let (history, config) = (history, config)
            report = try await DedicatedThread.run(name: "report") {
                Swift.Result {
                    try ReportBuilder(history: history).build(
                        tenant: tenant, targets: config.targets.filter { $0.tenant == tenant }.map(ReportTarget.init), from: from, to: to,
                        company: config.report.company)
                }
            }.get()
        } catch {
            return .failed("the report of \(tenant) cannot be built: \(error)")
        }
        if spec.onlyBreaches, report.breaches.isEmpty {
            return .skipped("no breach in the period (only: breaches)")
        }
        let language: ReportLanguage
        let attachments: [MailMessage.Attachment]
        do {
            language = try ReportLanguage.load(spec.locale, templateDirectory: config.report.templateDirectory)
            attachments = try await render(report, spec: spec, language: language, day: ReportFormat.day(to))
        } catch {
            return .failed("\(error)")
        }
        let message = MailMessage(
            to: spec.to,
            subject: language.text("mail_subject", ["tenant": tenant, "from": language.day(from), "to": language.day(to)]),
            text: Self.text(report, language: language, attachments: attachments.map(\.name)), attachments: attachments)
        if let problem = await smtp.send(message, timeoutSeconds: 60) { return .failed(problem) }
        return .sent(attachments: attachments.map(\.name))
    }

    /// The report in its format, the JSON report, and the JSON's signature.
    private func render(_ report: TenantReport, spec: ReportDeliverySpec, language: ReportLanguage, day: String) async throws -> [MailMessage.Attachment] {
        let renderer = try ReportRenderer(settings: config.report, parallel: false)
        let base = "\(spec.tenant)-\(day)"
        var files: [MailMessage.Attachment] = []
        switch spec.format {
        case .pdf:
            let html = try renderer.render(report, as: .html, language: language).text
            let scratch = config.scratchDirectory
            let printed = await DedicatedThread.run(name: "pdf") { () -> Swift.Result<Data, HTMLToPDF.Failure> in
                do throws(HTMLToPDF.Failure) { return .success(try HTMLToPDF.print(html: html, scratchBase: scratch)) } catch { return .failure(error) }
            }
            files.append(.init(name: "\(base).pdf", type: "application/pdf", bytes: Array(try printed.get())))
        case .html:
            files.append(.init(name: "\(base).html", type: "text/html; charset=utf-8", bytes: Array(try renderer.render(report, as: .html, language: language).text.utf8)))
        case .markdown:
            files.append(.init(name: "\(base).md", type: "text/markdown; charset=utf-8", bytes: Array(try renderer.render(report, as: .markdown, language: language).text.utf8)))
        }
        let json = Array(try renderer.render(report, as: .json).text.utf8)
        files.append(.init(name: "\(base).json", type: "application/json", bytes: json))
        files.append(.init(name: "\(base).json.sig", type: "application/octet-stream", bytes: key.sign(json)))
        return files
    }

    /// The mail's text: the headline of each backup, and how to check the signature.
    static func text(_ report: TenantReport, language: ReportLanguage, attachments: [String]) -> String {
        var lines = [
            language.text("mail_intro", ["tenant": report.tenant, "from": language.day(report.period.from), "to": language.day(report.period.to)]),
            "",
        ]
        for target in report.targets {
            let headline = ReportHeadline(target, language: language)
            lines.append("\(headline.label): \(headline.sentence)")
        }
        lines += [
            "", language.text("mail_attached", ["files": attachments.joined(separator: ", ")]), language.text("mail_verify"),
            "  openssl pkeyutl -verify -pubin -inkey msp-reports.pub.pem -rawin -in FILE.json -sigfile FILE.json.sig",
        ]
        return lines.joined(separator: "\n") + "\n"
    }
}
