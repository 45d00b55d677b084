import Foundation
import ObjectStorage

/// `smtp:`: the server e-mail notifications and report delivery share. The password stays in its
/// file (`password_file`, read at each send) and never reaches a log, an outcome or a report.
public struct SMTPSettings: Sendable, Hashable {
    /// `host:port` (465: implicit TLS; otherwise STARTTLS unless `starttls: false`).
    public var server: String
    public var starttls = true
    public var username: String?
    public var passwordFile: String?
    public var caFile: String?
    public var from: String

    public init(server: String, from: String) {
        self.server = server
        self.from = from
    }

    /// The server with its password read now; a file that cannot be read is named.
    public func resolved() -> Result<SMTPServer, SMTPProblem> {
        var password: String?
        if let passwordFile {
            guard let data = FileManager.default.contents(atPath: passwordFile) else {
                return .failure(SMTPProblem(message: "smtp.password_file \(passwordFile) cannot be read"))
            }
            password = String(decoding: data, as: UTF8.self).trimmingCharacters(in: .newlines)
        }
        return .success(SMTPServer(server: server, starttls: starttls, username: username, password: password, caFile: caFile, from: from))
    }

    /// Sends `message`; nil when the server accepted it, else why not (never the password).
    public func send(_ message: MailMessage, timeoutSeconds: Int = 30) async -> String? {
        let server: SMTPServer
        switch resolved() {
        case .success(let resolved): server = resolved
        case .failure(let problem): return problem.message
        }
        let answer = await DedicatedThread.run(name: "smtp") { SMTPMail.send(message, via: server, timeoutSeconds: timeoutSeconds) }
        if answer.delivered { return nil }
        return "smtp \(self.server): \(answer.error ?? "no answer")"
    }
}

/// Why mail could not be sent before any was.
public struct SMTPProblem: Error {
    public var message: String
}
