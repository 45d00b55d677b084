import Foundation
import Yams

/// `--web.config.file`: the exporter-toolkit YAML that every official Prometheus exporter accepts, so
/// an MSP's existing TLS and basic-auth setup carries over unchanged.
///
/// ```yaml
/// tls_server_config:
///   cert_file: /etc/restorecheck/tls.crt
///   key_file: /etc/restorecheck/tls.key
///   min_version: TLS12                         # TLS12 (default) or TLS13
///   client_auth_type: RequireAndVerifyClientCert   # or NoClientCert (default), VerifyClientCertIfGiven
///   client_ca_file: /etc/restorecheck/clients-ca.crt
/// basic_auth_users:
///   prometheus: $2y$10$...                    # bcrypt, e.g. from `htpasswd -nBC 10 prometheus`
/// ```
public struct WebConfig: Sendable, Equatable {
    public var tls: TLS?
    /// User name → bcrypt hash (`$2y$` rewritten to the identical `$2b$`).
    public var basicAuthUsers: [String: String]

    public struct TLS: Sendable, Equatable {
        public var certFile: String
        public var keyFile: String
        public var minVersion: MinVersion
        public var clientAuth: ClientAuth
        public var clientCAFile: String?

        public enum MinVersion: String, Sendable { case tls12 = "TLS12", tls13 = "TLS13" }
        public enum ClientAuth: String, Sendable {
            case none = "NoClientCert"
            case verifyIfGiven = "VerifyClientCertIfGiven"
            case requireAndVerify = "RequireAndVerifyClientCert"
        }
    }

    public struct Error: Swift.Error, CustomStringConvertible {
        public var file: String
        public var message: String
        public var description: String { "\(file): \(message)" }
    }

    public init(tls: TLS? = nil, basicAuthUsers: [String: String] = [:]) {
        self.tls = tls
        self.basicAuthUsers = basicAuthUsers
    }

    /// Loads and validates `path`; relative file names are resolved against its directory.
    public static func load(path: String) throws(Error) -> WebConfig {
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else {
            throw Error(file: path, message: "cannot read the web config")
        }
        let base = (path as NSString).deletingLastPathComponent
        func resolve(_ file: String) -> String { file.hasPrefix("/") || base.isEmpty ? file : "\(base)/\(file)" }
        let root: Node?
        do { root = try Yams.compose(yaml: text) } catch { throw Error(file: path, message: "YAML: \(error)") }
        guard let mapping = root?.mapping else { throw Error(file: path, message: "expected a mapping") }
        var config = WebConfig()
        for (keyNode, value) in mapping {
            let key = keyNode.string ?? ""
            let line = keyNode.mark.map { ":\($0.line)" } ?? ""
            switch key {
            case "tls_server_config":
                guard let tls = value.mapping else { throw Error(file: path + line, message: "tls_server_config: expected a mapping") }
                var fields: [String: String] = [:]
                for (k, v) in tls {
                    guard let name = k.string, let string = v.string else { continue }
                    guard ["cert_file", "key_file", "min_version", "client_auth_type", "client_ca_file", "max_version", "cipher_suites"].contains(name) else {
                        throw Error(file: path + (k.mark.map { ":\($0.line)" } ?? ""), message: "tls_server_config.\(name): unknown key")
                    }
                    fields[name] = string
                }
                guard let cert = fields["cert_file"], let key = fields["key_file"] else {
                    throw Error(file: path + line, message: "tls_server_config needs cert_file and key_file")
                }
                guard let minVersion = TLS.MinVersion(rawValue: fields["min_version"] ?? "TLS12") else {
                    throw Error(file: path + line, message: "tls_server_config.min_version: TLS12 or TLS13 (older versions are refused)")
                }
                guard let clientAuth = TLS.ClientAuth(rawValue: fields["client_auth_type"] ?? "NoClientCert") else {
                    throw Error(file: path + line, message: "tls_server_config.client_auth_type: NoClientCert, VerifyClientCertIfGiven or RequireAndVerifyClientCert")
                }
                if clientAuth != .none, fields["client_ca_file"] == nil {
                    throw Error(file: path + line, message: "tls_server_config.client_ca_file is required with client_auth_type \(clientAuth.rawValue)")
                }
                config.tls = TLS(
                    certFile: resolve(cert), keyFile: resolve(key), minVersion: minVersion, clientAuth: clientAuth,
                    clientCAFile: fields["client_ca_file"].map(resolve))
            case "basic_auth_users":
                guard let users = value.mapping else { throw Error(file: path + line, message: "basic_auth_users: expected user: hash lines") }
                for (user, hash) in users {
                    guard let name = user.string, var hash = hash.string,
                        hash.hasPrefix("$2a$") || hash.hasPrefix("$2b$") || hash.hasPrefix("$2y$")
                    else {
                        throw Error(file: path + (user.mark.map { ":\($0.line)" } ?? ""), message: "basic_auth_users: each value must be a bcrypt hash ($2a$, $2b$ or $2y$)")
                    }
                    // htpasswd writes $2y$; it is the same algorithm as $2b$, which the bcrypt library reads.
                    if hash.hasPrefix("$2y$") { hash = "$2b$" + hash.dropFirst(4) }
                    config.basicAuthUsers[name] = hash
                }
            case "http_server_config", "rate_limit":
                continue  // accepted for compatibility; restorecheck applies its own fixed limits
            default:
                throw Error(file: path + line, message: "\(key): unknown key (tls_server_config, basic_auth_users)")
            }
        }
        return config
    }
}
