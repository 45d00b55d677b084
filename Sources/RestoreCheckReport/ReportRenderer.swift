import Foundation
import Mustache
import RestoreCheckCore

/// Renders a `TenantReport` as HTML (self-contained, printable), Markdown, or JSON (the contract).
///
/// HTML and Markdown go through Mustache templates: the built-in ones (`BuiltInTemplates`), each of
/// which a file `<name>.mustache` in the configured `template_dir` replaces, so an MSP can brand the
/// report without touching the numbers.
public struct ReportRenderer: Sendable {
    public enum Format: String, Sendable, CaseIterable {
        case html, markdown, json

        /// The file extension of a report written in this format.
        public var fileExtension: String {
            switch self {
            case .html: "html"
            case .markdown: "md"
            case .json: "json"
            }
        }
    }

    /// A template that could not be loaded: names the file.
    public struct TemplateError: Error, CustomStringConvertible {
        public var file: String
        public var message: String
        public var description: String { "\(file): \(message)" }
    }

    private let library: MustacheLibrary
    private let logoDataURI: String?
    /// Whether long reports render on all cores (`report`) or on the calling thread only (`serve`).
    private let parallel: Bool

    /// Registers restorecheck's escapers (`HTML`, `MARKDOWN`) in swift-mustache's process-global
    /// table, once per process: `main` calls it at start-up; a renderer made elsewhere (a test)
    /// calls it too, and the second call does nothing.
    public static func registerContentTypes() { _ = contentTypesRegistered }

    private static let contentTypesRegistered: Void = {
        FastHTMLEscaping.register()
        MarkdownEscaping.register()
    }()

    /// Loads the built-in templates, then every `*.mustache` in `templateDirectory` over them, and the
    /// logo (PNG, JPEG or SVG) to embed as a data URI.
    public init(settings: ReportSettings = ReportSettings(), parallel: Bool = true) throws {
        self.parallel = parallel
        Self.registerContentTypes()
        var library = MustacheLibrary()
        for (name, text) in BuiltInTemplates.all {
            do { try library.register(text, named: name) } catch { throw TemplateError(file: "built-in \(name)", message: "\(error)") }
        }
        if let directory = settings.templateDirectory {
            let files: [String]
            do { files = try FileManager.default.contentsOfDirectory(atPath: directory) } catch {
                throw TemplateError(file: directory, message: "cannot be read: \(error.localizedDescription)")
            }
            for file in files.sorted() where file.hasSuffix(".mustache") {
                let path = "\(directory)/\(file)"
                guard let data = FileManager.default.contents(atPath: path), let text = String(data: data, encoding: .utf8) else {
                    throw TemplateError(file: path, message: "cannot be read as UTF-8")
                }
                do { try library.register(text, named: String(file.dropLast(".mustache".count))) } catch {
                    throw TemplateError(file: path, message: "\(error)")
                }
            }
        }
        self.library = library
        logoDataURI = try settings.logoPath.map(Self.dataURI)
    }

    /// The report in `format`, written in `language` (HTML and Markdown; the JSON report's words are
    /// its contract, in English).
    public func render(_ report: TenantReport, as format: Format, language: ReportLanguage = .english) throws -> RenderedReport {
        switch format {
        case .json:
            return RenderedReport(pieces: try ReportJSON.pieces(report, parallel: parallel))
        case .html, .markdown:
            let (name, rowsName) = format == .html ? ("report.html", "evidence-rows.html") : ("report.md", "evidence-rows.md")
            // The evidence rows render apart, in chunks on all cores, and take the place of the
            // `evidence_rows` value in the report template.
            let library = self.library
            let chunks = report.evidence.chunks(of: Self.evidenceChunk)
            let rows = renderInParallel(chunks.count, parallel: parallel) { index in
                library.render(
                    ["evidence": LazyRows(elements: Array(chunks[index]), row: { EvidenceRowView(run: $0, language: language) }), "t": language.messages],
                    withTemplate: rowsName) ?? ""
            }
            var view = ReportView(report: report, logoDataURI: logoDataURI, language: language).dictionary
            view["evidence_rows"] = Self.rowsMarker
            guard let text = library.render(view, withTemplate: name) else {
                throw TemplateError(file: name, message: "no such template")
            }
            var pieces: [String] = []
            for (index, part) in text.components(separatedBy: Self.rowsMarker).enumerated() {
                if index > 0 { pieces += rows }
                pieces.append(part)
            }
            return RenderedReport(pieces: pieces)
        }
    }

    /// Tests per chunk of evidence rows (small enough to spread over two cores evenly).
    static let evidenceChunk = 500
    /// Stands for the rendered evidence rows in the report template's output until they are spliced in.
    static let rowsMarker = "\u{1}restorecheck-evidence-rows\u{1}"

    /// The `/reports/` page: links to the tenants' reports.
    public func renderIndex(tenants: [String], company: String?) -> String {
        let view: [String: Any] = [
            "company": company ?? "", "has_company": company != nil,
            "tenants": tenants.map { ["tenant": $0, "path": "/reports/" + ($0.addingPercentEncoding(withAllowedCharacters: .urlPathAllowed) ?? $0)] },
        ]
        return library.render(view, withTemplate: "index.html") ?? ""
    }

    /// The index with the built-in templates only (when a branded template directory cannot be read).
    public static func fallbackIndex(tenants: [String]) -> String {
        ((try? ReportRenderer())?.renderIndex(tenants: tenants, company: nil)) ?? ""
    }

    private static func dataURI(_ path: String) throws -> String {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw TemplateError(file: path, message: "logo cannot be read")
        }
        let type: String
        switch (path as NSString).pathExtension.lowercased() {
        case "png": type = "image/png"
        case "jpg", "jpeg": type = "image/jpeg"
        case "svg": type = "image/svg+xml"
        default: throw TemplateError(file: path, message: "logo must be a .png, .jpg or .svg file")
        }
        return "data:\(type);base64,\(data.base64EncodedString())"
    }
}
