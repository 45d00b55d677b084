import Foundation
import Glibc

/// A live `restorecheck restore-worker` process, found through /proc by the archive it reads, so a
/// test can freeze it at a known point (SIGSTOP) and change the world under it.
///
/// Why: a test that changes an archive "while it is being read" by waiting for scratch to appear and
/// then acting raced the worker, which reads a 300 MB tar in a fraction of a second; on a fast idle
/// machine the worker finished first and the test failed (CI, 2026-11-22). Looking for the worker
/// from an async test after starting the check still raced it: the test's task can wait for a
/// cooperative thread longer than the worker needs. `WorkerPauser` therefore watches from a thread
/// of its own, started before the check, and finds and stops the worker in one blocking call.
public struct RunningWorker: Sendable {
    public let pid: pid_t
    /// The archive's resolved path.
    let archive: String
    /// Its command line when found, NULs as spaces (for failure messages).
    public let commandLine: String

    /// Waits for the worker whose descriptor 3 (where the supervisor passes the archive) is
    /// `archive`. Polls every millisecond: the worker must be caught early in its read.
    public static func find(reading archive: String, timeout: Double = 60) -> RunningWorker? {
        let wanted = URL(fileURLWithPath: archive).resolvingSymlinksInPath().path
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            for entry in (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? [] {
                guard let pid = pid_t(entry), pid != getpid(),
                    let target = try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/\(pid)/fd/3"),
                    target == wanted,
                    let cmdline = FileManager.default.contents(atPath: "/proc/\(pid)/cmdline"),
                    String(decoding: cmdline, as: UTF8.self).contains("restore-worker")
                else { continue }
                let words = cmdline.split(separator: 0).map { String(decoding: $0, as: UTF8.self) }
                return RunningWorker(pid: pid, archive: wanted, commandLine: words.joined(separator: " "))
            }
            usleep(1_000)
        }
        return nil
    }

    /// Why a worker could not be paused where a test wanted it.
    public struct NotPaused: Error, CustomStringConvertible {
        public var description: String
    }

    /// Waits until the worker has read at least `minimum` bytes of its archive, stops it, and returns
    /// how far it had read. Throws, saying what was seen, if it ends first or does not stop.
    public func stop(afterReading minimum: Int64) throws -> Int64 {
        var seen: Int64 = 0
        while true {
            guard let position = archiveOffset() else {
                throw NotPaused(description: "worker \(pid) (\(commandLine)) ended (state '\(state())') after reading \(seen) bytes")
            }
            seen = position
            if position >= minimum { break }
            usleep(200)
        }
        guard kill(pid, SIGSTOP) == 0 else { throw NotPaused(description: "worker \(pid) ended before SIGSTOP") }
        // SIGSTOP is asynchronous: wait until the kernel reports the process stopped ("T").
        let deadline = Date().addingTimeInterval(10)
        while Date() < deadline, !state().hasPrefix("T") { usleep(1_000) }
        guard state().hasPrefix("T"), let position = archiveOffset() else {
            throw NotPaused(description: "worker \(pid) did not stop (state '\(state())', read \(seen) bytes)")
        }
        return position
    }

    public func resume() { kill(pid, SIGCONT) }

    /// Finds the worker reading `archive`, waits until it has read `minimum` bytes and stops it: one
    /// blocking call, so nothing between finding and stopping can be delayed.
    public static func pause(reading archive: String, afterReading minimum: Int64) throws -> (worker: RunningWorker, offset: Int64) {
        // Five minutes: the check that spawns the worker starts on the cooperative pool, which a busy
        // parallel suite on two cores has kept waiting for over a minute (CI, 2026-12-02).
        guard let worker = find(reading: archive, timeout: 300) else {
            throw NotPaused(description: "no restore-worker read \(archive) within five minutes")
        }
        return (worker, try worker.stop(afterReading: minimum))
    }

    /// How far the worker has read its archive: the largest file offset among its descriptors open on
    /// it (the worker opens `/proc/self/fd/3`, which makes a new open file with its own offset).
    private func archiveOffset() -> Int64? {
        let descriptors = (try? FileManager.default.contentsOfDirectory(atPath: "/proc/\(pid)/fd")) ?? []
        let offsets = descriptors.compactMap { fd -> Int64? in
            guard (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/\(pid)/fd/\(fd)")) == archive,
                let info = try? String(contentsOfFile: "/proc/\(pid)/fdinfo/\(fd)", encoding: .utf8),
                let line = info.split(separator: "\n").first(where: { $0.hasPrefix("pos:") })
            else { return nil }
            return Int64(line.dropFirst(4).trimmingCharacters(in: .whitespaces))
        }
        return offsets.max()
    }

    /// The state letter from /proc/PID/stat (after the parenthesised command name).
    private func state() -> String {
        guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
            let close = stat.lastIndex(of: ")")
        else { return "" }
        return String(stat[stat.index(after: close)...].drop(while: { $0 == " " }).prefix(1))
    }
}

/// Pauses the worker that will read `archive`, watching from the moment it is created: create it
/// before starting the check, then await `paused()`.
public final class WorkerPauser: @unchecked Sendable {
    // @unchecked: `result` is written once by the watching thread before `done` is signalled, and
    // read only after waiting for `done`.
    private let done = DispatchSemaphore(value: 0)
    private var result: Result<(worker: RunningWorker, offset: Int64), any Error> = .failure(RunningWorker.NotPaused(description: "not run"))

    public init(archive: String, afterReading minimum: Int64) {
        Thread { [self] in
            result = Result { try RunningWorker.pause(reading: archive, afterReading: minimum) }
            done.signal()
        }.start()
    }

    /// The stopped worker and how far it had read; resume it when done.
    public func paused() async throws -> (worker: RunningWorker, offset: Int64) {
        try await Blocking.run { [self] in
            done.wait()
            return try result.get()
        }
    }
}
