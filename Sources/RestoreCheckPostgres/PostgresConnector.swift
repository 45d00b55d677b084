import Foundation
import Logging
import NIOSSL
import PostgresNIO
import RestoreCheckCore

/// Turns `history.postgresql` into a postgres-nio client configuration: the password read from its
/// file (never the config), TLS as the URL's `sslmode` asks, the tables in the `restorecheck` schema.
enum PostgresConnector {
    /// The schema every table lives in: the role needs no other.
    static let schema = "restorecheck"

    /// Every session's settings: the schema, a name in `pg_stat_activity`, and
    /// `idle_in_transaction_session_timeout`. A host paused mid-transaction (SIGSTOP, a frozen VM)
    /// would otherwise hold its row locks (a job, the chain's head) for as long as it is paused, and
    /// every other host's results would wait on it; the server ends such a session after 15 s (a
    /// transaction here never waits on its client that long), and the locks go with it. Found by the
    /// fleet's SIGSTOP test under load.
    static let sessionParameters = [
        ("search_path", schema), ("application_name", "restorecheck"), ("idle_in_transaction_session_timeout", "15s"),
    ]

    static func configuration(_ settings: PostgresSettings) throws -> PostgresClient.Configuration {
        let password = try password(settings)
        var configuration: PostgresClient.Configuration
        if let socket = settings.socketPath {
            configuration = .init(unixSocketPath: socket, username: settings.user, password: password, database: settings.database)
        } else {
            configuration = .init(
                host: settings.host ?? "localhost", port: settings.port, username: settings.user, password: password,
                database: settings.database, tls: try tls(settings))
        }
        configuration.options.additionalStartupParameters = sessionParameters
        configuration.options.connectTimeout = .seconds(10)
        configuration.options.maximumConnections = 8
        return configuration
    }

    /// The role's password: `password_file`, else the `PGPASSFILE` (or `~/.pgpass`) entry for this
    /// host, port, database and user; nil for a role that needs none (peer or trust on a socket).
    static func password(_ settings: PostgresSettings) throws -> String? {
        if let file = settings.passwordFile {
            guard let data = FileManager.default.contents(atPath: file) else {
                throw PostgresHistoryError("cannot read the password file \(file)")
            }
            return String(decoding: data, as: UTF8.self).trimmingCharacters(in: .newlines)
        }
        let passfile = ProcessInfo.processInfo.environment["PGPASSFILE"]
            ?? ProcessInfo.processInfo.environment["HOME"].map { "\($0)/.pgpass" }
        guard let passfile, let data = FileManager.default.contents(atPath: passfile) else { return nil }
        let host = settings.host ?? "localhost"
        for line in String(decoding: data, as: UTF8.self).split(separator: "\n") where !line.hasPrefix("#") {
            let fields = PgPass.fields(line)
            guard fields.count == 5 else { continue }
            let wanted = [host, String(settings.port), settings.database, settings.user]
            if zip(fields.prefix(4), wanted).allSatisfy({ $0 == "*" || $0 == $1 }) { return fields[4] }
        }
        return nil
    }

    /// The TLS settings `sslmode` asks for; nil for `disable`.
    private static func tlsConfiguration(_ settings: PostgresSettings) throws -> TLSConfiguration? {
        var tls = TLSConfiguration.makeClientConfiguration()
        switch settings.tls {
        case .disable: return nil
        case .require: tls.certificateVerification = .none
        case .verifyCA: tls.certificateVerification = .noHostnameVerification
        case .verifyFull: tls.certificateVerification = .fullVerification
        }
        if let root = settings.rootCertificate {
            do {
                tls.trustRoots = .certificates(try NIOSSLCertificate.fromPEMFile(root))
            } catch {
                throw PostgresHistoryError("cannot read sslrootcert \(root): \(error)")
            }
        }
        return tls
    }

    private static func tls(_ settings: PostgresSettings) throws -> PostgresClient.Configuration.TLS {
        try tlsConfiguration(settings).map { .require($0) } ?? .disable
    }

    /// One connection made and closed, before the pool is trusted with the settings: the pool
    /// retries a failing connect for a minute and then names no cause, while a single connect fails
    /// at once with the server's own words (no such database, password rejected, certificate).
    static func probe(_ settings: PostgresSettings, logger: Logger) async throws {
        try await connect(settings, logger: logger).close()
    }

    /// One connection of its own, outside the pool (the probe; the planner's lock, which lives as
    /// long as its session).
    static func connect(_ settings: PostgresSettings, logger: Logger) async throws -> PostgresConnection {
        let password = try password(settings)
        var configuration: PostgresConnection.Configuration
        if let socket = settings.socketPath {
            configuration = .init(unixSocketPath: socket, username: settings.user, password: password, database: settings.database)
        } else {
            let tls: PostgresConnection.Configuration.TLS = try tlsConfiguration(settings).map { .require(try NIOSSLContext(configuration: $0)) } ?? .disable
            configuration = .init(host: settings.host ?? "localhost", port: settings.port, username: settings.user, password: password, database: settings.database, tls: tls)
        }
        configuration.options.connectTimeout = .seconds(10)
        configuration.options.additionalStartupParameters = sessionParameters
        return try await PostgresConnection.connect(
            on: PostgresClient.defaultEventLoopGroup.next(), configuration: configuration, id: 0, logger: logger
        ).get()
    }
}

/// `.pgpass` lines: `host:port:database:user:password`, `\:` and `\\` escaped.
enum PgPass {
    static func fields(_ line: Substring) -> [String] {
        var fields: [String] = []
        var current = ""
        var escaped = false
        for character in line {
            if escaped {
                current.append(character)
                escaped = false
            } else if character == "\\" {
                escaped = true
            } else if character == ":" {
                fields.append(current)
                current = ""
            } else {
                current.append(character)
            }
        }
        fields.append(current)
        return fields
    }
}

/// A failure of the PostgreSQL history, with the server's own message (postgres-nio's errors print
/// a generic text on purpose, lest a query's values leak into logs; the server's message names the
/// table and constraint, never a bound value).
public struct PostgresHistoryError: Error, CustomStringConvertible {
    public var description: String

    init(_ description: String) { self.description = description }

    /// `error` as an operator can act on it.
    static func describe(_ error: any Error) -> String {
        if let transaction = error as? PostgresTransactionError {
            if let inner = transaction.closureError { return describe(inner) }
            if let inner = transaction.commitError { return "commit: " + describe(inner) }
            if let inner = transaction.beginError { return "begin: " + describe(inner) }
        }
        if let psql = error as? PSQLError {
            if let message = psql.serverInfo?[.message] {
                return "PostgreSQL: \(message)" + (psql.serverInfo?[.sqlState].map { " (SQLSTATE \($0))" } ?? "")
            }
            return "PostgreSQL: \(psql.code)" + (psql.underlying.map { ": \($0)" } ?? "")
        }
        return String(describing: error)
    }

    /// The SQLSTATE of a server error, unwrapped from a transaction's.
    static func sqlState(_ error: any Error) -> String? {
        if let transaction = error as? PostgresTransactionError, let inner = transaction.closureError ?? transaction.commitError {
            return sqlState(inner)
        }
        return (error as? PSQLError)?.serverInfo?[.sqlState]
    }
}

