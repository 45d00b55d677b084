import Mustache
import RestoreCheckCore

/// The `HTML` content type of the report templates, escaping through `UntrustedText.html` (the same
/// five characters as swift-mustache's built-in one, over UTF-8 bytes). Registered under the
/// standard name `HTML`, so a template that opens with `{{% CONTENT_TYPE: HTML}}` (the built-in ones
/// do) gets it; one without the pragma gets the library's own, with the same output.
struct FastHTMLEscaping: MustacheContentType {
    static func register() {
        MustacheContentTypes.register(FastHTMLEscaping(), named: "HTML")
    }

    func escapeText(_ text: String) -> String { UntrustedText.html(text) }
}
