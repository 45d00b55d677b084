import Foundation
import RestoreCheckTestSupport
import Testing

/// `restorecheck check` as Icinga, Checkmk or an RMM runs it: every exit code from a history that
/// real tests wrote (GNU tar, bzip3, sha256sum), the status line and its performance data.
@Suite("restorecheck check: the monitoring plugin")
struct MonitoringCheckCommandTests {
    func restorecheck(_ arguments: [String]) throws -> Shell.Result {
        try Shell.execute(BuiltBinary.path, arguments)
    }

    /// Five targets, four of them tested for real:
    /// - good: passes;
    /// - broken: its manifest disagrees with one file, so it fails;
    /// - flaky: passed on a tar.gz, then its newest archive is tar + bzip3 (unsupported_format: error);
    /// - aging: passed on an archive 25 hours old (RPO 26h here, 1h in the second config);
    /// - fresh: never tested.
    func makeHistory(_ temp: TemporaryDirectory) throws -> (config: String, strictConfig: String) {
        try Shell.run(
            """
            mkdir -p src/etc src/home flaky
            echo verifier > src/etc/hostname
            seq 1 20000 > src/home/numbers.txt
            (cd src && find . -type f -print0 | sort -z | xargs -0 sha256sum) > manifest
            tar -C src -czf good.tar.gz . && cp manifest good.tar.gz.sha256
            tar -C src -cf broken.tar . && sed -E "1s/^[0-9a-f]{64}/$(printf '0%.0s' $(seq 64))/" manifest > broken.tar.sha256
            tar -C src -czf flaky/a.tar.gz . && cp manifest flaky/a.tar.gz.sha256 && touch -d '-2 hours' flaky/a.tar.gz
            tar -C src -czf aging.tar.gz . && cp manifest aging.tar.gz.sha256 && touch -d '-25 hours' aging.tar.gz
            tar -C src -czf fresh.tar.gz . && cp manifest fresh.tar.gz.sha256
            """, in: temp.path)
        func config(agingRPO: String) -> String {
            """
            scratch_dir: scratch
            state_dir: state
            defaults: { rpo: 26h, rto: 4h, sample: { files: all } }
            targets:
              - { name: good, tenant: acme, archives: good.tar.gz, manifest: "{archive}.sha256" }
              - { name: broken, tenant: acme, archives: broken.tar, manifest: "{archive}.sha256" }
              - { name: flaky, tenant: globex, archives: "flaky/*[z3]", manifest: "{archive}.sha256" }
              - { name: aging, tenant: globex, archives: aging.tar.gz, manifest: "{archive}.sha256", rpo: \(agingRPO) }
              - { name: fresh, tenant: globex, archives: fresh.tar.gz, manifest: "{archive}.sha256" }

            """
        }
        let path = try temp.write("restorecheck.yaml", config(agingRPO: "26h"))
        let strict = try temp.write("strict.yaml", config(agingRPO: "1h"))
        let first = try restorecheck(["run", "--config", path, "good", "broken", "flaky", "aging", "--json"])
        #expect(first.status == 1, "broken fails, the rest pass: \(first.stderr)")
        // flaky's newest archive is now one restorecheck does not read: its test is an error.
        try Shell.run("tar -C src -cf - . | bzip3 > flaky/b.tar.bz3 && cp manifest flaky/b.tar.bz3.sha256", in: temp.path)
        let second = try restorecheck(["run", "--config", path, "flaky", "--json"])
        #expect(second.status == 3 && second.stdout.contains("unsupported_format"), "\(second.stdout)")
        return (path, strict)
    }

    @Test func eachStateHasItsExitCodeStatusLineAndPerformanceData() async throws {
        try await Blocking.run {
            let temp = TemporaryDirectory("check-plugin")
            let (config, strict) = try makeHistory(temp)

            let good = try restorecheck(["check", "--config", config, "--target", "good"])
            #expect(good.status == 0, "\(good.stdout)")
            #expect(good.stdout.range(of: #"^RESTORECHECK OK - acme/good: verified restore point \S+ old \(RPO 1d2h\) \| 'age'=\d+s;;93600;0\n$"#, options: .regularExpression) != nil, "\(good.stdout)")

            let broken = try restorecheck(["check", "--config", config, "--target", "broken"])
            #expect(broken.status == 2, "\(broken.stdout)")
            #expect(broken.stdout.hasPrefix("RESTORECHECK CRITICAL - acme/broken: never verified: no test has passed; last test failed (checksum_mismatch) | 'age'=U;;93600;0"), "\(broken.stdout)")

            let flaky = try restorecheck(["check", "--config", config, "--target", "flaky"])
            #expect(flaky.status == 1, "passed two hours ago, then could not tell: \(flaky.stdout)")
            #expect(flaky.stdout.hasPrefix("RESTORECHECK WARNING - globex/flaky: last test could not tell (unsupported_format) | 'age'="), "\(flaky.stdout)")

            let fresh = try restorecheck(["check", "--config", config, "--target", "fresh"])
            #expect(fresh.status == 2, "\(fresh.stdout)")
            #expect(fresh.stdout.hasPrefix("RESTORECHECK CRITICAL - globex/fresh: never verified: no test has passed; not tested yet |"), "\(fresh.stdout)")

            // The same history under a 1 h RPO: the verified restore point (25 h old) breaches it.
            let aging = try restorecheck(["check", "--config", strict, "--target", "aging"])
            #expect(aging.status == 2, "\(aging.stdout)")
            #expect(aging.stdout.contains("globex/aging: verified restore point 1d1h old, over the RPO of 1h0m"), "\(aging.stdout)")
            #expect(aging.stdout.range(of: #"'age'=9\d{4}s;;3600;0"#, options: .regularExpression) != nil, "\(aging.stdout)")

            // All targets: the worst state, the counts, the worst targets named, then a line each.
            let all = try restorecheck(["check", "--config", config])
            #expect(all.status == 2, "\(all.stdout)")
            let lines = all.stdout.split(separator: "\n").map(String.init)
            #expect(lines.first?.hasPrefix("RESTORECHECK CRITICAL - 5 targets: 2 critical, 1 warning, 2 ok (acme/broken, globex/fresh) | ") == true, "\(all.stdout)")
            #expect(lines.first?.contains("'acme/good age'=") == true && lines.first?.contains("'globex/fresh age'=U;;93600;0") == true, "\(all.stdout)")
            #expect(lines.dropFirst().map { $0.components(separatedBy: ": ").prefix(2).joined(separator: ": ") } == [
                "acme/broken: CRITICAL", "globex/fresh: CRITICAL", "globex/flaky: WARNING", "acme/good: OK", "globex/aging: OK",
            ], "\(all.stdout)")

            let globex = try restorecheck(["check", "--config", config, "--tenant", "globex"])
            #expect(globex.status == 2 && globex.stdout.hasPrefix("RESTORECHECK CRITICAL - 3 targets: 1 critical, 1 warning, 1 ok (globex/fresh)"), "\(globex.stdout)")
            #expect(!globex.stdout.contains("acme/"), "\(globex.stdout)")
        }
    }

    /// The check's own failures are UNKNOWN (3), never the usage exit (2) a monitoring system reads
    /// as CRITICAL: an unknown target, a bad option, a config or history it cannot read.
    @Test func theChecksOwnFailuresAreUnknown() async throws {
        try await Blocking.run {
            let temp = TemporaryDirectory("check-plugin-unknown")
            let config = try temp.write(
                "restorecheck.yaml",
                """
                scratch_dir: scratch
                state_dir: state
                targets:
                  - { name: good, tenant: acme, archives: good.tar.gz, rpo: 26h, rto: 4h }

                """)
            let noHistory = try restorecheck(["check", "--config", config])
            #expect(noHistory.status == 3 && noHistory.stdout.hasPrefix("RESTORECHECK UNKNOWN - no readable history at "), "\(noHistory.stdout)")
            let noTarget = try restorecheck(["check", "--config", config, "--target", "nosuch"])
            #expect(noTarget.status == 3 && noTarget.stdout == "RESTORECHECK UNKNOWN - no target matches target 'nosuch'\n", "\(noTarget.stdout)")
            let badOption = try restorecheck(["check", "--config", config, "--bogus"])
            #expect(badOption.status == 3 && badOption.stdout.hasPrefix("RESTORECHECK UNKNOWN - "), "\(badOption.stdout) \(badOption.stderr)")
            let badConfig = try restorecheck(["check", "--config", try temp.write("bad.yaml", "targets: [ {")])
            #expect(badConfig.status == 3 && badConfig.stdout.hasPrefix("RESTORECHECK UNKNOWN - config error: "), "\(badConfig.stdout)")
        }
    }
}
