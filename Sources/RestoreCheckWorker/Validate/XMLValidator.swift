import CXML
import Foundation
import RestoreCheckCore

/// `xml`: well-formed XML, read by libxml2's streaming reader (`xmlReaderForFile`, Debian's
/// `libxml2`, which libarchive already links), so a file of any size is checked in constant memory.
/// Every libxml2 call of restorecheck is in this file (prototypes: `Sources/CXML/shim.h`).
///
/// The file is hostile: the reader never touches the network (`XML_PARSE_NONET`), loads no external
/// DTD or entity and substitutes no entity (neither `XML_PARSE_DTDLOAD` nor `XML_PARSE_NOENT`),
/// keeps libxml2's default size limits (no `XML_PARSE_HUGE`) and its entity-amplification check, and
/// runs under the worker's memory limit: a "billion laughs" file is an error, not an expansion.
/// Messages come through the reader's error handler (nothing is printed); the first error is kept.
struct XMLValidator: FileValidator {
    /// Nodes between heartbeats (a node is a few dozen bytes: roughly every 50 MiB).
    static let heartbeatNodes = 1 << 20

    /// The first error libxml2 reports, with its line.
    final class FirstError {
        var text: String?
    }

    func validate(_ path: String, context: ValidationContext) -> (reason: OutcomeReason, detail: String)? {
        xmlInitParser()
        guard let reader = xmlReaderForFile(path, nil, Int32(RC_XML_PARSE_NONET)) else {
            return (.validationFailed, "not well-formed XML: libxml2 cannot open it")
        }
        defer { xmlFreeTextReader(reader) }
        let first = FirstError()
        let handler: xmlTextReaderErrorFunc = { argument, message, severity, locator in
            // Severity 3 and below are warnings; only errors (4) make a file not well-formed.
            guard severity >= 4, let argument, let message else { return }
            let first = Unmanaged<FirstError>.fromOpaque(argument).takeUnretainedValue()
            guard first.text == nil else { return }
            let text = String(cString: message).trimmingCharacters(in: .whitespacesAndNewlines)
            let line = locator.map { xmlTextReaderLocatorLineNumber($0) } ?? 0
            first.text = line > 0 ? "line \(line): \(text)" : text
        }
        xmlTextReaderSetErrorHandler(reader, handler, Unmanaged.passUnretained(first).toOpaque())
        var nodes = 0
        while true {
            let result = withExtendedLifetime(first) { xmlTextReaderRead(reader) }
            if result == 1 {
                nodes += 1
                if nodes % Self.heartbeatNodes == 0 { context.alive() }
                continue
            }
            if result == 0, first.text == nil { return nil }
            return (.validationFailed, "not well-formed XML: " + (first.text ?? "libxml2 stopped reading"))
        }
    }
}
