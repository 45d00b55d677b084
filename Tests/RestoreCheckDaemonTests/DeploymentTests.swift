import Foundation
import RestoreCheckTestSupport
import Testing

/// The shipped operations files: alert rules, systemd units.
@Suite("Deployment files")
struct DeploymentTests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().path

    @Test func alertRulesPassTheirPromtoolUnitTests() async throws {
        try await Blocking.run {
            let result = try Shell.execute(
                "/usr/bin/promtool", ["test", "rules", "restorecheck-alerts.test.yml"], in: "\(Self.root)/config/prometheus")
            #expect(result.status == 0, "\(result.stdout)\(result.stderr)")
            #expect(result.stdout.contains("SUCCESS"))
        }
    }

    @Test(arguments: ["restorecheck.service", "restorecheck-run@.service"])
    func unitsAreHardenedToAnExposureOfAtMostTwo(unit: String) throws {
        // --threshold is exposure × 10: 20 means "fail above 2.0".
        let result = try Shell.execute(
            "/usr/bin/systemd-analyze", ["security", "--offline=yes", "--threshold=20", "\(Self.root)/systemd/\(unit)"])
        let summary = result.stdout.split(separator: "\n").last.map(String.init) ?? result.stderr
        #expect(result.status == 0, "\(summary)")
        let exposure = summary.split(separator: " ").compactMap { Double($0) }.first
        #expect(exposure != nil && exposure! <= 2.0, "\(summary)")
    }

    /// The drop-in for validation commands, merged as systemd merges it (a `.d` directory beside the
    /// unit): it opens what bubblewrap needs, and the service stays "OK" (exposure at most 2.5).
    @Test(arguments: ["restorecheck.service", "restorecheck-run@.service"])
    func theValidationCommandsDropInOpensOnlyWhatBubblewrapNeeds(unit: String) throws {
        let temp = TemporaryDirectory("dropin")
        try FileManager.default.copyItem(atPath: "\(Self.root)/systemd/\(unit)", toPath: temp.url(unit))
        try FileManager.default.createDirectory(atPath: temp.url("\(unit).d"), withIntermediateDirectories: true)
        try FileManager.default.copyItem(atPath: "\(Self.root)/systemd/validation-commands.conf", toPath: temp.url("\(unit).d/validation-commands.conf"))
        let result = try Shell.execute("/usr/bin/systemd-analyze", ["security", "--offline=yes", "--threshold=25", temp.url(unit)])
        let lines = result.stdout.split(separator: "\n").map(String.init)
        let summary = lines.last ?? result.stderr
        #expect(result.status == 0, "\(summary)")
        let exposure = summary.split(separator: " ").compactMap { Double($0) }.first ?? 99
        let base = try Shell.execute("/usr/bin/systemd-analyze", ["security", "--offline=yes", "\(Self.root)/systemd/\(unit)"])
        let baseExposure = base.stdout.split(separator: "\n").last?.split(separator: " ").compactMap { Double($0) }.first ?? 0
        #expect(exposure <= 2.5 && exposure > baseExposure, "merged: \(summary); alone: \(baseExposure)")
        // The drop-in took effect: user namespaces and netlink are now allowed, and nothing else changed class.
        #expect(lines.contains { $0.hasPrefix("✗ RestrictNamespaces=~user") }, "\(result.stdout)")
        #expect(lines.contains { $0.hasPrefix("✗ RestrictAddressFamilies=~AF_NETLINK") })
        #expect(lines.contains { $0.hasPrefix("✓ NoNewPrivileges=") } && lines.contains { $0.hasPrefix("✓ CapabilityBoundingSet=") })
    }

    /// The object-storage drop-in gives both units the network (s3: targets) and nothing else: the
    /// merged unit stays "OK" (exposure at most 2.0), and it is the network that changed.
    @Test(arguments: ["restorecheck.service", "restorecheck-run@.service"])
    func theObjectStorageDropInOpensOnlyTheNetwork(unit: String) throws {
        let temp = TemporaryDirectory("dropin-s3")
        try FileManager.default.copyItem(atPath: "\(Self.root)/systemd/\(unit)", toPath: temp.url(unit))
        try FileManager.default.createDirectory(atPath: temp.url("\(unit).d"), withIntermediateDirectories: true)
        try FileManager.default.copyItem(atPath: "\(Self.root)/systemd/object-storage.conf", toPath: temp.url("\(unit).d/object-storage.conf"))
        let result = try Shell.execute("/usr/bin/systemd-analyze", ["security", "--offline=yes", "--threshold=20", temp.url(unit)])
        let lines = result.stdout.split(separator: "\n").map(String.init)
        let summary = lines.last ?? result.stderr
        #expect(result.status == 0, "\(summary)")
        #expect(lines.contains { $0.hasPrefix("✗ PrivateNetwork=") } && lines.contains { $0.hasPrefix("✗ IPAddressDeny=") }, "\(result.stdout)")
        #expect(lines.contains { $0.hasPrefix("✓ NoNewPrivileges=") } && lines.contains { $0.hasPrefix("✓ CapabilityBoundingSet=") })
        #expect(lines.contains { $0.hasPrefix("✓ RestrictAddressFamilies=~AF_NETLINK") }, "no netlink for this one")
    }

    @Test func unitsNameTheBinaryAndConfigThatMakeInstallPlaces() async throws {
        try await Blocking.run {
            let service = try String(contentsOfFile: "\(Self.root)/systemd/restorecheck.service", encoding: .utf8)
            #expect(service.contains("ExecStart=/usr/local/bin/restorecheck serve --config /etc/restorecheck/restorecheck.yaml"))
            #expect(service.contains("Type=notify"))
            #expect(service.contains("ExecReload=/bin/kill -HUP $MAINPID"))
            let makefile = try String(contentsOfFile: "\(Self.root)/Makefile", encoding: .utf8)
            #expect(makefile.contains("$(DESTDIR)$(PREFIX)/bin/restorecheck"))
            #expect(makefile.contains("$(DESTDIR)/etc/restorecheck/restorecheck.yaml"))
        }
    }
}
