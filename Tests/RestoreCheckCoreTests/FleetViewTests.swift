import Foundation
import Testing

@testable import RestoreCheckCore

/// `fleet status`'s rules: which hosts are live, whose target list differs, which targets no live
/// host tests.
@Suite("Fleet view: live hosts, config drift, unserved targets")
struct FleetViewTests {
    let config = try! parseConfig(
        """
        defaults: { rpo: 26h, rto: 4h }
        targets:
          - { name: fra-fs, tenant: acme, archives: /b/fs.tar, location: fra1 }
          - { name: ams-db, tenant: acme, archives: /b/db.tar, location: ams1 }
          - { name: anywhere, tenant: initech, archives: /b/x.tar }
        """)
    let now = Date(timeIntervalSince1970: 1_800_000_000)

    func beat(_ node: String, _ locations: [String]?, secondsAgo: Double, digest: String? = nil) -> NodeBeat {
        NodeBeat(
            node: node, version: "0.9.0", targetsDigest: digest ?? config.targetsDigest, locations: locations,
            started: now.addingTimeInterval(-3_600), lastSeen: now.addingTimeInterval(-secondsAgo))
    }

    @Test func aLocationWhoseHostWentSilentIsUnserved() {
        let view = FleetView(
            beats: [beat("fra", ["fra1"], secondsAgo: 10), beat("ams", ["ams1"], secondsAgo: NodeBeat.staleAfter + 1), beat("all", nil, secondsAgo: 5)],
            config: config, now: now)
        #expect(view.hosts.map(\.beat.node) == ["all", "ams", "fra"])
        #expect(view.hosts.map(\.live) == [true, false, true])
        #expect(view.unserved.isEmpty, "a host without locations tests every target, ams1's included")
        let located = FleetView(beats: [beat("fra", ["fra1"], secondsAgo: 10), beat("ams", ["ams1"], secondsAgo: NodeBeat.staleAfter + 1)], config: config, now: now)
        #expect(located.unserved == ["ams-db"], "ams1's host went silent; a target without a location runs on any live host")
    }

    @Test func withoutALiveHostEveryTargetIsUnserved() {
        let view = FleetView(beats: [beat("fra", ["fra1"], secondsAgo: NodeBeat.staleAfter + 1)], config: config, now: now)
        #expect(view.unserved == ["fra-fs", "ams-db", "anywhere"])
    }

    @Test func aHostReadingOtherTargetsIsFlagged() throws {
        var other = config
        other.targets[0].rpo = TimeSpan(seconds: 3_600)
        #expect(other.targetsDigest != config.targetsDigest, "an objective is part of what hosts must agree on")
        var moved = config
        moved.stateDirectory = "/elsewhere"
        moved.fleet = FleetSettings(node: "x", locations: ["fra1"])
        #expect(moved.targetsDigest == config.targetsDigest, "host-local keys are not")
        let view = FleetView(beats: [beat("old", nil, secondsAgo: 0, digest: other.targetsDigest)], config: config, now: now)
        #expect(view.hosts.first?.configDiffers == true)
    }
}
