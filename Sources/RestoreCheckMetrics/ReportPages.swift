import Foundation
import Hummingbird
import NIOCore

/// The reports `serve` publishes at `/reports/` and `/reports/<tenant>`, on the metrics listener.
/// The daemon implements it over the history and the live config; the endpoint only routes.
public protocol ReportPages: Sendable {
    /// The tenants whose reports are served; nil when `report.serve` is off (the routes answer 404).
    func tenants() -> [String]?
    /// The HTML report of `tenant` (one of `tenants()`), over `period` (e.g. `90d`) or the configured
    /// one, in the pieces it was rendered in (sent one after another, never joined). Rendering is CPU
    /// work: implementations run it off the event loops and the cooperative pool.
    func report(tenant: String, period: String?) async throws -> [String]
    /// The `/reports/` page listing `tenants`.
    func index(tenants: [String]) -> String
}

/// Routes for `ReportPages`.
enum ReportRoutes {
    static let html = "text/html; charset=utf-8"

    static func add(to router: Router<BasicRequestContext>, pages: any ReportPages) {
        router.get("/reports/") { _, _ -> Response in
            guard let tenants = pages.tenants() else { return Response(status: .notFound) }
            return page([pages.index(tenants: tenants)])
        }
        router.get("/reports/{tenant}") { request, context -> Response in
            // The name is only ever compared with the config's tenants, never used as a path.
            guard let tenants = pages.tenants(), let tenant = context.parameters.get("tenant"), tenants.contains(tenant) else {
                return Response(status: .notFound)
            }
            let period = request.uri.queryParameters.get("since")
            do {
                return page(try await pages.report(tenant: tenant, period: period))
            } catch let error as ReportPageError {
                return Response(status: .badRequest, headers: [.contentType: "text/plain; charset=utf-8"],
                                body: .init(byteBuffer: ByteBuffer(string: error.message + "\n")))
            }
        }
    }

    private static func page(_ pieces: [String]) -> Response {
        let length = pieces.reduce(0) { $0 + $1.utf8.count }
        return Response(
            status: .ok,
            headers: [.contentType: Self.html, .cacheControl: "no-store", .init("X-Content-Type-Options")!: "nosniff"],
            body: ResponseBody(contentLength: length) { writer in
                for piece in pieces { try await writer.write(ByteBuffer(string: piece)) }
                try await writer.finish(nil)
            })
    }
}

/// A report request the server cannot answer as asked (a bad `since`): 400 with the message.
public struct ReportPageError: Error {
    public var message: String
    public init(_ message: String) { self.message = message }
}
