import Foundation

/// `history.postgresql:`: the shared history of a fleet of verifiers (docs/fleet.md). Parsed from a
/// libpq-style URL; the password never is in it: it comes from `password_file` (or `PGPASSFILE`'s
/// file at connect time), so it is in no config, log, outcome or process argument.
public struct PostgresSettings: Sendable, Equatable {
    /// How the connection is protected, as libpq names it.
    public enum TLSMode: String, Sendable, CaseIterable {
        /// No TLS (a unix socket, or a loopback port on the database host itself).
        case disable
        /// TLS, the server's certificate not checked (libpq's `require`): encrypts, proves nothing.
        case require
        /// TLS, the certificate checked against the CA, not the host name.
        case verifyCA = "verify-ca"
        /// TLS, the certificate checked against the CA and the host name: the default over TCP.
        case verifyFull = "verify-full"
    }

    /// A host name or address; nil for a unix socket.
    public var host: String?
    public var port: Int
    /// The directory of the server's unix socket (`?host=/run/postgresql`), when not TCP.
    public var socketDirectory: String?
    public var user: String
    public var database: String
    public var tls: TLSMode
    /// The CA certificates (PEM) that sign the server's certificate (`?sslrootcert=`); the system's
    /// trust store when nil.
    public var rootCertificate: String?
    /// The file holding the role's password (one line), 0600 and the service user's.
    public var passwordFile: String?

    public init(
        host: String?, port: Int = 5432, socketDirectory: String? = nil, user: String, database: String, tls: TLSMode,
        rootCertificate: String? = nil, passwordFile: String? = nil
    ) {
        self.host = host
        self.port = port
        self.socketDirectory = socketDirectory
        self.user = user
        self.database = database
        self.tls = tls
        self.rootCertificate = rootCertificate
        self.passwordFile = passwordFile
    }

    /// The unix socket's path when connecting through one (libpq's `.s.PGSQL.PORT`).
    public var socketPath: String? { socketDirectory.map { "\($0)/.s.PGSQL.\(port)" } }

    /// Where the history is, for messages: never the password (it is never in here).
    public var displayName: String {
        host.map { "postgresql://\(user)@\($0):\(port)/\(database)" } ?? "postgresql://\(user)@/\(database) (socket in \(socketDirectory ?? "?"))"
    }

    /// Parses `postgresql://USER@HOST:PORT/DB?sslmode=...&sslrootcert=...` or, for a unix socket,
    /// `postgresql://USER@/DB?host=/run/postgresql`. A password in the URL is refused: it would be in
    /// the config file and in every message that names the URL.
    public static func parse(url text: String) throws(Invalid) -> PostgresSettings {
        guard let components = URLComponents(string: text), let scheme = components.scheme, ["postgresql", "postgres"].contains(scheme) else {
            throw Invalid("'\(text)' is not a postgresql:// URL")
        }
        if components.password != nil {
            throw Invalid("the URL holds a password: put it in password_file (0600), never in the config")
        }
        guard let user = components.user, !user.isEmpty else { throw Invalid("the URL names no user (postgresql://USER@HOST/DB)") }
        let database = String(components.path.drop { $0 == "/" })
        guard !database.isEmpty, !database.contains("/") else { throw Invalid("the URL names no database (postgresql://USER@HOST/DB)") }
        var query: [String: String] = [:]
        for item in components.queryItems ?? [] {
            guard let value = item.value else { throw Invalid("the URL's parameter '\(item.name)' has no value") }
            query[item.name] = value
        }
        for name in query.keys where !["sslmode", "sslrootcert", "host", "port"].contains(name) {
            throw Invalid("the URL's parameter '\(name)' is not supported (sslmode, sslrootcert, host, port)")
        }
        var port = components.port ?? 5432
        if let text = query["port"] {
            guard let value = Int(text) else { throw Invalid("the URL's port '\(text)' is not a number") }
            port = value
        }
        guard (1...65535).contains(port) else { throw Invalid("the URL's port \(port) is out of range") }
        let socketDirectory = query["host"]
        let host = components.host.flatMap { $0.isEmpty ? nil : $0 }
        if let socketDirectory, !socketDirectory.hasPrefix("/") {
            throw Invalid("the URL's host parameter must be a socket directory (an absolute path); name a TCP host before the /")
        }
        guard (host == nil) != (socketDirectory == nil) else {
            throw Invalid("the URL names \(host == nil ? "neither a host nor" : "both a host and") a socket directory (?host=/run/postgresql)")
        }
        let tls: TLSMode
        if let mode = query["sslmode"] {
            guard let parsed = TLSMode(rawValue: mode) else {
                throw Invalid("sslmode '\(mode)' is not one of \(TLSMode.allCases.map(\.rawValue).joined(separator: ", "))")
            }
            tls = parsed
        } else {
            tls = host == nil ? .disable : .verifyFull
        }
        return PostgresSettings(
            host: host, port: port, socketDirectory: socketDirectory, user: user, database: database, tls: tls,
            rootCertificate: query["sslrootcert"])
    }

    /// A URL this cannot use.
    public struct Invalid: Error, CustomStringConvertible {
        public var description: String
        init(_ description: String) { self.description = description }
    }
}
