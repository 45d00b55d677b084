import Foundation
import RestoreCheckCore
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
///   acme-viewer: $2y$10$...
/// tenant_users:                               # restorecheck's own: users limited to tenants' reports
///   acme-viewer: [acme]
/// ```
public struct WebConfig: Sendable, Equatable {
    public var tls: TLS?
    /// User name → bcrypt hash (`$2y$` rewritten to the identical `$2b$`).
    public var basicAuthUsers: [String: String]
    /// User → the only tenants whose `/reports/<tenant>` that user may read (403 for anything else).
    public var tenantUsers: [String: Set<String>] = [:]

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
    ///
    /// Read through the same strict reader as the restorecheck config (`YAMLReader`): an unknown key,
    /// a duplicate, or a value of the wrong kind (a list where a file name belongs) is an error with
    /// its line, never skipped.
    public static func load(path: String) throws(Error) -> WebConfig {
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else {
            throw Error(file: path, message: "cannot read the web config")
        }
        let root: Node?
        do { root = try Yams.compose(yaml: text) } catch { throw Error(file: path, message: "YAML: \(error)") }
        guard let root else { throw Error(file: path, message: "expected a mapping") }
        let base = (path as NSString).deletingLastPathComponent
        do throws(ConfigError) {
            return try read(root, yaml: YAMLReader(file: path), resolve: { $0.hasPrefix("/") || base.isEmpty ? $0 : "\(base)/\($0)" })
        } catch {
            let location = path + (error.line.map { ":\($0)" } ?? "")
            throw Error(file: location, message: error.keyPath.isEmpty ? error.message : "\(error.keyPath): \(error.message)")
        }
    }

    /// `tls_server_config` as written, before validation.
    struct TLSDraft {
        var fields: [String: String] = [:]
    }

    private static func read(_ root: Node, yaml: YAMLReader, resolve: @escaping (String) -> String) throws(ConfigError) -> WebConfig {
        var config = WebConfig()
        var tlsNode: Node?
        var tls = TLSDraft()
        let tlsSection = YAMLSection<TLSDraft>(
            ["cert_file", "key_file", "min_version", "client_auth_type", "client_ca_file", "max_version"].map { key in
                (key, { yaml, node, path, draft throws(ConfigError) in draft.fields[key] = try yaml.string(node, path) })
            } + [
                // exporter-toolkit's list of suites: accepted for compatibility; restorecheck offers
                // only TLS 1.2+ suites of its own.
                ("cipher_suites", { yaml, node, path, _ throws(ConfigError) in
                    guard let list = node.sequence else { throw yaml.error(node, path, "expected a list of cipher suite names") }
                    for (index, item) in list.enumerated() { _ = try yaml.string(item, "\(path)[\(index)]") }
                }),
            ])
        let top = YAMLSection<WebConfig>([
            ("tls_server_config", { yaml, node, path, _ throws(ConfigError) in
                tlsNode = node
                try yaml.read(node, path, tlsSection, into: &tls)
            }),
            ("basic_auth_users", { yaml, node, path, config throws(ConfigError) in
                guard let users = node.mapping else { throw yaml.error(node, path, "expected user: hash lines") }
                for (user, hashNode) in users {
                    let name = try yaml.string(user, path)
                    var hash = try yaml.string(hashNode, "\(path).\(name)")
                    guard hash.hasPrefix("$2a$") || hash.hasPrefix("$2b$") || hash.hasPrefix("$2y$") else {
                        throw yaml.error(hashNode, "\(path).\(name)", "each value must be a bcrypt hash ($2a$, $2b$ or $2y$)")
                    }
                    // htpasswd writes $2y$; it is the same algorithm as $2b$, which the bcrypt library reads.
                    if hash.hasPrefix("$2y$") { hash = "$2b$" + hash.dropFirst(4) }
                    config.basicAuthUsers[name] = hash
                }
            }),
            ("tenant_users", { yaml, node, path, config throws(ConfigError) in
                guard let users = node.mapping else { throw yaml.error(node, path, "expected user: [tenant, ...] lines") }
                for (user, tenantsNode) in users {
                    let name = try yaml.string(user, path)
                    guard let list = tenantsNode.sequence, !list.isEmpty else {
                        throw yaml.error(tenantsNode, "\(path).\(name)", "expected a non-empty list of tenants")
                    }
                    var tenants: Set<String> = []
                    for (index, item) in list.enumerated() { tenants.insert(try yaml.string(item, "\(path).\(name)[\(index)]")) }
                    config.tenantUsers[name] = tenants
                }
            }),
            // Accepted for compatibility (mappings); restorecheck applies its own fixed limits.
            ("http_server_config", { yaml, node, path, _ throws(ConfigError) in
                guard node.mapping != nil else { throw yaml.error(node, path, "expected a mapping") }
            }),
            ("rate_limit", { yaml, node, path, _ throws(ConfigError) in
                guard node.mapping != nil else { throw yaml.error(node, path, "expected a mapping") }
            }),
        ])
        try yaml.read(root, "", top, into: &config)
        if let stray = config.tenantUsers.keys.sorted().first(where: { config.basicAuthUsers[$0] == nil }) {
            throw yaml.error(root, "tenant_users.\(stray)", "'\(stray)' is not in basic_auth_users: a limit needs a user to apply to")
        }
        guard let tlsNode else { return config }
        let fields = tls.fields
        guard let cert = fields["cert_file"], let key = fields["key_file"] else {
            throw yaml.error(tlsNode, "", "tls_server_config needs cert_file and key_file")
        }
        guard let minVersion = TLS.MinVersion(rawValue: fields["min_version"] ?? "TLS12") else {
            throw yaml.error(tlsNode, "tls_server_config.min_version", "TLS12 or TLS13 (older versions are refused)")
        }
        guard let clientAuth = TLS.ClientAuth(rawValue: fields["client_auth_type"] ?? "NoClientCert") else {
            throw yaml.error(
                tlsNode, "tls_server_config.client_auth_type", "NoClientCert, VerifyClientCertIfGiven or RequireAndVerifyClientCert")
        }
        if clientAuth != .none, fields["client_ca_file"] == nil {
            throw yaml.error(tlsNode, "", "tls_server_config.client_ca_file is required with client_auth_type \(clientAuth.rawValue)")
        }
        config.tls = TLS(
            certFile: resolve(cert), keyFile: resolve(key), minVersion: minVersion, clientAuth: clientAuth,
            clientCAFile: fields["client_ca_file"].map(resolve))
        return config
    }
}
