import Foundation
import Hummingbird
import Logging

/// The HTTP face of the daemon: `GET /metrics` (Prometheus text format 0.0.4, gzip when asked) and
/// `GET /` (a landing page). It only serialises the registry: no restore work ever happens in a
/// scrape, so a scrape is fast whatever the tests are doing.
public enum MetricsEndpoint {
    public static let contentType = "text/plain; version=0.0.4; charset=utf-8"

    /// The routes, separate from the server so tests can reuse them.
    public static func router(metrics: OutcomeMetrics) -> Router<BasicRequestContext> {
        let router = Router()
        let metricsHandler: @Sendable (Request, BasicRequestContext) async throws -> Response = { request, _ in
            let body = metrics.exposition()
            var headers: HTTPFields = [.contentType: contentType]
            if acceptsGzip(request.headers[.acceptEncoding]), let compressed = try? Gzip.compress(body) {
                headers[.contentEncoding] = "gzip"
                headers[.vary] = "Accept-Encoding"
                return Response(status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: compressed)))
            }
            return Response(status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: body)))
        }
        router.get("/metrics", use: metricsHandler)
        router.head("/metrics", use: metricsHandler)
        router.get("/") { _, _ -> Response in
            let page = """
                <!DOCTYPE html>
                <html><head><meta charset="utf-8"><title>restorecheck</title></head>
                <body><h1>restorecheck</h1>
                <p>Proves backups can be restored: intact, within RTO, within RPO.</p>
                <ul><li><a href="/metrics">Metrics</a></li></ul>
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

    /// One HTTP server on `address`; `onRunning` is called once the port is bound (for `READY=1`).
    public static func application(
        metrics: OutcomeMetrics, address: ListenAddress, logger: Logger,
        onRunning: @escaping @Sendable (Int) async -> Void = { _ in }
    ) -> some ApplicationProtocol {
        Application(
            router: router(metrics: metrics),
            configuration: .init(address: .hostname(address.host, port: address.port), serverName: "restorecheck"),
            onServerRunning: { channel in await onRunning(channel.localAddress?.port ?? address.port) },
            logger: logger)
    }
}
