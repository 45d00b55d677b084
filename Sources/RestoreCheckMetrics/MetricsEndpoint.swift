import Foundation
import Hummingbird
import HummingbirdCore
import HummingbirdTLS
import Logging
import NIOCore
import NIOSSL

/// The HTTP face of the daemon: `GET /metrics` (Prometheus text format 0.0.4, gzip when asked) and
/// `GET /` (a landing page). It only serialises the registry: no restore work ever happens in a
/// scrape, so a scrape is fast whatever the tests are doing.
public enum MetricsEndpoint {
    public static let contentType = "text/plain; version=0.0.4; charset=utf-8"

    /// Limits that keep a slow or abusive client from starving the endpoint. A scrape is one small
    /// GET; nothing legitimate comes close to these.
    public enum Limits {
        public static let maxConnections = 64
        public static let requestHeadTimeout = TimeAmount.seconds(10)
        public static let idleTimeout = TimeAmount.seconds(60)
        public static let maxHeaderBytes = 16 * 1024
        public static let maxHeaderFields = 64
    }

    /// The routes, separate from the server so tests can reuse them.
    public static func router(
        metrics: OutcomeMetrics, basicAuthUsers: [String: String] = [:], tenantUsers: [String: Set<String>] = [:],
        reports: (any ReportPages)? = nil
    ) -> Router<BasicRequestContext> {
        let router = Router()
        if !basicAuthUsers.isEmpty { router.add(middleware: BasicAuthMiddleware(users: basicAuthUsers, tenantUsers: tenantUsers)) }
        let metricsHandler: @Sendable (Request, BasicRequestContext) async throws -> Response = { request, _ in
            var headers: HTTPFields = [.contentType: contentType, .vary: "Accept-Encoding"]
            let body = metrics.render(gzip: acceptsGzip(request.headers[.acceptEncoding]))
            if body.gzipped { headers[.contentEncoding] = "gzip" }
            return Response(status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: body.bytes)))
        }
        router.get("/metrics", use: metricsHandler)
        router.head("/metrics", use: metricsHandler)
        if let reports { ReportRoutes.add(to: router, pages: reports) }
        router.get("/") { _, _ -> Response in
            let page = """
                <!DOCTYPE html>
                <html><head><meta charset="utf-8"><title>restorecheck</title></head>
                <body><h1>restorecheck</h1>
                <p>Proves backups can be restored: intact, within RTO, within RPO.</p>
                <ul><li><a href="/metrics">Metrics</a></li><li><a href="/reports/">Reports</a> (when report.serve is on)</li></ul>
                </body></html>

                """
            return Response(
                status: .ok, headers: [.contentType: "text/html; charset=utf-8"],
                body: .init(byteBuffer: ByteBuffer(string: page)))
        }
        return router
    }

    /// `gzip` listed in Accept-Encoding with a non-zero q-value.
    static func acceptsGzip(_ header: String?) -> Bool {
        guard let header else { return false }
        for item in header.split(separator: ",") {
            let parts = item.split(separator: ";").map { $0.trimmingCharacters(in: .whitespaces) }
            guard parts.first?.lowercased() == "gzip" || parts.first == "*" else { continue }
            let quality = parts.dropFirst().first { $0.hasPrefix("q=") }.flatMap { Double($0.dropFirst(2)) } ?? 1
            return quality > 0
        }
        return false
    }

    /// A web config that must not be used as it stands.
    public struct SecurityError: Error, CustomStringConvertible {
        public var description: String
        public init(description: String) { self.description = description }
    }

    /// Refuses basic auth without TLS on a non-loopback address: the password would cross the
    /// network in clear text on every scrape.
    public static func validate(_ web: WebConfig?, addresses: [ListenAddress]) throws(SecurityError) {
        guard let web, !web.basicAuthUsers.isEmpty, web.tls == nil else { return }
        if let exposed = addresses.first(where: { !$0.isLoopback }) {
            throw SecurityError(description: "basic_auth_users without tls_server_config on \(exposed): passwords would cross the network in clear text; add TLS or listen on loopback")
        }
    }

    /// The listen address through which served reports would be open to anyone: a non-loopback one
    /// when no basic auth is configured. Reports are one customer's data; they are not served there.
    public static func reportsExposed(_ web: WebConfig?, addresses: [ListenAddress]) -> ListenAddress? {
        guard web?.basicAuthUsers.isEmpty != false else { return nil }
        return addresses.first { !$0.isLoopback }
    }

    /// NIOSSL's server configuration from the web config: TLS 1.2 at least, client certificates
    /// verified against `client_ca_file` when asked for.
    static func tlsConfiguration(_ tls: WebConfig.TLS) throws -> TLSConfiguration {
        let chain: [NIOSSLCertificate]
        let key: NIOSSLPrivateKey
        do { chain = try NIOSSLCertificate.fromPEMFile(tls.certFile) } catch {
            throw SecurityError(description: "tls_server_config.cert_file \(tls.certFile): cannot load a PEM certificate (\(error))")
        }
        do { key = try NIOSSLPrivateKey(file: tls.keyFile, format: .pem) } catch {
            throw SecurityError(description: "tls_server_config.key_file \(tls.keyFile): cannot load a PEM private key (\(error))")
        }
        if let caFile = tls.clientCAFile, (try? NIOSSLCertificate.fromPEMFile(caFile)) == nil {
            throw SecurityError(description: "tls_server_config.client_ca_file \(caFile): cannot load PEM certificates")
        }
        var configuration = TLSConfiguration.makeServerConfiguration(
            certificateChain: chain.map { .certificate($0) }, privateKey: .privateKey(key))
        configuration.minimumTLSVersion = tls.minVersion == .tls13 ? .tlsv13 : .tlsv12
        if let caFile = tls.clientCAFile, tls.clientAuth != .none {
            configuration.trustRoots = .file(caFile)
            configuration.certificateVerification = tls.clientAuth == .requireAndVerify ? .noHostnameVerification : .optionalVerification
        }
        return configuration
    }

    /// One HTTP(S) server on `address`; `onRunning` is called once the port is bound (for `READY=1`).
    public static func application(
        metrics: OutcomeMetrics, address: ListenAddress, web: WebConfig? = nil, reports: (any ReportPages)? = nil, logger: Logger,
        onRunning: @escaping @Sendable (Int) async -> Void = { _ in }
    ) throws -> some ApplicationProtocol {
        let http1 = HTTPServerBuilder.http1(
            configuration: .init(
                additionalChannelHandlers: [RequestHeadTimeout(timeout: Limits.requestHeadTimeout)],
                idleTimeout: Limits.idleTimeout,
                httpDecoderConfiguration: .init(
                    maxHeaderFieldSize: Limits.maxHeaderBytes, maxHeaderListSize: Limits.maxHeaderBytes,
                    maxHeaderFieldCount: Limits.maxHeaderFields)))
        let server = try web?.tls.map { try HTTPServerBuilder.tls(http1, tlsConfiguration: try tlsConfiguration($0)) } ?? http1
        return Application(
            router: router(
                metrics: metrics, basicAuthUsers: web?.basicAuthUsers ?? [:], tenantUsers: web?.tenantUsers ?? [:], reports: reports),
            server: server,
            configuration: .init(
                address: .hostname(address.host, port: address.port), serverName: "restorecheck",
                availableConnectionsDelegate: MaximumAvailableConnections(Limits.maxConnections)),
            onServerRunning: { channel in await onRunning(channel.localAddress?.port ?? address.port) },
            logger: logger)
    }
}
