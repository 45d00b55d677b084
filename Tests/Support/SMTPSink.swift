import Foundation
import Glibc
import RestoreCheckCore

/// `smtp-sink.py` (aiosmtpd) on loopback: STARTTLS required with a throwaway certificate, AUTH
/// required, every accepted message in a Maildir. See the script's header.
public final class SMTPSink: @unchecked Sendable {
    // @unchecked: set once in init; the process is only signalled.
    public let port: Int
    public let maildir: String
    /// The certificate clients must trust (`ca_file`).
    public let certificate: String
    public let user = "rc-mailer"
    public let password = "pw-\(UUID().uuidString.prefix(8))"
    private let process: Process

    static let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("smtp-sink.py").path

    public init(in temp: TemporaryDirectory) throws {
        port = Loopback.freePort()
        maildir = temp.url("maildir-\(port)")
        certificate = temp.url("smtp-cert-\(port).pem")
        let key = temp.url("smtp-key-\(port).pem")
        _ = try Shell.run(
            "openssl req -x509 -newkey rsa:2048 -nodes -keyout \(key) -out \(certificate) -days 1 -subj /CN=localhost"
                + " -addext subjectAltName=IP:127.0.0.1,DNS:localhost 2>/dev/null")
        process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", Self.script, String(port), maildir, certificate, key, user, password]
        let out = Pipe()
        process.standardOutput = out
        process.standardError = FileHandle(forWritingAtPath: "/dev/null")
        try process.run()
        let line = out.fileHandleForReading.readLine()
        guard line == "ready" else {
            throw Shell.Failure(command: "smtp-sink.py", result: Shell.Result(status: 1, stdout: line, stderr: "not ready"))
        }
    }

    /// `smtp:` settings for this sink: its port, user and certificate, and `password` (default: the
    /// right one) written to a file in `temp`.
    public func settings(in temp: TemporaryDirectory, from: String, password: String? = nil) throws -> SMTPSettings {
        var smtp = SMTPSettings(server: "127.0.0.1:\(port)", from: from)
        smtp.username = user
        smtp.passwordFile = try temp.write("smtp-\(port).pass", password ?? self.password)
        smtp.caFile = certificate
        return smtp
    }

    deinit {
        if process.isRunning {
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
        }
    }

    /// The raw messages received, oldest first (Maildir `new/`, by file time then name).
    public var messages: [String] {
        let directory = "\(maildir)/new"
        let names = (try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []
        let dated = names.map { name -> (Date, String) in
            let path = "\(directory)/\(name)"
            let date = (try? FileManager.default.attributesOfItem(atPath: path)[.modificationDate] as? Date) ?? .distantPast
            return (date, path)
        }
        return dated.sorted { $0.0 != $1.0 ? $0.0 < $1.0 : $0.1 < $1.1 }.compactMap { try? String(contentsOfFile: $0.1, encoding: .utf8) }
    }

    /// A message parsed by Python's `email` package: headers, each part's type and decoded text,
    /// and attachments' names and sizes (as JSON, to keep MIME parsing out of the tests' code).
    /// Attachments are saved, decoded, under `mail-<id>/`: a part's `path` says where.
    public static func parse(_ raw: String, in temp: TemporaryDirectory) throws -> [String: Any] {
        let id = UUID().uuidString
        let path = try temp.write("mail-\(id).eml", raw)
        let attachments = temp.url("mail-\(id)")
        let script = """
            import email, json, sys
            from email import policy
            m = email.message_from_binary_file(open(sys.argv[1], 'rb'), policy=policy.default)
            parts = []
            for p in m.walk():
                if p.is_multipart():
                    continue
                payload = p.get_payload(decode=True) or b''
                entry = {'type': p.get_content_type(), 'filename': p.get_filename(), 'size': len(payload)}
                if p.get_filename():
                    import os
                    os.makedirs(sys.argv[2], exist_ok=True)
                    entry['path'] = os.path.join(sys.argv[2], os.path.basename(p.get_filename()))
                    open(entry['path'], 'wb').write(payload)
                if p.get_content_maintype() == 'text':
                    entry['text'] = payload.decode(p.get_content_charset() or 'utf-8')
                parts.append(entry)
            print(json.dumps({'subject': str(m['subject']), 'from': str(m['from']), 'to': str(m['to']),
                              'date': str(m['date']), 'message_id': str(m['message-id']), 'parts': parts}))
            """
        let result = try Shell.execute("/usr/bin/env", ["python3", "-c", script, path, attachments])
        guard result.status == 0, let json = try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any] else {
            throw Shell.Failure(command: "parse mail", result: result)
        }
        return json
    }
}
