import Foundation
import Prometheus

/// One fleet node's own series (README "Fleet"), labelled with the node's name: what it runs and
/// how its queue work goes. The targets' outcome series are the fleet's (`OutcomeMetrics.refresh`);
/// these say which node is healthy.
public final class FleetNodeMetrics: Sendable {
    private let running: Gauge
    private let claims: Counter
    private let heartbeats: Counter
    private let fencedWrites: Counter
    private let leasesLost: Counter
    private let databaseErrors: Counter
    private let planner: Gauge
    private let changed: @Sendable () -> Void

    init(registry: PrometheusCollectorRegistry, node: String, changed: @escaping @Sendable () -> Void) {
        let labels = [("node", node)]
        func descriptor(_ name: String, _ unit: String, _ help: String) -> MetricNameDescriptor {
            MetricNameDescriptor(namespace: "restorecheck", subsystem: "fleet_node", metricName: name, unitName: unit, helpText: help)
        }
        running = registry.makeGauge(descriptor: descriptor("running", "tests", "Tests this node is running now."), labels: labels)
        claims = registry.makeCounter(descriptor: descriptor("claims", "total", "Jobs this node claimed from the fleet's queue."), labels: labels)
        heartbeats = registry.makeCounter(descriptor: descriptor("heartbeats", "total", "Heartbeats this node recorded in the fleet's history."), labels: labels)
        fencedWrites = registry.makeCounter(
            descriptor: descriptor("fenced_writes", "total", "Results refused because this node had lost the job's lease (nothing of them was written)."),
            labels: labels)
        leasesLost = registry.makeCounter(
            descriptor: descriptor("leases_lost", "total", "Running tests stopped because their lease was lost or could not be renewed."), labels: labels)
        databaseErrors = registry.makeCounter(
            descriptor: descriptor("database_errors", "total", "Queue or heartbeat calls that failed after their retries."), labels: labels)
        planner = registry.makeGauge(descriptor: descriptor("planner", "info", "1 while this node holds the planner's lock."), labels: labels)
        self.changed = changed
        running.set(to: 0.0)
        planner.set(to: 0.0)
    }

    public func setRunning(_ count: Int) { update { running.set(to: Double(count)) } }
    public func claimed(_ count: Int) { update { claims.increment(by: Int64(count)) } }
    public func beat() { update { heartbeats.increment() } }
    public func fenced() { update { fencedWrites.increment() } }
    public func leaseLost() { update { leasesLost.increment() } }
    public func databaseError() { update { databaseErrors.increment() } }
    public func setPlanner(_ holds: Bool) { update { planner.set(to: holds ? 1.0 : 0.0) } }

    private func update(_ body: () -> Void) {
        body()
        changed()
    }
}
