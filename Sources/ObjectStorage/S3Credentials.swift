import Foundation

/// An S3 access key pair, read from an AWS shared-credentials file (`credentials_file`) or the usual
/// `AWS_ACCESS_KEY_ID` / `AWS_SECRET_ACCESS_KEY` (/ `AWS_SESSION_TOKEN`) environment. Held in memory
/// only; `description` never shows the secret, so an interpolated value cannot leak it.
public struct S3Credentials: Sendable, CustomStringConvertible {
    public var accessKeyID: String
    public var secretAccessKey: String
    public var sessionToken: String?

    public init(accessKeyID: String, secretAccessKey: String, sessionToken: String? = nil) {
        self.accessKeyID = accessKeyID
        self.secretAccessKey = secretAccessKey
        self.sessionToken = sessionToken
    }

    public var description: String { "S3Credentials(\(accessKeyID), secret hidden)" }

    /// Why credentials could not be read: names the file and line, never a value.
    public struct LoadError: Error, CustomStringConvertible {
        public var description: String
    }

    /// The `[profile]` section of a shared-credentials file (`aws_access_key_id`,
    /// `aws_secret_access_key`, optional `aws_session_token`), or without a file the environment.
    public static func load(file: String?, profile: String = "default", environment: [String: String]) throws(LoadError) -> S3Credentials {
        guard let file else {
            guard let key = environment["AWS_ACCESS_KEY_ID"], let secret = environment["AWS_SECRET_ACCESS_KEY"], !key.isEmpty, !secret.isEmpty else {
                throw LoadError(description: "no credentials_file and no AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY in the environment")
            }
            return S3Credentials(accessKeyID: key, secretAccessKey: secret, sessionToken: environment["AWS_SESSION_TOKEN"])
        }
        let text: String
        do { text = try String(contentsOfFile: file, encoding: .utf8) } catch {
            throw LoadError(description: "cannot read credentials_file \(file): \((error as NSError).localizedDescription)")
        }
        var section: String?
        var values: [String: String] = [:]
        for (number, raw) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let line = raw.trimmingCharacters(in: .whitespaces)
            if line.isEmpty || line.hasPrefix("#") || line.hasPrefix(";") { continue }
            if line.hasPrefix("[") {
                guard line.hasSuffix("]") else { throw LoadError(description: "\(file):\(number + 1): a section header without its ]") }
                section = String(line.dropFirst().dropLast()).trimmingCharacters(in: .whitespaces)
                continue
            }
            guard section == profile else { continue }
            guard let equals = line.firstIndex(of: "=") else {
                throw LoadError(description: "\(file):\(number + 1): expected key = value in [\(profile)]")
            }
            values[line[..<equals].trimmingCharacters(in: .whitespaces).lowercased()] =
                line[line.index(after: equals)...].trimmingCharacters(in: .whitespaces)
        }
        guard let key = values["aws_access_key_id"], let secret = values["aws_secret_access_key"], !key.isEmpty, !secret.isEmpty else {
            throw LoadError(description: "\(file): no aws_access_key_id and aws_secret_access_key in [\(profile)]")
        }
        return S3Credentials(accessKeyID: key, secretAccessKey: secret, sessionToken: values["aws_session_token"])
    }
}
