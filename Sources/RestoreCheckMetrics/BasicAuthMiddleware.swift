import Foundation
import Hummingbird
import HummingbirdBcrypt
import NIOPosix
import RestoreCheckCore
import Synchronization

/// HTTP basic auth against bcrypt hashes, as exporter-toolkit does it.
///
/// bcrypt at cost 10 takes ~50 ms, and Prometheus sends the same credentials on every scrape, so a
/// successful check is cached (keyed by a SHA-256 of user and password, never the password itself).
/// An unknown user is checked against a fixed fake hash, so the response time does not reveal which
/// user names exist.
///
/// A user listed in `tenant_users` is limited to those tenants' reports: any other path, `/metrics`
/// and `/reports/` included, is 403 (the metrics carry every tenant's series, so there is no part of
/// them such a user may see).
///
/// bcrypt runs on NIO's blocking thread pool, as hummingbird-auth's verifier does, never on the
/// cooperative pool: that pool has one thread per core (two here), and a flood of wrong passwords
/// (~50 ms of CPU each) would otherwise starve the scheduler loop that feeds systemd's watchdog.
public struct BasicAuthMiddleware: RouterMiddleware {
    public typealias Context = BasicRequestContext
    let users: [String: String]
    /// User → the tenants whose reports alone that user may read.
    let tenantUsers: [String: Set<String>]
    let cache = VerifiedCache()

    /// A bcrypt hash of a random string, for unknown users (cost 10, like htpasswd's default).
    static let fakeHash = "$2b$10$7EqJtq98hPqEX7fNZaFWoOhi5BWX4Z3V5lz0xCjCEvQZ8pP5Tj1W6"

    public init(users: [String: String], tenantUsers: [String: Set<String>] = [:]) {
        self.users = users
        self.tenantUsers = tenantUsers
    }

    public func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        guard let (user, password) = Self.credentials(request.headers[.authorization]), try await authenticate(user, password) else {
            return Response(status: .unauthorized, headers: [.wwwAuthenticate: "Basic realm=\"restorecheck\""])
        }
        if let tenants = tenantUsers[user], !Self.allows(path: request.uri.path, tenants: tenants) {
            return Response(status: .forbidden)
        }
        return try await next(request, context)
    }

    func authenticate(_ user: String, _ password: String) async throws -> Bool {
        let key = SHA256.hex(of: Array("\(user)\u{0}\(password)".utf8))
        if cache.contains(key) { return true }
        let hash = users[user]
        let verified = try await NIOThreadPool.singleton.runIfActive {
            Bcrypt.verify(password, hash: hash ?? Self.fakeHash)
        }
        guard hash != nil, verified else { return false }
        cache.insert(key)
        return true
    }

    /// Whether a tenant-limited user may read `path`: exactly `/reports/<one of tenants>`.
    static func allows(path: String, tenants: Set<String>) -> Bool {
        let prefix = "/reports/"
        guard path.hasPrefix(prefix) else { return false }
        let name = String(path.dropFirst(prefix.count))
        return tenants.contains(name.removingPercentEncoding ?? name) || tenants.contains(name)
    }

    static func credentials(_ header: String?) -> (String, String)? {
        guard let header, header.lowercased().hasPrefix("basic "),
            let data = Data(base64Encoded: String(header.dropFirst(6)).trimmingCharacters(in: .whitespaces)),
            let text = String(data: data, encoding: .utf8), let colon = text.firstIndex(of: ":")
        else { return nil }
        return (String(text[..<colon]), String(text[text.index(after: colon)...]))
    }

    /// Digests of credentials that verified (bounded, so a flood of distinct good logins cannot grow it).
    final class VerifiedCache: Sendable {
        private let entries = Mutex<Set<String>>([])
        func contains(_ key: String) -> Bool { entries.withLock { $0.contains(key) } }
        func insert(_ key: String) {
            entries.withLock { set in
                if set.count > 1000 { set.removeAll() }
                set.insert(key)
            }
        }
    }
}
