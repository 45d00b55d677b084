import Foundation

/// An SMTP server as restorecheck sends mail through it (`smtp:` in the config).
public struct SMTPServer: Sendable, Hashable {
    /// `host:port`. Port 465 is implicit TLS (`smtps`); any other port speaks plain SMTP and, with
    /// `starttls`, upgrades with STARTTLS before anything else is said (or fails: never in clear).
    public var server: String
    public var starttls: Bool
    public var username: String?
    /// The password itself, read from `password_file` just before sending; never logged.
    public var password: String?
    public var caFile: String?
    public var from: String

    public init(server: String, starttls: Bool, username: String?, password: String?, caFile: String?, from: String) {
        self.server = server
        self.starttls = starttls
        self.username = username
        self.password = password
        self.caFile = caFile
        self.from = from
    }

    var url: String { server.hasSuffix(":465") ? "smtps://\(server)" : "smtp://\(server)" }
}

/// One e-mail: plain text and HTML alternatives, and attachments.
public struct MailMessage: Sendable {
    public var to: [String]
    public var subject: String
    public var text: String
    public var html: String?
    public var attachments: [Attachment]

    /// A file sent along (a report's PDF, its signed JSON and signature).
    public struct Attachment: Sendable {
        public var name: String
        public var type: String
        public var bytes: [UInt8]

        public init(name: String, type: String, bytes: [UInt8]) {
            self.name = name
            self.type = type
            self.bytes = bytes
        }
    }

    public init(to: [String], subject: String, text: String, html: String? = nil, attachments: [Attachment] = []) {
        self.to = to
        self.subject = subject
        self.text = text
        self.html = html
        self.attachments = attachments
    }
}

/// Sends mail through libcurl's SMTP (the same TLS verification as every other request).
public enum SMTPMail {
    /// The server's answer: accepted (250), or why not.
    public struct Answer: Sendable {
        public var status: Int
        public var error: String?
        public var delivered: Bool { error == nil }
    }

    public static func send(_ message: MailMessage, via server: SMTPServer, timeoutSeconds: Int = 30) -> Answer {
        let headers = [
            "Subject: \(encodedHeader(message.subject))",
            "From: \(server.from)",
            "To: \(message.to.joined(separator: ", "))",
            "Date: \(rfc5322Date(Date()))",
            "Message-ID: <\(UUID().uuidString.lowercased())@restorecheck>",
            "MIME-Version: 1.0",
        ]
        let request = CurlTransfer.MailRequest(
            url: server.url, requireTLS: server.starttls || server.url.hasPrefix("smtps:"), username: server.username,
            password: server.password, caFile: server.caFile, from: server.from, recipients: message.to, headers: headers,
            text: message.text, html: message.html, attachments: message.attachments.map { ($0.name, $0.type, $0.bytes) },
            timeoutSeconds: timeoutSeconds)
        let response = CurlTransfer().send(request)
        return Answer(status: response.status, error: response.transferError)
    }

    /// A header value as RFC 2047 allows it: ASCII as is, anything else as UTF-8 base64 words; line
    /// breaks and other controls never pass (no header injection from a name).
    static func encodedHeader(_ text: String) -> String {
        let clean = String(text.unicodeScalars.filter { $0.value >= 0x20 && $0.value != 0x7F }.map(Character.init))
        if clean.unicodeScalars.allSatisfy(\.isASCII) { return clean }
        return "=?UTF-8?B?\(Data(clean.utf8).base64EncodedString())?="
    }

    /// `Thu, 03 Dec 2026 12:00:00 +0000`.
    static func rfc5322Date(_ date: Date) -> String {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "UTC")
        formatter.dateFormat = "EEE, dd MMM yyyy HH:mm:ss Z"
        return formatter.string(from: date)
    }
}
