/// Text that came from a backup (entry names, link targets, a canary's first line, a validation
/// command's output) made safe to show to a person: the one home of that rule.
///
/// A backup is the attacker's. Shown raw, its names reach a terminal as controls (ESC clears the
/// screen, OSC 52 writes the clipboard, a bare CR overwrites the line), a log as forged lines (a
/// newline, then journald's `<0>` emergency prefix), and a Markdown report as markup (links, images,
/// raw HTML, headings). Every table, log line and Markdown cell goes through here.
///
/// `visible` keeps printable text as it is and writes each control as a visible escape, in the form
/// `ls -b` and Python's `repr` use: `\n`, `\t`, `\r`, `\x1b` for C0 and DEL, `\u{85}` for C1 and for
/// the Unicode controls that reorder or break text (bidi embeddings, overrides and isolates, the
/// line and paragraph separators). A backslash is doubled so that an escape cannot be forged.
public enum UntrustedText {
    /// Longest detail shown in a table or log line by default (a canary's first line, a command's
    /// output); the JSON outcome keeps the whole text.
    public static let detailLimit = 300
    /// Longest log message: our own words plus a summary that quotes the backup.
    public static let lineLimit = 1000

    /// `text` with every control made visible, cut to `limit` characters (then `…`) when given.
    public static func visible(_ text: String, limit: Int? = nil) -> String {
        var result = ""
        result.reserveCapacity(text.utf8.count)
        var count = 0
        for scalar in text.unicodeScalars {
            if let limit, count >= limit {
                result += "…"
                break
            }
            count += 1
            if let escape = escape(scalar) { result += escape } else { result.unicodeScalars.append(scalar) }
        }
        return result
    }

    /// `text` as inline Markdown: controls made visible, then backslash-escaped wherever a character
    /// could open markup (CommonMark allows the escape before any ASCII punctuation): code spans,
    /// emphasis, links and images, raw HTML and autolinks, entities, GFM tables, strikethrough and
    /// math, headings, and the `scheme://` and `www.` of GFM's extended autolinks. Punctuation that
    /// opens nothing inside a line (`( ) , ; % - . :` in "50 % (20 of 40)" or "13:12:04") is kept,
    /// so the Markdown stays readable as text. GFM's e-mail autolink (`a@b.example`) survives any
    /// escaping; it is a `mailto:` link at worst (README, "Branding").
    /// `text` escaped for HTML: the five characters swift-mustache's `HTML` content type escapes
    /// (`<`, `>`, `&`, `"`, `'`), over UTF-8 bytes rather than `Character`s (the built-in escaper was
    /// 22 % of a 20,000-run report's render). The one HTML escaper: report templates
    /// (`FastHTMLEscaping`) and notification mails use it.
    public static func html(_ text: String) -> String {
        guard text.utf8.contains(where: { htmlReplacement($0) != nil }) else { return text }
        var bytes: [UInt8] = []
        bytes.reserveCapacity(text.utf8.count + 16)
        for byte in text.utf8 {
            if let replacement = htmlReplacement(byte) { bytes += replacement } else { bytes.append(byte) }
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    private static func htmlReplacement(_ byte: UInt8) -> [UInt8]? {
        switch byte {
        case UInt8(ascii: "<"): Array("&lt;".utf8)
        case UInt8(ascii: ">"): Array("&gt;".utf8)
        case UInt8(ascii: "&"): Array("&amp;".utf8)
        case UInt8(ascii: "\""): Array("&quot;".utf8)
        case UInt8(ascii: "'"): Array("&#39;".utf8)
        default: nil
        }
    }

    public static func markdown(_ text: String) -> String {
        let scalars = Array(visible(text).unicodeScalars)
        var result = ""
        result.reserveCapacity(scalars.count)
        for (index, scalar) in scalars.enumerated() {
            if opensMarkdown(scalars, at: index) { result += "\\" }
            result.unicodeScalars.append(scalar)
        }
        return result
    }

    private static func opensMarkdown(_ scalars: [Unicode.Scalar], at index: Int) -> Bool {
        switch scalars[index] {
        case "\\", "`", "*", "_", "[", "]", "<", ">", "!", "&", "|", "~", "#", "$": return true
        case ":": return index + 1 < scalars.count && scalars[index + 1] == "/"
        case ".": return index >= 3 && String(String.UnicodeScalarView(scalars[(index - 3)..<index])).lowercased() == "www"
        default: return false
        }
    }

    /// `text` as a Markdown code span: controls made visible (a newline would end the span's line and
    /// let the next line open a heading), fenced by one backtick more than its longest backtick run,
    /// and padded with a space where it begins or ends with a backtick or a space (CommonMark strips
    /// one such space on each side).
    public static func markdownCode(_ text: String) -> String {
        let shown = visible(text)
        var longest = 0
        var run = 0
        for character in shown.utf8 {
            run = character == UInt8(ascii: "`") ? run + 1 : 0
            longest = max(longest, run)
        }
        let fence = String(repeating: "`", count: longest + 1)
        let pad = shown.first == "`" || shown.last == "`" || shown.first == " " || shown.last == " " || shown.isEmpty ? " " : ""
        return fence + pad + shown + pad + fence
    }

    private static func escape(_ scalar: Unicode.Scalar) -> String? {
        switch scalar.value {
        case 0x5C: return "\\\\"
        case 0x0A: return "\\n"
        case 0x09: return "\\t"
        case 0x0D: return "\\r"
        case 0x00...0x1F, 0x7F: return "\\x" + hex(scalar.value, width: 2)
        case 0x80...0x9F, 0x061C, 0x200E, 0x200F, 0x2028...0x202E, 0x2066...0x2069:
            return "\\u{" + hex(scalar.value, width: 0) + "}"
        default: return nil
        }
    }

    private static func hex(_ value: UInt32, width: Int) -> String {
        let digits = String(value, radix: 16)
        return String(repeating: "0", count: max(0, width - digits.count)) + digits
    }
}
