import ArgumentParser
import Foundation
import Logging
import RestoreCheckCore
import RestoreCheckDaemon
import RestoreCheckMetrics
import RestoreCheckStore
import ServiceLifecycle

/// `restorecheck serve`: the daemon (systemd `Type=notify`).
struct ServeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "Run restore tests on schedule, record them, and serve Prometheus metrics.",
        discussion: """
            Signals: SIGTERM/SIGINT stop gracefully (running tests are stopped and recorded aborted); \
            SIGHUP reloads the config (an invalid config is logged and the previous one kept).
            """)

    @OptionGroup var options: ConfigOptions

    @Option(
        name: .customLong("web.listen-address"),
        help: "Address for /metrics, host:port (repeatable). Default 127.0.0.1:9947 (loopback only).")
    var listenAddresses: [String] = []

    @Option(
        name: .customLong("web.config.file"),
        help: "exporter-toolkit web config: tls_server_config (TLS ≥ 1.2, client certificates) and basic_auth_users (bcrypt).")
    var webConfigFile: String?

    @Option(help: "This host's name in a shared history (overrides fleet.node; README \"Fleet\").")
    var node: String?

    func run() async throws {
        LoggingSystem.bootstrap { JournalLogHandler(label: $0) }
        let logger = Logger(label: "restorecheck")
        var config = try options.load()
        if let node {
            guard FleetSettings.isValidNodeName(node) else {
                FileHandle.standardError.write(Data("restorecheck: --node '\(node)' is not a node name (letters, digits, - _ ., at most 63)\n".utf8))
                throw ExitCode(ExitStatus.usage)
            }
            config.fleet.node = node
        }
        var addresses: [ListenAddress] = []
        for text in listenAddresses.isEmpty ? [ListenAddress.default.description] : listenAddresses {
            do {
                addresses.append(try ListenAddress(parsing: text))
            } catch {
                FileHandle.standardError.write(Data("restorecheck: --web.listen-address: \(error)\n".utf8))
                throw ExitCode(ExitStatus.usage)
            }
        }
        var web: WebConfig?
        if let webConfigFile {
            do {
                web = try WebConfig.load(path: webConfigFile)
                try MetricsEndpoint.validate(web, addresses: addresses)
            } catch {
                FileHandle.standardError.write(Data("restorecheck: --web.config.file: \(error)\n".utf8))
                throw ExitCode(ExitStatus.usage)
            }
        }
        for address in addresses where !address.isLoopback && web?.basicAuthUsers.isEmpty != false {
            logger.warning("metrics endpoint on a non-loopback address \(address): anyone who can reach it can read every tenant's outcomes")
        }
        let store: any HistoryDatabase
        do {
            store = try await HistoryOpener.open(config)
        } catch {
            logger.critical("cannot open the history at \(config.historyLocation): \(error)")
            throw ExitCode(ExitStatus.error)
        }
        let context = DaemonContext(
            config: config, configPath: options.config, store: store,
            metrics: OutcomeMetrics(version: RestoreCheckVersion.current), notifier: SystemdNotifier(), logger: logger,
            workerExecutable: RunCommand.executablePath(), version: RestoreCheckVersion.current, nodeOverride: node)
        logger.notice("restorecheck \(RestoreCheckVersion.current) starting", metadata: [
            "config": "\(options.config)", "targets": "\(config.targets.count)", "history": "\(config.historyLocation)",
        ])
        let group: ServiceGroup
        do {
            group = try await Daemon.makeServiceGroup(context: context, listenAddresses: addresses, web: web)
        } catch {
            logger.critical("cannot start: \(error)")
            throw ExitCode(ExitStatus.usage)
        }
        try await group.run()
    }
}
