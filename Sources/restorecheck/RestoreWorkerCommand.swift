import ArgumentParser
import CSystemShim
import Foundation
import Glibc
import RestoreCheckCore
import RestoreCheckStore
import RestoreCheckWorker

/// `restorecheck restore-worker` (hidden): the sandboxed side of one restore test.
///
/// Reads one `WorkerRequest` as JSON on stdin, applies its own rlimits before opening the archive,
/// writes progress and one report as JSON lines on stdout. Started only by `WorkerSupervisor`.
struct RestoreWorkerCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "restore-worker",
        abstract: "Internal: restore one archive into scratch (started by restorecheck itself).",
        shouldDisplay: false)

    func run() throws {
        // Die with the parent: a daemon killed with SIGKILL must not leave a worker restoring into a
        // scratch directory that the next start-up is about to remove.
        let parent = getppid()
        _ = rc_set_parent_death_signal(SIGKILL)
        if getppid() != parent { Glibc.exit(1) }  // the parent died before prctl took effect
        // libarchive converts names through the locale; in "C" it returns NULL for UTF-8 names.
        setlocale(LC_CTYPE, "C.UTF-8")
        // libarchive turns every zip entry's DOS time into a time_t with mktime(), twice per entry, and
        // with TZ unset glibc stats /etc/localtime on each call: 21,000 stats for a 10,000-file zip,
        // ~15 % of a 20-file sample. A fixed zone stops that; no entry time is used by the worker.
        setenv("TZ", "UTC0", 1)
        tzset()
        let input = FileHandle.standardInput.readDataToEndOfFile()
        let request: WorkerRequest
        do {
            request = try JSONDecoder().decode(WorkerRequest.self, from: input)
        } catch {
            FileHandle.standardError.write(Data("restore-worker: bad request: \(error)\n".utf8))
            throw ExitCode(ExitStatus.usage)
        }
        // Fail closed: a worker that could not put its limits on itself parses nothing hostile.
        if let refused = WorkerLimits.apply(request.limits) {
            var report = WorkerReport()
            report.fatal = Finding(
                path: request.displayPath ?? request.archivePath, reason: .internalError,
                detail: "the restore worker could not confine itself (\(refused)); the archive was not read unconfined")
            emit(.report(report))
            return
        }
        let worker = RestoreWorker(request: request, validators: Validators(sqlite: SQLiteIntegrityValidator())) { progress in
            emit(.progress(progress))
        }
        emit(.report(worker.run()))
    }

    private func emit(_ event: WorkerEvent) {
        let data = WorkerWire.encode(event)
        data.withUnsafeBytes { raw in
            var done = 0
            while done < raw.count {
                let written = write(1, raw.baseAddress! + done, raw.count - done)
                if written <= 0 {
                    if errno == EINTR { continue }
                    Glibc.exit(1)  // the parent is gone; nobody to report to
                }
                done += written
            }
        }
    }
}

/// The rlimits a worker puts on itself before it parses anything hostile.
enum WorkerLimits {
    /// Sets every limit; returns a description of the first one refused (nil when all took effect).
    static func apply(_ limits: RestoreLimits) -> String? {
        // Per-file size ceiling; EFBIG from write() becomes limit_exceeded instead of a SIGXFSZ death.
        signal(SIGXFSZ, SIG_IGN)
        let wanted: [(String, __rlimit_resource, Int64)] = [
            ("RLIMIT_AS", RLIMIT_AS, limits.memoryBytes),
            // CPU time: the wall deadline plus a margin; the supervisor's deadline normally fires first.
            ("RLIMIT_CPU", RLIMIT_CPU, Int64(limits.timeout.seconds) + 60),
            ("RLIMIT_FSIZE", RLIMIT_FSIZE, limits.maxBytes),
            ("RLIMIT_NOFILE", RLIMIT_NOFILE, 64),
            ("RLIMIT_CORE", RLIMIT_CORE, 0),
        ]
        for (name, resource, value) in wanted {
            var limit = rlimit(rlim_cur: rlim_t(value), rlim_max: rlim_t(value))
            if setrlimit(Int32(resource.rawValue), &limit) != 0 {
                return "setrlimit(\(name), \(value)) failed: \(String(cString: strerror(errno)))"
            }
        }
        return nil
    }
}
