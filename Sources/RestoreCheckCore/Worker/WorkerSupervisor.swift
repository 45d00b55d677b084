import Foundation
import Glibc

/// Runs one restore worker process and turns whatever happens to it into a result.
///
/// The worker is `restorecheck restore-worker`, started with `posix_spawn` in its own process group
/// (so a terminal's Ctrl-C reaches only the parent, which then stops the worker and cleans up), with a
/// default signal disposition and an environment stripped of systemd's notification variables (only
/// the daemon may talk to systemd). The worker sets its own rlimits before touching the archive; the
/// supervisor adds what a process cannot do for itself: a wall-clock deadline and a no-progress
/// watchdog, both enforced with `SIGKILL` on the whole process group (`Supervision`, the loop the
/// backup tools and validation commands run under too). The worker's stdout is its protocol, one
/// JSON line at a time (`LineBuffer`, `WorkerWire`); any whole line is a sign of life.
public struct WorkerSupervisor: Sendable {
    /// Path of the `restorecheck` executable to spawn.
    public var executable: String

    public init(executable: String) {
        self.executable = executable
        Self.ignoreSIGPIPE()
    }

    /// A worker (or any child) that dies before reading its input must not kill this process with
    /// SIGPIPE: the write then fails with EPIPE, which the supervisor expects. Process-global, so set
    /// once: `main` calls it at start-up; a supervisor made elsewhere (a test) calls it too.
    public static func ignoreSIGPIPE() { _ = sigpipeIgnored }

    private static let sigpipeIgnored: Void = { signal(SIGPIPE, SIG_IGN) }()

    /// How a worker run ended.
    public enum Result: Sendable {
        /// The worker finished its pass and reported (the report may still hold findings).
        case finished(WorkerReport, seconds: Double)
        /// The worker did not report: `timeout`, `worker_crashed`, `limit_exceeded`, `scratch_error`.
        case failed(OutcomeReason, message: String, seconds: Double)
        /// The run was cancelled (Ctrl-C, daemon shutdown) and the worker stopped.
        case cancelled(seconds: Double)
    }

    /// Environment variables a worker must not inherit.
    static let strippedEnvironment: Set<String> = ["NOTIFY_SOCKET", "WATCHDOG_USEC", "WATCHDOG_PID", "LISTEN_FDS", "LISTEN_PID", "LISTEN_FDNAMES"]

    /// Spawns the worker for `request` and waits for it (blocking; call from a thread of its own).
    /// - Parameter archive: an open descriptor of the archive, handed to the worker as its fd 3, so the
    ///   worker reads exactly the file the parent judged (a backup job may rename a new one into place).
    public func run(
        _ request: WorkerRequest, archive: Int32? = nil, cancellation: CancellationFlag,
        progress: (WorkerProgress) -> Void
    ) -> Result {
        let requestData: Data
        do {
            requestData = try JSONEncoder().encode(request)
        } catch {
            return .failed(.internalError, message: "cannot encode the worker request: \(error)", seconds: 0)
        }
        let child: SpawnedChild
        do {
            child = try SpawnedChild.spawn(
                executable: executable, arguments: ["restore-worker"], environment: Self.environment(), inherit: archive.map { [$0] } ?? [])
        } catch {
            return .failed(.workerCrashed, message: "cannot start the restore worker \(executable): \(error)", seconds: 0)
        }
        child.writeInput(requestData)

        var lines = LineBuffer()
        var stderrTail = Data()
        var report: WorkerReport?
        let limits = request.limits
        let ended = Supervision(deadline: limits.timeout.seconds, stall: limits.stallTimeout.seconds).run(child, cancellation: cancellation) {
            stream, chunk in
            guard stream == .output else {
                stderrTail.append(chunk)
                if stderrTail.count > 16_384 { stderrTail = Data(stderrTail.suffix(8192)) }
                return false
            }
            var alive = false
            lines.append(chunk) { line in
                alive = true
                switch try? WorkerWire.decode(Data(line)) {
                case .progress(let update): progress(update)
                case .report(let final): report = final
                case nil: break  // not ours; ignore rather than trust
                }
            }
            return alive
        }
        let (status, seconds) = (ended.status, ended.seconds)
        switch ended.stop {
        case .cancelled: return .cancelled(seconds: seconds)
        case .deadline:
            return .failed(.timeout, message: "no result within \(TimeSpan.format(limits.timeout.seconds)) (limits.timeout); worker killed", seconds: seconds)
        case .stall:
            return .failed(.timeout, message: "no progress for \(TimeSpan.format(limits.stallTimeout.seconds)) (limits.stall_timeout); worker killed", seconds: seconds)
        case nil: break
        }
        let stderrText = String(decoding: stderrTail, as: UTF8.self).trimmingWhitespace()
        if let report, status.exitedCleanly {
            return .finished(report, seconds: seconds)
        }
        return .failed(Self.classify(status), message: Self.describe(status, stderr: stderrText), seconds: seconds)
    }

    /// A worker that ended without a report, judged by how it ended and never by what it printed:
    /// stderr is text a crashing libarchive or glibc wrote (`malloc(): corrupted top size`), and a
    /// heap corruption must not read as the customer's limit. The worker says "out of memory" itself,
    /// in its report (libarchive's `ENOMEM`); here only the kernel's own limit signals are limits.
    static func classify(_ status: SpawnedChild.Status) -> OutcomeReason {
        switch status {
        case .signaled(SIGXCPU): .timeout  // RLIMIT_CPU: out of CPU time, the deadline by another clock
        case .signaled(SIGXFSZ): .limitExceeded  // RLIMIT_FSIZE (the worker ignores it; belt and braces)
        default: .workerCrashed  // SIGSEGV, SIGABRT, SIGBUS, SIGKILL, or an exit without a report
        }
    }

    static func describe(_ status: SpawnedChild.Status, stderr: String) -> String {
        let lastLine = stderr.split(separator: "\n").last.map(String.init) ?? ""
        let suffix = lastLine.isEmpty ? "" : ": \(lastLine)"
        switch status {
        case .exited(let code): return "restore worker exited with status \(code) without a report\(suffix)"
        case .signaled(let signal): return "restore worker killed by signal \(signal) (\(signalName(signal)))\(suffix)"
        }
    }

    static func signalName(_ signal: Int32) -> String {
        let names: [Int32: String] = [
            SIGSEGV: "SIGSEGV", SIGABRT: "SIGABRT", SIGBUS: "SIGBUS", SIGILL: "SIGILL", SIGTRAP: "SIGTRAP",
            SIGKILL: "SIGKILL", SIGXCPU: "SIGXCPU", SIGXFSZ: "SIGXFSZ", SIGFPE: "SIGFPE", SIGTERM: "SIGTERM",
        ]
        return names[signal] ?? "signal \(signal)"
    }

    static func environment() -> [String] {
        ProcessInfo.processInfo.environment
            .filter { !strippedEnvironment.contains($0.key) }
            .map { "\($0.key)=\($0.value)" }
    }
}
