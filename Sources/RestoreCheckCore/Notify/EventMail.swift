import Foundation
import ObjectStorage

/// The e-mails of breach events: one per event, or a digest of several. Plain text and HTML (every
/// value escaped by `UntrustedText.html`; names are the config's, details restorecheck's own
/// vocabulary, but the rule is one).
public enum EventMail {
    public static func single(_ event: BreachEvent, to: [String]) -> MailMessage {
        let subject = "[restorecheck] \(event.state == .opened ? "Breach opened" : "Resolved"): \(event.kind.rawValue) \(event.tenant)/\(event.target)"
        return MailMessage(to: to, subject: subject, text: text([event]), html: html([event], title: subject))
    }

    public static func digest(_ events: [BreachEvent], to: [String]) -> MailMessage {
        let opened = events.count { $0.state == .opened }
        let subject = "[restorecheck] Digest: \(opened) breach(es) opened, \(events.count - opened) resolved"
        return MailMessage(to: to, subject: subject, text: text(events), html: html(events, title: subject))
    }

    static func lines(_ event: BreachEvent) -> [(String, String)] {
        var lines = [
            ("State", event.state.rawValue), ("Tenant", event.tenant), ("Target", event.target), ("Kind", event.kind.rawValue),
            ("Opened", ReportFormat.time(event.opened)),
        ]
        if let resolved = event.resolved { lines.append(("Resolved", ReportFormat.time(resolved))) }
        lines += [("Detail", event.detail), ("Breach id", event.breachID)]
        return lines
    }

    static func text(_ events: [BreachEvent]) -> String {
        events.map { event in lines(event).map { "\($0): \($1)" }.joined(separator: "\n") }.joined(separator: "\n\n") + "\n"
    }

    static func html(_ events: [BreachEvent], title: String) -> String {
        let tables = events.map { event in
            "<table>" + lines(event).map { "<tr><th align=\"left\">\(UntrustedText.html($0))</th><td>\(UntrustedText.html($1))</td></tr>" }.joined() + "</table>"
        }
        return "<!DOCTYPE html><html><head><meta charset=\"utf-8\"><title>\(UntrustedText.html(title))</title></head><body>"
            + tables.joined(separator: "<hr>") + "</body></html>"
    }
}
