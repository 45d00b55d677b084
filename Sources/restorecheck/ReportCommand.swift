import ArgumentParser
import Foundation
import RestoreCheckCore
import RestoreCheckReport

/// `restorecheck report`: a tenant's restore-assurance report, from the history alone.
struct ReportCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "report",
        abstract: "Write restore-assurance reports for tenants, from the recorded history (never runs a test).",
        discussion: """
            Examples:
              restorecheck report --tenant acme --since 90d --format html --output acme-2026-q4.html
              restorecheck report --all-tenants --since 30d --output-dir /var/lib/restorecheck/reports --sign
              restorecheck report --tenant acme --deliver
            """)

    @OptionGroup var options: ConfigOptions
    @Option(help: "The tenant to report on.") var tenant: String?
    @Flag(help: "Every tenant of the config (needs --output-dir).") var allTenants = false
    @Option(help: "The period, ending now (e.g. 30d, 90d, 400d). Default: report.period, else 30d.") var since: String?
    @Option(help: "html, markdown, json or pdf (the HTML printed by headless Chromium, sandboxed and offline).") var format: String = "html"
    @Option(help: "Write the report to this file (default: standard output).") var output: String?
    @Option(help: "Write one report per tenant into this directory, as <tenant>.<format>.") var outputDir: String?
    @Flag(help: "Write a detached Ed25519 signature beside each report (<file>.sig).") var sign = false
    @Option(help: "The report's language: en, de, or a messages.<locale>.yaml in report.template_dir.") var locale = "en"
    @Flag(help: "Mail the tenant's reports.deliver entries now, as their schedule would (one schedule period, ending now).")
    var deliver = false

    func run() async throws {
        let config = try options.load()
        if deliver { return try await deliverNow(config) }
        // A PDF is the HTML report printed: rendered as HTML, then handed to Chromium.
        let pdf = self.format == "pdf"
        guard let format = pdf ? .html : ReportRenderer.Format(rawValue: self.format) else {
            throw ValidationError("--format must be one of \((ReportRenderer.Format.allCases.map(\.rawValue) + ["pdf"]).joined(separator: ", "))")
        }
        if pdf, output == nil, outputDir == nil { throw ValidationError("--format pdf writes a file: give --output or --output-dir") }
        let tenants: [String]
        switch (tenant, allTenants) {
        case (let name?, false):
            guard config.tenants.contains(name) else {
                throw ValidationError("no tenant '\(name)' in \(config.sourcePath) (tenants: \(config.tenants.joined(separator: ", ")))")
            }
            tenants = [name]
        case (nil, true):
            guard outputDir != nil else { throw ValidationError("--all-tenants writes one file per tenant: give --output-dir") }
            tenants = config.tenants
        default:
            throw ValidationError("give either --tenant NAME or --all-tenants")
        }
        if output != nil, outputDir != nil { throw ValidationError("give --output or --output-dir, not both") }
        if sign, output == nil, outputDir == nil { throw ValidationError("--sign needs a file: give --output or --output-dir") }
        let period: TimeSpan
        if let since {
            guard let parsed = TimeSpan(parsing: since), parsed.seconds > 0 else {
                throw ValidationError("--since '\(since)' is not a duration (use forms like 30d, 90d, 12h)")
            }
            period = parsed
        } else {
            period = config.report.period
        }

        let store = try await HistoryCommands.open(config)
        let renderer: ReportRenderer
        do { renderer = try ReportRenderer(settings: config.report) } catch {
            FileHandle.standardError.write(Data("restorecheck: report template: \(error)\n".utf8))
            throw ExitCode(ExitStatus.usage)
        }
        let key = try sign ? EvidenceCommands.signingKey(config) : nil
        let language: ReportLanguage
        do { language = try ReportLanguage.load(locale, templateDirectory: config.report.templateDirectory) } catch {
            throw ValidationError("--locale: \(error)")
        }
        let now = Date()
        for tenant in tenants {
            // Off the cooperative pool: reports read the history synchronously (`HistoryQuery`).
            let report = try await DedicatedThread.run(name: "report") {
                Result { try ReportBuilder(history: store).build(config: config, tenant: tenant, period: period, now: now) }
            }.get()
            let rendered = try renderer.render(report, as: format, language: language)
            let path = outputDir.map { "\($0)/\(tenant).\(pdf ? "pdf" : format.fileExtension)" } ?? output
            guard let path else {
                for piece in rendered.pieces { FileHandle.standardOutput.write(Data(piece.utf8)) }
                continue
            }
            if let outputDir { try FileManager.default.createDirectory(atPath: outputDir, withIntermediateDirectories: true) }
            if pdf {
                do {
                    try HTMLToPDF.print(html: rendered.text, scratchBase: config.scratchDirectory).write(to: URL(fileURLWithPath: path), options: .atomic)
                } catch let failure as HTMLToPDF.Failure {
                    FileHandle.standardError.write(Data("restorecheck: \(failure)\n".utf8))
                    throw ExitCode(ExitStatus.error)
                }
            } else {
                try rendered.write(to: path)
            }
            if let key {
                // Signed as written: the file's bytes, read back (Ed25519 signs a whole message).
                let bytes = try Data(contentsOf: URL(fileURLWithPath: path))
                try Data(key.sign(Array(bytes))).write(to: URL(fileURLWithPath: path + ".sig"), options: .atomic)
            }
            print(path + (key != nil ? " (signed: \(path).sig)" : ""))
        }
    }

    /// `--deliver`: each of the tenant's deliveries, rendered and mailed now. The schedule's own
    /// record is left alone: this is an extra send (a first check, a resend), not the scheduled one.
    func deliverNow(_ config: Config) async throws {
        guard let tenant, !allTenants else { throw ValidationError("--deliver sends one tenant's deliveries: give --tenant NAME") }
        guard output == nil, outputDir == nil, !sign, since == nil else {
            throw ValidationError("--deliver takes its format, recipients and period from reports.deliver: drop --output, --output-dir, --sign and --since")
        }
        let specs = config.deliveries.filter { $0.tenant == tenant }
        guard !specs.isEmpty else { throw ValidationError("no reports.deliver entry for tenant '\(tenant)' in \(config.sourcePath)") }
        let store = try await HistoryCommands.open(config)
        let mailer = ReportMailer(config: config, history: store, key: try EvidenceCommands.signingKey(config))
        let now = Date()
        var failed = false
        for spec in specs {
            let latest = spec.schedule.latest(atOrBefore: now)
            let from = now.addingTimeInterval(-latest.timeIntervalSince(spec.schedule.previous(before: latest)))
            switch await mailer.deliver(spec, from: from, to: now) {
            case .sent(let files): print("sent to \(spec.to.joined(separator: ", ")): \(files.joined(separator: ", "))")
            case .skipped(let why): print("not sent to \(spec.to.joined(separator: ", ")): \(why)")
            case .failed(let why):
                failed = true
                FileHandle.standardError.write(Data("restorecheck: delivery to \(spec.to.joined(separator: ", ")) failed: \(why)\n".utf8))
            }
        }
        if failed { throw ExitCode(ExitStatus.error) }
    }
}
