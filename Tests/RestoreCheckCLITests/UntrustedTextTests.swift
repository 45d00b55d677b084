import Foundation
import Glibc
import RestoreCheckCore
import RestoreCheckTestSupport
import Testing

/// Names from a backup reach people as data: through a terminal (`run`, `history`), the daemon's
/// journald stream and the customer's Markdown report, never as controls or markup.
///
/// The backup is a real tar whose file names carry a terminal's controls (OSC 52 clipboard write,
/// screen clear, bare CR, BEL, DEL, C1 CSI, a bidi override), a newline with journald's `<0>`
/// emergency prefix, and Markdown (a backtick run, an image, a link, raw HTML, a heading). Every
/// file's bytes changed after the manifest was taken, so every name is a finding.
@Suite("Text from a backup is data")
struct UntrustedTextTests {
    let cli = RunCommandTests()

    /// Sorted first so that the report's first findings are the Markdown and log payloads.
    static let names = [
        "0-md` ![logo](pwn.png) [verify your backup](https:evil.example) <img src=x onerror=alert(1)>\n# forged heading.txt",
        "1-newline\n<0>forged emergency line.txt",
        "2-osc52-\u{1B}]52;c;ZWNobyBwd25lZA==\u{07}.txt",
        "3-clear-\u{1B}[2J\u{1B}[H.txt",
        "4-cr-overwrite\rPASSED.txt",
        "5-bidi-\u{202E}txt.exe",
        "6-c1-\u{9B}31m.txt",
        "7-del-\u{7F}.txt",
    ]

    /// Scalars a terminal acts on; a CR is allowed only as the pty's own `\r\n`.
    static func controls(in text: String) -> [String] {
        let scalars = Array(text.unicodeScalars)
        var found: [String] = []
        for (index, scalar) in scalars.enumerated() {
            let value = scalar.value
            if value == 0x0D, index + 1 < scalars.count, scalars[index + 1] == "\n" { continue }
            if (value < 0x20 && scalar != "\n") || (0x7F...0x9F).contains(value) || [0x202E, 0x2066, 0x200F].contains(value) {
                found.append(String(value, radix: 16))
            }
        }
        return found
    }

    /// A tar of files with `names` whose bytes no longer match the manifest, and its config.
    func hostileBackup(_ temp: TemporaryDirectory, every: String = "24h") throws -> String {
        let maker = try temp.write(
            "make.py",
            """
            import json, os, sys
            os.makedirs("src", exist_ok=True)
            for i, name in enumerate(json.load(open("names.json"))):
                with open(os.path.join("src", name), "w") as f:
                    f.write("original %d\\n" % i)
            """)
        _ = try temp.write("names.json", String(decoding: try JSONEncoder().encode(Self.names), as: UTF8.self))
        try Shell.run(
            """
            python3 "$MAKER"
            (cd src && find . -type f -print0 | sort -z | xargs -0 sha256sum > ../hostile.tar.sha256)
            for f in src/*; do echo changed >> "$f"; done
            tar -C src -cf hostile.tar .
            """, in: temp.path, environment: ["MAKER": maker])
        return try temp.write(
            "rc.yaml",
            """
            scratch_dir: \(temp.url("scratch"))
            state_dir: \(temp.url("state"))
            defaults: { rpo: 26h, rto: 4h, every: \(every), jitter: 0s, sample: { files: all } }
            targets:
              - { name: hostile, tenant: acme, archives: \(temp.url("hostile.tar")), manifest: "{archive}.sha256" }

            """)
    }

    /// Runs the binary with its stdout on a pseudo-terminal, as an operator's shell would (stderr on
    /// a pipe, so that `run` draws no progress line), and returns what the terminal received.
    func throughATerminal(_ arguments: [String], in temp: TemporaryDirectory) throws -> Shell.Result {
        let script = try temp.write(
            "pty.py",
            """
            import os, subprocess, sys
            master, slave = os.openpty()
            child = subprocess.Popen(sys.argv[1:], stdin=subprocess.DEVNULL, stdout=slave, stderr=subprocess.PIPE)
            os.close(slave)
            received = b""
            while True:
                try:
                    chunk = os.read(master, 65536)
                except OSError:
                    break
                if not chunk:
                    break
                received += chunk
            sys.stderr.buffer.write(child.stderr.read())
            sys.stdout.buffer.write(received)
            sys.exit(child.wait())
            """)
        return try Shell.execute("/usr/bin/python3", [script, BuiltBinary.path] + arguments)
    }

    @Test func runAndHistoryShowEveryControlAsAVisibleEscape() async throws {
        try await Blocking.run { try Self().runAndHistoryBody() }
    }

    func runAndHistoryBody() throws {
        let temp = TemporaryDirectory("untrusted-tty")
        let config = try hostileBackup(temp)
        let run = try throughATerminal(["run", "--config", config], in: temp)
        #expect(run.status == 1, "\(run.stderr)")
        #expect(run.stdout.contains("8 failed") == false && run.stdout.contains("1 failed"), "\(run.stdout)")
        #expect(Self.controls(in: run.stdout).isEmpty, "controls reached the terminal: \(Self.controls(in: run.stdout))")
        for shown in ["2-osc52-\\x1b]52;c;ZWNobyBwd25lZA==\\x07.txt", "4-cr-overwrite\\rPASSED.txt", "5-bidi-\\u{202e}txt.exe", "6-c1-\\u{9b}31m.txt", "7-del-\\x7f.txt", "1-newline\\n<0>forged"] {
            #expect(run.stdout.contains(shown), "\(shown) is shown escaped: \(run.stdout)")
        }
        // No line of the table starts with text from a name (a newline in one would start a line).
        #expect(!run.stdout.components(separatedBy: "\r\n").contains { $0.hasPrefix("<0>") || $0.hasPrefix("# forged") })

        let history = try throughATerminal(["history", "--config", config, "hostile"], in: temp)
        #expect(history.status == 0, "\(history.stderr)")
        #expect(history.stdout.contains("checksum_mismatch: 0-md` ![logo]"), "\(history.stdout)")
        #expect(Self.controls(in: history.stdout).isEmpty, "controls reached the terminal: \(Self.controls(in: history.stdout))")
    }

    @Test func theMarkdownReportReadByACommonMarkParserHasNoLinkImageHTMLOrHeadingFromABackup() async throws {
        try await Blocking.run { try Self().markdownBody() }
    }

    func markdownBody() throws {
        let temp = TemporaryDirectory("untrusted-markdown")
        chmod(temp.path, 0o711)  // as root, the validation command runs as uid 65534 and must reach scratch
        var config = try hostileBackup(temp)
        // A validation command that quotes the restored file in its complaint: its output is the
        // finding's detail, shown as Markdown text (not a code span) in the report.
        let payload = "[verify your backup](https://evil.example/login) ![logo](https://evil.example/p.png) <img src=x onerror=alert(1)> www.evil.example **urgent**\n# forged heading"
        try Shell.run(
            "mkdir -p v && printf '%s' \"$PAYLOAD\" > v/notes.txt && tar -C v -cf v.tar .", in: temp.path, environment: ["PAYLOAD": payload])
        var yaml = try String(contentsOfFile: config, encoding: .utf8)
        yaml += """
              - name: quoted
                tenant: acme
                archives: \(temp.url("v.tar"))
                validate: [ { match: "*.txt", command: [ /bin/sh, -c, 'cat "$1"; exit 1', sh, "{file}" ] } ]

            """
        config = try temp.write("rc.yaml", yaml)
        let run = try cli.restorecheck(["run", "--config", config])
        #expect(run.status == 1 && run.stdout.contains("validation_failed"), "\(run.stdout)\(run.stderr)")
        let markdown = temp.url("acme.md")
        let report = try cli.restorecheck(["report", "--config", config, "--tenant", "acme", "--format", "markdown", "--output", markdown])
        #expect(report.status == 0, "\(report.stderr)")
        // --unsafe: the parser passes raw HTML through, as many Markdown viewers do.
        let html = try Shell.execute("/usr/bin/cmark-gfm", ["--unsafe", markdown]).stdout
        #expect(html.contains("<code>0-md` ![logo](pwn.png) [verify your backup](https:evil.example) &lt;img src=x onerror=alert(1)&gt;\\n# forged heading.txt</code>"), "\(html)")
        #expect(html.contains("<code>1-newline\\n&lt;0&gt;forged emergency line.txt</code>"), "\(html)")
        #expect(!html.contains("<img") && !html.contains("<a ") && !html.contains("onerror=alert(1)>"), "\(html)")
        #expect(html.contains("[verify your backup](https://evil.example/login) ![logo](https://evil.example/p.png) &lt;img src=x onerror=alert(1)&gt; www.evil.example **urgent**\\n# forged heading"), "\(html)")
        let headings = html.components(separatedBy: "\n").filter { $0.hasPrefix("<h") }
        #expect(!headings.contains { $0.contains("forged") }, "\(headings)")
        #expect(headings.first == "<h1>Restore assurance report: acme</h1>", "our own markup still renders: \(headings)")
        #expect(Self.controls(in: try String(contentsOfFile: markdown, encoding: .utf8)).isEmpty)
    }

    @Test func theDaemonsJournaldStreamHasOneRecordPerLineAndNoForgedPriority() async throws {
        try await Blocking.run {
            let temp = TemporaryDirectory("untrusted-journal")
            let config = try hostileBackup(temp, every: "1h")
            let daemon = try DaemonProcess(config: config, in: temp, environment: ["JOURNAL_STREAM": "8:1234"])
            let logged = Loopback.eventually(timeout: 120) { daemon.log.contains("test failed") ? daemon.log : nil }
            daemon.signal(SIGTERM)
            #expect(daemon.waitForExit() == 0)
            let log = try #require(logged, "the daemon logged the failed test: \(daemon.log)")
            let lines = log.split(separator: "\n", omittingEmptySubsequences: false).dropLast()
            #expect(lines.allSatisfy { $0.range(of: #"^<[1-7]>"#, options: .regularExpression) != nil }, "every record starts with its own priority: \(log)")
            #expect(!lines.contains { $0.hasPrefix("<0>") }, "no emergency record: \(log)")
            let failed = try #require(lines.first { $0.contains("test failed") })
            #expect(failed.hasPrefix("<4>") && failed.contains("0-md` ![logo](pwn.png)"), "\(failed)")
            #expect(Self.controls(in: log).isEmpty, "\(Self.controls(in: log))")
        }
    }
}
