import Foundation
import Logging
import RestoreCheckCore
import RestoreCheckMetrics
import RestoreCheckStore
import ServiceLifecycle
import Synchronization

/// Wires `restorecheck serve`: the services, in the order they start (they stop in reverse, so the
/// scheduler stops its tests while the metrics endpoint still answers).
///
/// A function separate from the command so tests build the same daemon and run it in-process.
public enum Daemon {
    /// Loads history, seeds the metrics and returns the service group to run.
    public static func makeServiceGroup(
        context: DaemonContext, listenAddresses: [ListenAddress], web: WebConfig? = nil,
        onListening: @escaping @Sendable ([Int]) async -> Void = { _ in }
    ) async throws -> ServiceGroup {
        try MetricsEndpoint.validate(web, addresses: listenAddresses)
        let exposed = MetricsEndpoint.reportsExposed(web, addresses: listenAddresses)
        if context.config.report.serve, let exposed {
            throw MetricsEndpoint.SecurityError(
                description: "report.serve on \(exposed) without basic_auth_users: every customer's report would be readable by anyone who can reach the port; add basic auth (and TLS) in --web.config.file, or listen on loopback")
        }
        // The targets this host tests: in a fleet each target's series come from the one host that
        // tests it, so an alert fires once per target, not once per host (README "Fleet").
        context.metrics.configure(targets: context.config.targetsTestedHere, seeds: try await context.seeds())
        context.metrics.configLoaded(successfully: true, at: context.now())
        if let aside = (context.store as? HistoryStore)?.quarantinedPath {
            context.logger.critical("history database was damaged; moved aside to \(aside) and a fresh one started")
        }
        let bound = BoundPorts(expected: listenAddresses.count)
        // One for every listener: reports render one at a time on its thread, whichever address asked.
        let reports = DaemonReportPages(context: context, exposedAt: exposed)
        let servers: [any Service] = try listenAddresses.enumerated().map { index, address in
            try MetricsEndpoint.application(
                metrics: context.metrics, address: address, web: web, reports: reports,
                logger: context.logger
            ) { port in
                if let ports = bound.add(index: index, port: port) {
                    // Every port is bound: now systemd may consider us started.
                    context.logger.notice("metrics endpoint listening", metadata: [
                        "addresses": "\(zip(listenAddresses, ports).map { "\($0.host):\($1)" }.joined(separator: ","))",
                    ])
                    context.notifier.ready(status: "serving metrics on \(ports.map(String.init).joined(separator: ", ")); \(context.config.targets.count) target(s)")
                    await onListening(ports)
                }
            }
        }
        // A shared history's heartbeat (a service that ends would stop the group: added only then).
        let fleet: [ServiceGroupConfiguration.ServiceConfiguration] =
            (context.store as? any FleetRegistry).map { [.init(service: FleetHeartbeatService(context: context, registry: $0))] } ?? []
        return ServiceGroup(
            configuration: .init(
                services: servers.map { .init(service: $0) } + [
                    // A shared history's queue decides what this host tests; else its own schedule.
                    .init(service: (context.store as? any FleetQueue).map { FleetSchedulerService(context: context, queue: $0) as any Service }
                        ?? SchedulerService(context: context)),
                    .init(service: ReloadService(context: context)),
                    .init(service: NotificationService(context: context)),
                    .init(service: ReportDeliveryService(context: context)),
                ] + fleet,
                gracefulShutdownSignals: [.sigterm, .sigint],
                logger: context.logger))
    }
}

/// Tracks bound listeners so `READY=1` is sent exactly once, after the last one. Keyed by listener:
/// Hummingbird may report a running server more than once, and a count would then fire early.
final class BoundPorts: Sendable {
    private let state: Mutex<(ports: [Int: Int], announced: Bool)>
    private let expected: Int

    init(expected: Int) {
        self.expected = expected
        state = Mutex(([:], false))
    }

    /// Records listener `index` as bound to `port`; returns every port the first time all are bound.
    func add(index: Int, port: Int) -> [Int]? {
        state.withLock { state in
            state.ports[index] = port
            guard state.ports.count == expected, !state.announced else { return nil }
            state.announced = true
            return state.ports.sorted { $0.key < $1.key }.map(\.value)
        }
    }
}
