import Foundation
import RestoreCheckTestSupport
import Testing

@testable import RestoreCheckCore

/// Parses `text` as `/etc/restorecheck/rc.yaml` (relative paths resolve against `/etc/restorecheck`).
func parseConfig(_ text: String) throws(ConfigError) -> Config {
    try ConfigLoader().parse(text, file: "/etc/restorecheck/rc.yaml", baseDirectory: "/etc/restorecheck")
}

@Suite("Config: the contract keys, inheritance, located errors")
struct ConfigLoaderTests {
    let loader = ConfigLoader()

    func parse(_ text: String) throws(ConfigError) -> Config {
        try loader.parse(text, file: "/etc/restorecheck/rc.yaml", baseDirectory: "/etc/restorecheck")
    }

    func loadError(_ text: String) -> ConfigError? {
        do {
            _ = try parse(text)
            return nil
        } catch {
            return error
        }
    }

    @Test func theIssueExampleLoadsWithInheritance() throws {
        let config = try parse(
            """
            scratch_dir: /var/cache/restorecheck
            state_dir: /var/lib/restorecheck
            defaults:
              sample: { files: 20 }
              rpo: 26h
              rto: 4h
            targets:
              - name: fileserver
                tenant: acme
                archives: /srv/backups/acme/fileserver-*.tar.gz
                manifest: "{archive}.sha256"
                rpo: 26h
                rto: 2h
                sample: { files: 50, include: [ "etc/hostname" ] }
              - name: mail
                tenant: acme
                archives: backups/mail-*.zip
                sample: { bytes: 2GiB }
                limits: { timeout: 30m, max_ratio: 50 }
            """)
        #expect(config.scratchDirectory == "/var/cache/restorecheck")
        #expect(config.targets.count == 2)
        let fileserver = config.targets[0]
        #expect(fileserver.rto.seconds == 7200)
        #expect(fileserver.rpo.seconds == 93_600)
        #expect(fileserver.sample.size == .files(50))
        #expect(fileserver.sample.include == ["etc/hostname"])
        #expect(fileserver.manifestPath(forArchive: "/srv/b/x.tar.gz") == "/srv/b/x.tar.gz.sha256")
        let mail = config.targets[1]
        #expect(mail.rto.seconds == 14_400, "inherited from defaults")
        #expect(mail.manifestTemplate == nil, "integrity only")
        #expect(mail.archiveGlob == "/etc/restorecheck/backups/mail-*.zip", "relative to the config file")
        #expect(mail.sample.size == .bytes(2 << 30))
        #expect(mail.limits.timeout.seconds == 1800)
        #expect(mail.limits.maxRatio == 50)
        #expect(mail.limits.maxEntries == RestoreLimits().maxEntries, "unset limits keep their defaults")
    }

    @Test func theShippedExampleConfigIsValid() throws {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        for file in ["config/restorecheck.example.yaml", "config/demo/restorecheck.yaml"] {
            let config = try loader.load(path: root.appendingPathComponent(file).path)
            #expect(!config.targets.isEmpty, "\(file)")
        }
    }

    @Test func notificationsAndDeliveriesAreRead() throws {
        let config = try loader.parse(
            """
            defaults: { rpo: 1h, rto: 1h }
            targets:
              - { name: fs, tenant: acme, archives: /x }
              - { name: db, tenant: globex, archives: /y }
            smtp: { server: "mail.msp.example:587", username: rc, password_file: smtp.pass, from: "rc@msp.example" }
            notify:
              - name: psa
                webhook: { url: "https://psa.msp.example/hook", secret_file: hook.key }
                tenants: [ acme ]
                kinds: [ failed_test, rpo_breach ]
              - { name: noc, email: { to: [ "noc@msp.example" ], digest: daily }, only: breaches }
            reports:
              deliver:
                - { tenant: globex, to: [ "cfo@globex.example" ], schedule: "weekly mon 07:30 UTC", format: html, only: breaches }
            """, file: "/etc/restorecheck/rc.yaml", baseDirectory: "/etc/restorecheck")
        #expect(config.notify.map(\.name) == ["psa", "noc"])
        #expect(config.notify[0].webhook == .init(url: "https://psa.msp.example/hook", secretFile: "/etc/restorecheck/hook.key"))
        #expect(config.notify[0].tenants == ["acme"] && config.notify[0].kinds == [.failedTest, .rpoBreach])
        #expect(config.notify[0].states == [.opened, .resolved])
        #expect(config.notify[1].email == .init(to: ["noc@msp.example"], dailyDigest: true))
        #expect(config.notify[1].states == [.opened], "only: breaches")
        #expect(config.smtp?.passwordFile == "/etc/restorecheck/smtp.pass" && config.smtp?.starttls == true)
        #expect(config.deliveries.count == 1)
        #expect(config.deliveries.first?.format == .html && config.deliveries.first?.onlyBreaches == true)
        #expect(config.deliveries.first?.schedule.description == "weekly mon 07:30 UTC")
    }

    @Test(arguments: [
        // (yaml, line, key path, message fragment)
        ("defaults: { rpo: 1h, rto: 1h }\ntargets:\n  - { name: a, tenant: t, archives: /x }\nnotify:\n  - { name: m, email: { to: [ nobody ] } }\n", 5, "notify[0].email.to[0]", "not a plain e-mail address"),
        ("defaults: { rpo: 1h, rto: 1h }\ntargets:\n  - { name: a, tenant: t, archives: /x }\nsmtp: { server: \"m.example:587\", from: a@b.example }\nreports:\n  deliver:\n    - { tenant: t, to: [ c@d.example ], schedule: \"daily 06:00 UTC\", locale: fr }\n", 1, "reports.deliver", "locale 'fr' has no catalogue"),
        ("defaults: { rpo: 1h, rto: 1h }\ntargets:\n  - { name: a, tenant: t, archives: /x }\nreports:\n  deliver:\n    - { tenant: t, to: [ c@d.example ], schedule: \"daily 06:00 UTC\" }\n", 1, "smtp", "add an smtp: section"),
        ("defaults: { rpo: 1h, rto: 1h }\ntargets:\n  - { name: a, tenant: t, archives: /x }\nsmtp: { server: \"mail.example:25\", starttls: false, username: u, password_file: /p, from: a@b.example }\n", 4, "smtp.starttls", "never sent in clear"),
        ("defaults: { rpo: 1h, rto: 1h }\ntargets:\n  - { name: a, tenant: t, archives: /x }\nnotify:\n  - { name: m, webhook: { url: \"https://h.example/\", secret_file: /k }, events: [ closed ] }\n", 5, "notify[0].events[0]", "not one of opened, resolved"),
        ("defaults: { rpo: 1h, rto: 1h }\ntargets:\n  - { name: a, tenant: t, archives: /x }\nhistory:\n  postgresql: { url: \"postgresql://rc:secret@db.example/rc\" }\n", 5, "history.postgresql.url", "put it in password_file"),
        ("defaults: { rpo: 1h, rto: 1h }\ntargets:\n  - { name: a, tenant: t, archives: /x }\nhistory:\n  postgresql: { url: \"postgresql://rc@db.example/rc?sslmode=maybe\" }\n", 5, "history.postgresql.url", "sslmode 'maybe' is not one of"),
        ("defaults: { rpo: 1h, rto: 1h }\ntargets:\n  - { name: a, tenant: t, archives: /x }\nhistory:\n  postgresql: { password_file: /p }\n", 5, "history.postgresql", "missing required key 'url'"),
        ("defaults: { rpo: 1h, rto: 1h }\ntargets:\n  - { name: a, tenant: t, archives: /x }\nfleet: { locations: [] }\n", 4, "fleet.locations", "non-empty list"),
        ("defaults: { rpo: 1h, rto: 1h }\ntargets:\n  - { name: a, tenant: t, archives: /x }\nfleet:\n  lease: 2s\n", 5, "fleet.lease", "shorter than 3s"),
        ("defaults: { rpo: 1h, rto: 1h }\ntargets:\n  - { name: a, tenant: t, archives: /x }\nfleet:\n  per_tenant: 0\n", 5, "fleet.per_tenant", "greater than 0"),
        ("defaults: { rpo: 1h, rto: 1h }\ntargets:\n  - { name: a, tenant: t, archives: /x, location: 'fra 1' }\n", 3, "targets[0].location", "must be"),
        ("targets:\n  - name: a\n    tenant: t\n    archives: /x\n    rpo: 26x\n    rto: 1h\n", 5, "targets[0].rpo", "not a duration"),
        ("targets:\n  - name: a\n    tenant: t\n    archives: /x\n    rpo_: 1h\n", 5, "targets[0].rpo_", "unknown key"),
        ("scratchdir: /x\ntargets: []\n", 1, "scratchdir", "unknown key"),
        ("defaults: { rpo: 1h, rto: 1h }\ntargets:\n  - name: a\n    tenant: t\n    archives: /x\n  - name: a\n    tenant: u\n    archives: /y\n", 6, "targets[1].name", "duplicate target name 'a'"),
        ("defaults: { rpo: 1h, rto: 1h }\ntargets:\n  - name: a\n    archives: /x\n", 3, "targets[0].tenant", "missing required key"),
        ("targets:\n  - name: a\n    tenant: t\n    archives: /x\n    rto: 1h\n", 2, "targets[0].rpo", "missing"),
        ("defaults: { rpo: 1h, rto: 1h, sample: { files: 0 } }\ntargets: []\n", 1, "defaults.sample.files", "greater than 0"),
        ("defaults: { rpo: 1h, rto: 1h, sample: { files: 3, percent: 5 } }\ntargets: []\n", 1, "defaults.sample", "choose one"),
        ("defaults: { rpo: 1h, rto: 1h, limits: { max_bytes: lots } }\ntargets: []\n", 1, "defaults.limits.max_bytes", "not a size"),
        ("defaults: { rpo: 1h, rto: 1h }\ntargets:\n  - name: 'a b'\n    tenant: t\n    archives: /x\n", 3, "targets[0].name", "must be"),
        ("defaults: { rpo: 1h, rto: 1h }\ntargets: []\n", 2, "targets", "non-empty list"),
        ("scratch_dir: /x\n", 1, "targets", "missing required key"),
        ("targets:\n  - name: a\n   tenant: b\n", 3, "", "YAML"),
        ("scratch_dir: /a\nscratch_dir: /b\ntargets: []\n", 2, "scratch_dir", "duplicate"),
    ])
    func errorsNameFileLineAndKey(yaml: String, line: Int, keyPath: String, fragment: String) throws {
        let error = try #require(loadError(yaml))
        #expect(error.file == "/etc/restorecheck/rc.yaml")
        #expect(error.line == line, "\(error)")
        #expect(error.keyPath == keyPath, "\(error)")
        #expect(error.message.contains(fragment), "\(error)")
        #expect(error.description.hasPrefix("/etc/restorecheck/rc.yaml:\(line):"))
    }

    @Test func aFleetHostTestsTheTargetsOfItsLocationsInASharedHistory() throws {
        let config = try parse(
            """
            defaults: { rpo: 26h, rto: 4h }
            targets:
              - { name: fra-fs, tenant: acme, archives: /b/fs.tar, location: fra1 }
              - { name: ams-db, tenant: acme, archives: /b/db.tar, location: ams1 }
              - { name: anywhere, tenant: initech, archives: /b/x.tar }
            history:
              postgresql:
                url: "postgresql://restorecheck@db.example:6432/restorecheck?sslmode=verify-full&sslrootcert=/etc/restorecheck/db-ca.pem"
                password_file: pg-password
            fleet: { node: verifier-fra1, locations: [ fra1 ], lease: 2m, max_concurrent: 3, per_tenant: 2 }
            """)
        #expect(config.fleet.lease.seconds == 120 && config.concurrentTestsHere == 3 && config.fleet.perTenant == 2)
        let postgres = try #require(config.postgresql)
        #expect(postgres.host == "db.example")
        #expect(postgres.port == 6432)
        #expect(postgres.tls == .verifyFull)
        #expect(postgres.rootCertificate == "/etc/restorecheck/db-ca.pem")
        #expect(postgres.passwordFile == "/etc/restorecheck/pg-password", "relative to the config, as every path")
        #expect(config.historyLocation == "postgresql://restorecheck@db.example:6432/restorecheck")
        #expect(config.nodeName == "verifier-fra1")
        #expect(config.targetsTestedHere.map(\.name) == ["fra-fs", "anywhere"], "a located host tests its locations' targets and those without one")
        var everywhere = config
        everywhere.fleet.locations = nil
        #expect(everywhere.targetsTestedHere.count == 3, "a host without locations tests every target")
        #expect(try parse("defaults: { rpo: 1h, rto: 1h }\ntargets:\n  - { name: a, tenant: t, archives: /x }\n").postgresql == nil,
                "without history.postgresql the history is the SQLite file")
        let socket = try PostgresSettings.parse(url: "postgresql://restorecheck@/restorecheck?host=/run/postgresql")
        #expect(socket.socketPath == "/run/postgresql/.s.PGSQL.5432")
        #expect(socket.tls == .disable, "a unix socket needs no TLS")
    }

    @Test func unreadableOrEmptyFilesAreErrorsToo() {
        #expect(throws: ConfigError.self) { try loader.load(path: "/nonexistent/rc.yaml") }
        #expect(throws: ConfigError.self) { try parse("") }
        #expect(throws: ConfigError.self) { try parse("- just\n- a list\n") }
    }

    /// Every prefix of a valid config, and random byte soup: each is a valid config or a
    /// `ConfigError` (the only error `parse` can throw) naming the file and, when it has one, a line
    /// of the input (or its end); never a crash. The whole config loads, and most prefixes do not.
    @Test func generatedGarbageNeverCrashesTheLoader() {
        let valid = "defaults: { rpo: 1h, rto: 2h, sample: { files: 3 } }\ntargets:\n  - name: a\n    tenant: t\n    archives: /x/*.tar\n    manifest: \"{archive}.sha256\"\n"
        var generator = SplitMix64(seed: 3)
        let alphabet = Array("abc:{}[]-\n #'\"&*!|>%@`\t0123456789.")
        let soup = (0..<300).map { _ in
            String((0..<Int(generator.next() % 80)).map { _ in alphabet[Int(generator.next() % UInt64(alphabet.count))] })
        }
        var loaded = 0
        var refused = 0
        for text in (0...valid.count).map({ String(valid.prefix($0)) }) + soup {
            do {
                _ = try parse(text)
                loaded += 1
            } catch {
                refused += 1
                // YAML's "expected ..." at the end of the input is one line past its last.
                let lines = text.split(separator: "\n", omittingEmptySubsequences: false).count
                #expect(error.file == "/etc/restorecheck/rc.yaml" && (error.line ?? 1) <= lines + 1 && !error.message.isEmpty, "\(error)")
            }
        }
        #expect(throws: Never.self) { try parse(valid) }
        #expect(loaded >= 1 && refused > 200, "\(loaded) loaded, \(refused) refused")
    }
}

@Suite("Config: the report section")
struct ReportConfigTests {
    let base = "targets:\n  - { name: fs, tenant: acme, archives: /b/*.tar, rpo: 1d, rto: 1h }\n"

    @Test func brandingPathsResolveAgainstTheConfigAndServingIsOffByDefault() throws {
        #expect(try parseConfig(base).report == ReportSettings())
        let config = try parseConfig(base + "report: { company: \"Example MSP\", logo: brand/logo.png, template_dir: brand, serve: true, period: 90d }\n")
        #expect(config.report.company == "Example MSP")
        #expect(config.report.logoPath == "/etc/restorecheck/brand/logo.png" && config.report.templateDirectory == "/etc/restorecheck/brand")
        #expect(config.report.serve && config.report.period.seconds == 90 * 86_400)
        #expect(config.tenants == ["acme"])
    }

    @Test func aTypoOrABadValueIsALocatedError() {
        #expect(throws: ConfigError.self) { try parseConfig(base + "report: { compnay: x }\n") }
        do {
            _ = try parseConfig(base + "report:\n  serve: yes-please\n")
            Issue.record("accepted serve: yes-please")
        } catch {
            #expect(error.line == 4 && error.description.contains("report.serve") && error.description.contains("true, false"), "\(error)")
        }
    }
}

@Suite("Config: canaries")
struct CanaryConfigTests {
    @Test func theEntryIsInheritedAndTheKeyDefaultsToStateDir() throws {
        let config = try parseConfig(
            "state_dir: /var/lib/rc\ndefaults: { rpo: 1d, rto: 1h, canary: ./.restorecheck-canary }\ntargets:\n"
                + "  - { name: a, tenant: t, archives: /b/a.tar }\n  - { name: b, tenant: t, archives: /b/b.tar, canary_key: keys/b.key }\n")
        #expect(config.targets[0].canary == CanarySpec(entry: "./.restorecheck-canary", keyPath: "/var/lib/rc/canary.key"))
        #expect(config.targets[1].canary?.keyPath == "/etc/restorecheck/keys/b.key")
    }

    @Test func aNameNoArchiveCanHoldIsALocatedError() {
        do {
            _ = try parseConfig("targets:\n  - { name: a, tenant: t, archives: /b/a.tar, rpo: 1d, rto: 1h, canary: ../x }\n")
            Issue.record("accepted canary: ../x")
        } catch {
            #expect(error.line == 2 && error.description.contains("canary") && error.description.contains("'../x'"), "\(error)")
        }
    }
}

@Suite("Config: content checks")
struct ContentCheckConfigTests {
    @Test func failByDefaultInheritedAndOverridden() throws {
        let config = try parseConfig(
            "defaults: { rpo: 1d, rto: 1h, content_checks: warn }\ntargets:\n  - { name: a, tenant: t, archives: /b/a.tar }\n"
                + "  - { name: b, tenant: t, archives: /b/b.tar, content_checks: off }\n")
        #expect(config.targets.map(\.contentChecks) == [.warn, .off])
        #expect(try parseConfig("targets:\n  - { name: a, tenant: t, archives: /a, rpo: 1d, rto: 1h }\n").targets[0].contentChecks == .fail)
    }

    @Test func anUnknownModeIsALocatedError() {
        do {
            _ = try parseConfig("targets:\n  - { name: a, tenant: t, archives: /b/a.tar, rpo: 1d, rto: 1h,\n      content_checks: yes }\n")
            Issue.record("accepted content_checks: yes")
        } catch {
            #expect(error.line == 3 && error.description.contains("content_checks: 'yes' is not one of fail, warn, off"), "\(error)")
        }
    }
}

@Suite("Config: coverage")
struct CoverageConfigTests {
    @Test func inheritedWithTheSampleAndKeptPerTarget() throws {
        let config = try parseConfig(
            "state_dir: /var/lib/rc\ndefaults: { rpo: 1d, rto: 1h, manifest: \"{archive}.sha256\", sample: { files: 20, coverage: 30d } }\n"
                + "targets:\n  - { name: a, tenant: t, archives: /b/a.tar, sample: { files: 50 } }\n")
        #expect(config.targets[0].sample == SampleSpec(size: .files(50), coverage: TimeSpan(seconds: 30 * 86_400)))
        #expect(config.targets[0].coverageStatePath == "/var/lib/rc/coverage/a.state")
    }

    @Test(arguments: [
        ("targets:\n  - { name: a, tenant: t, archives: /a, rpo: 1d, rto: 1h, manifest: m,\n      sample: { percent: 5, coverage: 30d } }\n",
         "targets[0].sample.coverage: coverage rotates a 'files' sample"),
        ("targets:\n  - { name: a, tenant: t, archives: /a, rpo: 1d, rto: 1h,\n      sample: { files: 5, coverage: 30d } }\n",
         "targets[0].sample.coverage: coverage counts manifest entries: set a manifest"),
    ])
    func misuseIsALocatedError(yaml: String, message: String) {
        do {
            _ = try parseConfig(yaml)
            Issue.record("accepted: \(yaml)")
        } catch {
            #expect(error.description.contains(message), "\(error)")
        }
    }
}

@Suite("Config: change checks")
struct ChangeCheckConfigTests {
    @Test func defaultsThresholdsAndTheSummaryPath() throws {
        let config = try parseConfig(
            "state_dir: /var/lib/rc\ndefaults: { rpo: 1d, rto: 1h, change_thresholds: { deleted_files: 500, changed_min_percent: 10 } }\n"
                + "targets:\n  - { name: a, tenant: t, archives: /b/a.tar, manifest: m }\n"
                + "  - { name: b, tenant: t, archives: /b/b.tar, change_checks: warn }\n")
        let a = config.targets[0]
        #expect(a.changeChecks == .fail && a.changeSummaryPath == "/var/lib/rc/changes/a.summary")
        #expect(a.changeThresholds.deletedFiles == 500 && a.changeThresholds.changedMinPercent == 10)
        #expect(a.changeThresholds.newExtensions == 20 && a.changeThresholds.sizeDropPercent == 50, "the rest keep their defaults")
        #expect(config.targets[1].changeChecks == .warn && config.targets[1].changeSummaryPath == nil, "no manifest: nothing to compare")
    }

    @Test func aBadThresholdIsALocatedError() {
        do {
            _ = try parseConfig("targets:\n  - { name: a, tenant: t, archives: /b/a.tar, rpo: 1d, rto: 1h,\n      change_thresholds: { deleted_percent: 150 } }\n")
            Issue.record("accepted deleted_percent: 150")
        } catch {
            #expect(error.line == 3 && error.description.contains("change_thresholds.deleted_percent: a percentage must be at most 100"), "\(error)")
        }
    }
}

@Suite("Config: validate")
struct ValidateConfigTests {
    @Test func rulesAreReadInOrderAndInherited() throws {
        let config = try parseConfig(
            "defaults: { rpo: 1d, rto: 1h, validate: [ { match: \"**/*.sqlite\", check: sqlite }, { match: db/*.dump, check: pg_dump } ] }\n"
                + "targets:\n  - { name: a, tenant: t, archives: /b/a.tar }\n  - { name: b, tenant: t, archives: /b/b.tar, validate: [] }\n")
        #expect(config.targets[0].validate == [ValidationRule(match: "**/*.sqlite", check: .sqlite), ValidationRule(match: "db/*.dump", check: .pgDump)])
        #expect(config.targets[1].validate.isEmpty)
        let command = try parseConfig(
            "targets:\n  - { name: a, tenant: t, archives: /b/a.tar, rpo: 1d, rto: 1h,\n"
                + "      validate: [ { match: db/app.dump, command: [ /usr/local/lib/check, \"{file}\", orders ], timeout: 2m } ] }\n")
        #expect(command.targets[0].validate == [ValidationRule(match: "db/app.dump", command: ["/usr/local/lib/check", "{file}", "orders"], timeout: TimeSpan(seconds: 120))])
        #expect(command.targets[0].limits.processes == 512)
        let limited = try parseConfig("defaults: { rpo: 1d, rto: 1h, limits: { processes: 64 } }\ntargets:\n  - { name: a, tenant: t, archives: /b/a.tar }\n")
        #expect(limited.targets[0].limits.processes == 64)
    }

    @Test(arguments: [
        ("validate: [ { match: a.db, check: oracle } ]", "targets[0].validate[0].check: 'oracle' is not one of sqlite, pg_dump, sql_dump, gzip, xz, zstd, json, xml, archive"),
        ("validate: [ { check: json } ]", "targets[0].validate[0].match: missing required key"),
        ("validate: [ { match: /abs/*.json, check: json } ]", "targets[0].validate[0].match: a glob over entry names"),
        ("validate: [ { match: app.dump, command: [ check-db ] } ]", "targets[0].validate[0].command: the program must be an absolute path"),
        ("validate: [ { match: app.dump, check: json, command: [ /bin/true ] } ]", "targets[0].validate[0]: choose one of check and command"),
        ("validate: [ { match: app.json, check: json, timeout: 5m } ]", "targets[0].validate[0].timeout: timeout applies to commands only"),
        ("limits: { processes: 8 }", "targets[0].limits.processes: at least 16"),
    ])
    func badRulesAreLocatedErrors(rule: String, message: String) {
        do {
            _ = try parseConfig("targets:\n  - { name: a, tenant: t, archives: /b/a.tar, rpo: 1d, rto: 1h,\n      \(rule) }\n")
            Issue.record("accepted \(rule)")
        } catch {
            #expect(error.line == 3 && error.description.contains(message), "\(error)")
        }
    }
}

@Suite("Config: restic and borg repositories")
struct RepositoryConfigTests {
    @Test func sourcesAreReadWithTheirSecretsOnlyAsFilesOrCommands() throws {
        let config = try parseConfig(
            """
            defaults: { rpo: 1d, rto: 1h }
            targets:
              - { name: fs, tenant: acme, restic: { repository: repos/acme, password_file: acme.pass, snapshot: 8fa4b680 } }
              - { name: mail, tenant: globex, borg: { repository: "ssh://backup@host/./mail", passcommand: "pass show borg/globex", archive: "nightly-*" } }
              - { name: plain, tenant: globex, borg: { repository: /srv/borg/plain } }

            """)
        var restic = RepositorySource(tool: .restic, repository: "/etc/restorecheck/repos/acme")
        restic.passwordFile = "/etc/restorecheck/acme.pass"
        restic.snapshot = "8fa4b680"
        #expect(config.targets[0].repository == restic)
        #expect(config.targets[0].archiveGlob == "restic:/etc/restorecheck/repos/acme")
        #expect(config.targets[1].repository?.passcommand == "pass show borg/globex")
        #expect(config.targets[1].repository?.repository == "ssh://backup@host/./mail", "a URL is the tool's, not resolved as a path")
        #expect(config.targets[1].repository?.snapshot == "nightly-*")
        #expect(config.targets[2].repository?.passwordFile == nil && config.targets[2].repository?.snapshot == "latest")
    }

    @Test(arguments: [
        ("restic: { repository: /r, password: hunter2 }", "targets[0].restic.password: secrets are never kept in the config: use password_file"),
        ("borg: { repository: /r, passphrase: hunter2 }", "targets[0].borg.passphrase: secrets are never kept in the config: use password_file or passcommand"),
        ("restic: { repository: /r }", "targets[0].restic.password_file: missing required key (restic repositories are always encrypted)"),
        ("borg: { repository: /r, password_file: /p, passcommand: \"cat /p\" }", "targets[0].borg: choose one of password_file and passcommand"),
        ("archives: /b/a.tar, restic: { repository: /r, password_file: /p }", "targets[0].restic: choose one source: archives or restic"),
        ("restic: { password_file: /p }", "targets[0].restic.repository: missing required key"),
        ("restic: { repository: /r, password_file: /p, archive: x }", "targets[0].restic.archive: unknown key"),
        ("restic: { repository: /r, password_file: /p, credentials_file: /c }", "targets[0].restic.credentials_file: credentials_file is for an s3: repository"),
        ("borg: { repository: \"s3:https://x/b\" }", "targets[0].borg.repository: borg has no S3 backend"),
    ])
    func misuseIsALocatedError(source: String, message: String) {
        do {
            _ = try parseConfig("targets:\n  - { name: a, tenant: t, rpo: 1d, rto: 1h,\n      \(source) }\n")
            Issue.record("accepted \(source)")
        } catch {
            #expect(error.line == 3 && error.description.contains(message), "\(error)")
        }
    }
}

@Suite("Config: s3 object storage")
struct ObjectStorageConfigTests {
    @Test func aBucketKeyGlobAndCredentialsFileWithTheManifestAsAKeyInTheBucket() throws {
        let config = try parseConfig(
            """
            defaults: { rpo: 1d, rto: 1h, manifest: "{archive}.sha256" }
            targets:
              - name: offsite
                tenant: acme
                s3: { endpoint: "https://s3.eu-central-2.wasabisys.com", bucket: acme-backups, key: "fileserver/*.tar.zst",
                      region: eu-central-2, credentials_file: acme.s3, path_style: true }
              - { name: local, tenant: acme, s3: { endpoint: "http://127.0.0.1:9000", bucket: b, key: "x/*.zip" }, egress_budget: 200GiB/month }

            """)
        let storage = try #require(config.targets[0].objectStorage)
        #expect(storage.bucket.endpoint == "https://s3.eu-central-2.wasabisys.com" && storage.bucket.bucket == "acme-backups")
        #expect(storage.keyGlob == "fileserver/*.tar.zst" && storage.listPrefix == "fileserver/")
        #expect(storage.bucket.region == "eu-central-2" && storage.bucket.pathStyle)
        #expect(storage.bucket.credentialsFile == "/etc/restorecheck/acme.s3")
        #expect(config.targets[0].archiveGlob == "s3://acme-backups/fileserver/*.tar.zst")
        #expect(config.targets[0].manifestTemplate == "{archive}.sha256", "a key in the bucket, not resolved as a path")
        #expect(config.targets[1].objectStorage?.bucket.region == "us-east-1" && config.targets[1].objectStorage?.bucket.pathStyle == false)
        #expect(config.targets[1].egressBudget == 200 << 30 && config.targets[1].egressLedgerPath?.hasSuffix("/egress/local") == true)
        #expect(config.targets[0].egressBudget == nil)
    }

    @Test(arguments: [
        ("s3: { endpoint: \"http://s3.example.com\", bucket: b, key: k }", "targets[0].s3.endpoint: plain http is allowed only for a loopback endpoint"),
        ("s3: { endpoint: \"ftp://x\", bucket: b, key: k }", "targets[0].s3.endpoint: expected an https:// URL"),
        ("s3: { endpoint: \"https://x\", bucket: b, key: k, secret_access_key: hunter2 }", "targets[0].s3.secret_access_key: secrets are never kept in the config"),
        ("s3: { endpoint: \"https://x\", bucket: b }", "targets[0].s3.key: missing required key"),
        ("archives: /b/a.tar, s3: { endpoint: \"https://x\", bucket: b, key: k }", "targets[0].s3: choose one source: s3, archives, restic or borg"),
        ("s3: { endpoint: \"https://x\", bucket: b, key: k, path_style: maybe }", "targets[0].s3.path_style"),
        ("s3: { endpoint: \"https://x\", bucket: b, key: k }, egress_budget: 200GiB", "targets[0].egress_budget: '200GiB' is not a monthly size"),
        ("archives: /b/a.tar, egress_budget: 1GiB/month", "targets[0].egress_budget: an egress budget is for an s3: target"),
    ])
    func misuseIsALocatedError(source: String, message: String) {
        do {
            _ = try parseConfig("targets:\n  - { name: a, tenant: t, rpo: 1d, rto: 1h,\n      \(source) }\n")
            Issue.record("accepted \(source)")
        } catch {
            #expect(error.line == 3 && error.description.contains(message), "\(error)")
        }
    }
}

@Suite("Config: compare_with_source")
struct LiveSourceConfigTests {
    @Test func aPathOrAPathWithExcludes() throws {
        let config = try parseConfig(
            """
            defaults: { rpo: 1d, rto: 1h }
            targets:
              - { name: a, tenant: t, archives: /b/a.tar, compare_with_source: /srv/data }
              - { name: b, tenant: t, archives: /b/b.tar, compare_with_source: { path: data, exclude: [ "**/*.tmp", "cache/**" ] } }

            """)
        #expect(config.targets[0].liveSource == LiveSource(path: "/srv/data"))
        #expect(config.targets[1].liveSource == LiveSource(path: "/etc/restorecheck/data", exclude: ["**/*.tmp", "cache/**"]))
        do {
            _ = try parseConfig("targets:\n  - { name: a, tenant: t, archives: /b/a.tar, rpo: 1d, rto: 1h,\n      compare_with_source: { exclude: [ x ] } }\n")
            Issue.record("accepted a comparison without a path")
        } catch {
            #expect(error.line == 3 && error.description.contains("compare_with_source.path: missing required key"), "\(error)")
        }
    }
}
