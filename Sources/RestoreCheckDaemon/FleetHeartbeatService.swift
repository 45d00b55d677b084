import Foundation
import Logging
import RestoreCheckCore
import ServiceLifecycle

/// In a fleet (a shared PostgreSQL history), every `NodeBeat.interval` (or third of `fleet.lease`,
/// if shorter): records this host's heartbeat for `fleet status`; says in the log when another live
/// host reads a different target list (the fleet would then disagree on what it tests); refreshes
/// the targets' outcome series from the shared history, so every node serving a target exports the
/// fleet's newest outcome for it (the alert rules aggregate them: one alert per target). Run only
/// with a shared history (PostgreSQL).
struct FleetHeartbeatService: Service {
    let context: DaemonContext
    let registry: any FleetRegistry

    func run() async throws {
        let started = context.now()
        await cancelWhenGracefulShutdown {
            var reported: Set<String> = []
            while !Task.isCancelled {
                let config = context.config
                let now = context.now()
                do {
                    try await registry.beat(
                        NodeBeat(
                            node: config.nodeName, version: context.version, targetsDigest: config.targetsDigest,
                            locations: config.fleet.locations, started: started, lastSeen: now))
                    let view = FleetView(beats: try await registry.nodes(), config: config, now: now)
                    let differing = Set(view.hosts.filter { $0.live && $0.configDiffers }.map(\.beat.node))
                    for node in differing.subtracting(reported).sorted() {
                        context.logger.warning("fleet: host \(node) reads a different target list than this host (config drift): check that every host has the same targets")
                    }
                    reported = differing
                    context.metrics.fleetNode(config.nodeName).beat()
                    // Every node serving a target shows the fleet's newest outcome, whoever tested it.
                    context.metrics.refresh(seeds: try await context.seeds())
                } catch {
                    context.metrics.fleetNode(config.nodeName).databaseError()
                    context.logger.error("fleet: cannot record this host's heartbeat: \(error)")
                }
                try? await Task.sleep(for: .seconds(min(NodeBeat.interval, config.fleet.lease.seconds / 3)))
            }
        }
    }
}
