import Foundation

/// A report's HTML printed to PDF by headless Chromium (Debian's `chromium`, the browser the report
/// tests already open it in), for the customer who files PDFs.
///
/// Why Chromium: the HTML report is the one layout, and Chromium prints it as a browser shows it
/// (inline SVG charts, CSS print rules) with no second template to keep in step; wkhtmltopdf is no
/// longer maintained and left Debian, and weasyprint (Debian's other engine) renders SVG and
/// modern CSS differently from what the report is tested in.
///
/// It runs in the bubblewrap base every sandbox here shares (`BubblewrapBase`: no network, every
/// namespace its own, `/usr` read-only) with the fonts' configuration and one scratch directory
/// holding the page and the PDF, so a report can reach nothing, and nothing outside scratch is
/// written. Chromium's own sandbox cannot nest in it (`--no-sandbox`): bubblewrap is the sandbox.
public enum HTMLToPDF {
    public static let chromium = "/usr/bin/chromium"

    /// Why no PDF came out.
    public struct Failure: Error, CustomStringConvertible, Sendable {
        public var description: String
    }

    /// The PDF of `html`, printed in a scratch directory under `scratchBase` (removed after).
    public static func print(html: String, scratchBase: String, timeout: TimeSpan = TimeSpan(seconds: 120)) throws(Failure) -> Data {
        guard FileManager.default.isExecutableFile(atPath: chromium) else {
            throw Failure(description: "PDF reports are printed by Chromium: install Debian's chromium package (\(chromium) is missing)")
        }
        guard FileManager.default.isExecutableFile(atPath: BubblewrapBase.executable) else {
            throw Failure(description: "PDF reports are printed in a bubblewrap sandbox: install Debian's bubblewrap package")
        }
        let scratch: ScratchDirectory
        do { scratch = try ScratchDirectory.create(under: scratchBase, label: "pdf") } catch {
            throw Failure(description: "cannot prepare scratch for the PDF: \(error)")
        }
        defer { try? scratch.remove() }
        do { try Data(html.utf8).write(to: URL(fileURLWithPath: scratch.path + "/report.html")) } catch {
            throw Failure(description: "cannot write the page to print: \(error)")
        }
        let arguments = BubblewrapBase.arguments(tmpfsBytes: 512 << 20)
            // Debian's chromium is a shell wrapper that reads /etc/chromium.d; fontconfig reads /etc/fonts.
            + ["--ro-bind-try", "/etc/fonts", "/etc/fonts", "--ro-bind-try", "/etc/chromium.d", "/etc/chromium.d", "--bind", scratch.path, "/print", "--chdir", "/print", "--setenv", "HOME", "/tmp"]
            + [
                chromium, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking",
                "--proxy-server=127.0.0.1:9", "--user-data-dir=/tmp/profile", "--no-pdf-header-footer", "--print-to-pdf=/print/report.pdf",
                "file:///print/report.html",
            ]
        let run = ToolRun.capture(
            BubblewrapBase.executable, arguments, environment: ["PATH=/usr/bin:/bin"], timeout: timeout, cancellation: CancellationFlag()
        ) { _, _ in }
        let pdf = try? Data(contentsOf: URL(fileURLWithPath: scratch.path + "/report.pdf"))
        guard run.succeeded, let pdf, pdf.starts(with: Data("%PDF-".utf8)) else {
            let why = run.timedOut ? "no PDF within \(TimeSpan.format(timeout.seconds))" : run.status.map { "\($0)" } ?? "not started"
            throw Failure(description: "Chromium could not print the report (\(why)): \(run.errorOutput.split(separator: "\n").last ?? "")")
        }
        return pdf
    }
}
