import Mustache
import RestoreCheckCore

/// The `MARKDOWN` content type of the Markdown templates: every `{{value}}` goes through
/// `UntrustedText.markdown`, so a name from a backup renders as the text it is, never as a link, an
/// image, raw HTML, a heading or a broken table. Values that belong in a code span are given ready
/// made (`archive_code`, `path_code`: `UntrustedText.markdownCode`) and placed with `{{{…}}}`.
struct MarkdownEscaping: MustacheContentType {
    static func register() {
        MustacheContentTypes.register(MarkdownEscaping(), named: "MARKDOWN")
    }

    func escapeText(_ text: String) -> String {
        UntrustedText.markdown(text)
    }
}
