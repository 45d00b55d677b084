import Foundation
import Logging
import RestoreCheckCore
import ServiceLifecycle
import UnixSignals

/// Reloads the config on SIGHUP (`systemctl reload`).
///
/// A valid new config swaps in atomically; an invalid one is logged with its located error, the old
/// config keeps running, and `restorecheck_config_last_reload_successful` drops to 0 until a good
/// reload. systemd hears `RELOADING=1` before and `READY=1` after either way.
public struct ReloadService: Service {
    let context: DaemonContext
    let loader = ConfigLoader()

    public init(context: DaemonContext) { self.context = context }

    public func run() async throws {
        let signals = await UnixSignalsSequence(trapping: .sighup)
        for await _ in signals.cancelOnGracefulShutdown() {
            await reload()
        }
    }

    /// Loads the config file again and applies it if valid. Returns whether it was applied.
    @discardableResult
    public func reload() async -> Bool {
        context.notifier.reloading()
        defer { context.notifier.ready(status: "config reloaded at \(Date().formatted(.iso8601))") }
        do {
            let config = try loader.load(path: context.configPath)
            let previous = context.config
            if config.stateDirectory != previous.stateDirectory {
                context.logger.warning("state_dir changed; the history stays at \(previous.historyPath) until restart")
            }
            if config.postgresql != previous.postgresql {
                context.logger.warning("history.postgresql changed; the history stays at \(previous.historyLocation) until restart")
            }
            await context.apply(config)
            context.metrics.configLoaded(successfully: true, at: context.now())
            context.logger.notice("config reloaded", metadata: ["file": "\(context.configPath)", "targets": "\(config.targets.count)"])
            return true
        } catch {
            context.metrics.configLoaded(successfully: false, at: context.now())
            context.logger.error("config reload failed; keeping the previous config: \(error)")
            return false
        }
    }
}
