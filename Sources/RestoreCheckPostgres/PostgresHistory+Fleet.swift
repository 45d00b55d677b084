import Foundation
import PostgresNIO
import RestoreCheckCore

/// The fleet's heartbeats in PostgreSQL (`FleetRegistry`). `locations` is stored as one
/// comma-separated text (location names are identifiers: no comma), NULL for "every target".
extension PostgresHistory: FleetRegistry {
    public func beat(_ beat: NodeBeat) async throws {
        try await execute(
            """
            INSERT INTO fleet_node (node, version, targets_digest, locations, started, last_seen)
            VALUES (\(beat.node), \(beat.version), \(beat.targetsDigest), \(beat.locations?.joined(separator: ",")),
              \(beat.started.timeIntervalSince1970), \(beat.lastSeen.timeIntervalSince1970))
            ON CONFLICT (node) DO UPDATE SET version = excluded.version, targets_digest = excluded.targets_digest,
              locations = excluded.locations, started = excluded.started, last_seen = excluded.last_seen
            """)
    }

    public func nodes() async throws -> [NodeBeat] {
        try await rows("SELECT * FROM fleet_node ORDER BY node").map { row in
            NodeBeat(
                node: try row.required("node", row.text, in: "fleet_node"), version: row.text("version") ?? "",
                targetsDigest: row.text("targets_digest") ?? "",
                locations: row.text("locations").map { $0.split(separator: ",").map(String.init) },
                started: try row.required("started", row.date, in: "fleet_node"),
                lastSeen: try row.required("last_seen", row.date, in: "fleet_node"))
        }
    }
}
