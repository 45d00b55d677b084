import ArchiveKit
import Foundation
import Glibc

/// Carries out one restore test of one target: locate the restore point, measure its age against the
/// RPO, restore a sample in a worker, verify, project the full restore against the RTO, and build the
/// `Outcome`. Domain failures are data in the outcome; nothing here throws.
///
/// Shared by `restorecheck run` and the daemon's scheduler so both produce the same truth.
public struct CheckRunner: Sendable {
    public var scratchBase: String
    public var supervisor: WorkerSupervisor
    /// The wall clock; injected so tests can make a backup "old" without waiting.
    public var now: @Sendable () -> Date

    public init(scratchBase: String, supervisor: WorkerSupervisor, now: @escaping @Sendable () -> Date = { Date() }) {
        self.scratchBase = scratchBase
        self.supervisor = supervisor
        self.now = now
    }

    /// Live progress of one test, for a terminal progress line.
    public struct Progress: Sendable {
        public var target: String
        public var archiveBytes: Int64
        public var archiveBytesRead: Int64
        public var bytesRestored: Int64
        public var elapsedSeconds: Double
    }

    /// Runs the test. `cancellation` stops the worker and removes scratch; the outcome is then nil.
    /// Cancelling the calling task does the same (a ServiceGroup cancelling the scheduler when
    /// another service fails must not wait for a worker up to `limits.timeout`).
    public func check(
        _ target: Target, seed: UInt64, cancellation: CancellationFlag = CancellationFlag(),
        progress: @escaping @Sendable (Progress) -> Void = { _ in }
    ) async -> Outcome? {
        await withTaskCancellationHandler {
            await withCheckedContinuation { continuation in
                // The supervisor blocks in poll(2) for the whole test: it gets a thread of its own. Not a
                // cooperative thread (there are only as many as cores) and not DispatchQueue.global(),
                // whose width is also bounded by the core count: with max_concurrent above the number of
                // cores, tests would queue behind each other's blocked threads and miss their deadlines.
                let thread = Thread {
                    continuation.resume(returning: checkBlocking(target, seed: seed, cancellation: cancellation, progress: progress))
                }
                thread.name = "restorecheck supervisor \(target.name)"
                thread.start()
            }
        } onCancel: {
            // The supervisor's loop sees the flag within one poll (200 ms) and kills the worker's group.
            cancellation.cancel()
        }
    }

    func checkBlocking(
        _ target: Target, seed: UInt64, cancellation: CancellationFlag, progress: @escaping @Sendable (Progress) -> Void
    ) -> Outcome? {
        let started = now()
        var outcome = Outcome(
            target: target.name, tenant: target.tenant, status: .passed, reasons: [], summary: "",
            verification: .none, started: started, finished: started, sample: target.sample.summary, seed: seed,
            filesVerified: 0, bytesRestored: 0, rpoSeconds: target.rpo.seconds, rtoSeconds: target.rto.seconds,
            findings: [], findingsOmitted: 0, notes: [])
        var reasons: Set<OutcomeReason> = []

        // The restore point: the newest archive file, opened once (the worker reads it as fd 3), or a
        // repository's snapshot, which its tool restores into scratch below (the worker reads the tree).
        let fd: Int32
        let archive: ArchiveLocator.Candidate
        var repository: RepositoryRestore?
        var toolDirectory: ScratchDirectory?
        if let source = target.repository {
            do {
                toolDirectory = try ScratchDirectory.create(under: scratchBase, label: "\(target.name)-\(source.tool.rawValue)")
            } catch {
                return finish(&outcome, reasons: [.scratchError], summary: "cannot prepare the tool's directory: \(error)")
            }
            switch RepositoryRestore.locate(
                source, workDirectory: toolDirectory!.path, limits: target.limits, timeout: target.limits.timeout, cancellation: cancellation) {
            case .success(let found): repository = found
            case .failure(let failure):
                try? toolDirectory?.remove()
                // Cancelled (Ctrl-C, shutdown): no outcome, as when a worker is stopped.
                if cancellation.isCancelled { return nil }
                outcome.archive = source.display
                if failure.reason == .noArchive { outcome.rpoMet = false }
                outcome.findings.append(Finding(path: source.display, reason: failure.reason, detail: failure.detail))
                return finish(&outcome, reasons: [failure.reason], summary: failure.detail)
            }
            fd = -1
            archive = ArchiveLocator.Candidate(path: repository!.snapshot.display, modificationTime: repository!.snapshot.time.timeIntervalSince1970, size: 0)
            outcome.archive = archive.path
        } else {
            guard let candidate = ArchiveLocator.newest(matching: target.archiveGlob) else {
                outcome.rpoMet = false
                return finish(&outcome, reasons: [.noArchive], summary: "no archive matches \(target.archiveGlob)")
            }
            // Open once and judge what was opened: age and size from fstat, and the same descriptor goes
            // to the worker. A backup job renaming a new archive into place mid-test cannot make the
            // verdict mix two restore points.
            switch SystemCalls.open(candidate.path, O_RDONLY | O_CLOEXEC) {
            case .success(let opened):
                fd = opened
            case .failure(let error):
                outcome.archive = candidate.path
                let reason: OutcomeReason = error.rawValue == EACCES || error.rawValue == EPERM ? .archiveUnreadable : .noArchive
                return finish(&outcome, reasons: [reason], summary: "cannot open \(candidate.path): \(error)")
            }
            let status: stat
            switch SystemCalls.fstat(fd) {
            case .success(let found):
                status = found
            case .failure(let error):
                SystemCalls.close(fd)
                outcome.archive = candidate.path
                return finish(&outcome, reasons: [.archiveUnreadable], summary: "cannot stat \(candidate.path): \(error)")
            }
            archive = ArchiveLocator.Candidate(
                path: candidate.path,
                modificationTime: Double(status.st_mtim.tv_sec) + Double(status.st_mtim.tv_nsec) / 1e9,
                size: Int64(status.st_size))
            outcome.archive = archive.path
            outcome.archiveBytes = archive.size
            outcome.archiveModifiedTimestamp = Date(timeIntervalSince1970: archive.modificationTime)
            // One volume of a split archive holds part of a stream: read alone it would look damaged.
            if let volume = ArchiveSignature.splitVolume(atPath: archive.path) {
                SystemCalls.close(fd)
                return finish(
                    &outcome, reasons: [.unsupportedFormat],
                    summary: "\(volume): restorecheck reads whole archives, not volumes; join them (zip -s 0, cat) and point archives: at the result")
            }
        }
        var fdOpen = fd >= 0
        defer {
            if fdOpen { SystemCalls.close(fd) }
            try? toolDirectory?.remove()
        }
        var canaryKey: [UInt8]?
        if let canary = target.canary {
            // The restore point's time comes from the restored canary, judged after the restore.
            outcome.restorePointSource = "canary"
            do { canaryKey = try Canary.key(at: canary.keyPath, create: false) } catch {
                return finish(&outcome, reasons: [.internalError], summary: "cannot read the canary key: \(error)")
            }
        } else {
            outcome.restorePointSource = repository == nil ? "archive_mtime" : "snapshot_time"
            judgeRestorePoint(
                Date(timeIntervalSince1970: archive.modificationTime), path: archive.path, started: started, target: target, outcome: &outcome,
                reasons: &reasons)
        }

        // A repository's manifest template takes the snapshot's ID (borg: the archive's name).
        let manifestPath = target.manifestPath(forArchive: repository?.snapshot.id ?? archive.path)
        outcome.manifest = manifestPath
        var usableManifest = manifestPath
        if let manifestPath, !FileManager.default.fileExists(atPath: manifestPath) {
            reasons.insert(.manifestMissing)
            outcome.notes.append("manifest \(manifestPath) not found: verified for integrity only")
            usableManifest = nil
        }

        let scratch: ScratchDirectory
        do {
            scratch = try ScratchDirectory.create(under: scratchBase, label: target.name)
        } catch {
            reasons.insert(.scratchError)
            return finish(&outcome, reasons: reasons, summary: "cannot prepare scratch: \(error)")
        }

        var sample = target.sample
        if let canary = target.canary { sample.include.append(canary.entry) }
        var request = WorkerRequest(
            archivePath: "/proc/self/fd/3", scratchPath: scratch.path, manifestPath: usableManifest,
            sample: sample, seed: seed, limits: target.limits)
        request.displayPath = archive.path
        request.checkContent = target.contentChecks != .off
        request.validate = target.validate
        request.liveSource = target.liveSource
        request.backupStarted = repository?.snapshot.time.timeIntervalSince1970
        let coverage = usableManifest == nil ? nil : CoverageTracking(target: target, today: CoverageState.day(of: started))
        do { request.coverage = try coverage?.prepare() } catch {
            outcome.notes.append("coverage not tracked: \(error)")
        }
        var restored: RepositoryTest?
        if let repository {
            switch RepositoryTest.restore(
                repository, target: target, sample: sample, seed: seed, manifest: usableManifest, coverage: request.coverage, into: scratch,
                cancellation: cancellation)
            {
            case .restored(let test):
                restored = test
                request.archivePath = scratch.path
                request.restoredTree = RestoredTree(requested: test.requested)
                request.sample = SampleSpec(size: .all)
            case .failed(let failure):
                try? scratch.remove()
                if cancellation.isCancelled { return nil }
                outcome.findings.append(Finding(path: archive.path, reason: failure.reason, detail: failure.detail))
                reasons.insert(failure.reason)
                return finish(&outcome, reasons: reasons, summary: failure.detail)
            }
        }
        let result = supervisor.run(request, archive: fd >= 0 ? fd : nil, cancellation: cancellation) { update in
            progress(Progress(
                target: target.name, archiveBytes: archive.size, archiveBytesRead: update.archiveBytesRead,
                bytesRestored: update.bytesRestored, elapsedSeconds: now().timeIntervalSince(started)))
        }
        if fdOpen {
            SystemCalls.close(fd)
            fdOpen = false
        }
        let canaryBytes = target.canary.flatMap { scratch.readRestoredFile($0.entry, limit: 4096) }
        // Validation commands need the restored files: they run before scratch is removed.
        var commands = CommandResults()
        if case .finished(let report, _) = result, report.fatal == nil {
            commands = runCommands(report.commandCandidates, target: target, scratch: scratch.path, cancellation: cancellation)
        }
        do { try scratch.remove() } catch {
            outcome.notes.append("scratch not fully removed: \(error)")
        }
        switch result {
        case .cancelled:
            return nil
        case .failed(let reason, let message, let seconds):
            outcome.restoreSeconds = seconds
            reasons.insert(reason)
            outcome.findings.append(Finding(path: archive.path, reason: reason, detail: message))
            return finish(&outcome, reasons: reasons, summary: message)
        case .finished(var report, let seconds):
            outcome.restoreSeconds = seconds + commands.seconds
            report.findings += commands.findings
            report.filesValidated += commands.files
            report.validationSeconds += commands.seconds
            let projected = restored.map { $0.projectedSeconds(validation: report.validationSeconds) } ?? RestoreProjection.fullRestoreSeconds(report)
            apply(report, to: &outcome, reasons: &reasons, target: target, projected: projected)
            if let restored {
                outcome.restoreSeconds = restored.seconds + seconds + commands.seconds
                restored.judge(report, target: target, outcome: &outcome, reasons: &reasons)
            }
            if let coverage, request.coverage != nil { coverage.record(report, into: &outcome) }
            if let manifest = usableManifest, report.fatal == nil, report.verifiedAgainstManifest, let changes = ChangeTracking(target: target) {
                changes.compare(manifest: manifest, report: report, outcome: &outcome, reasons: &reasons)
            }
            if let canary = target.canary, let canaryKey {
                judge(canary, restored: canaryBytes, key: canaryKey, target: target, started: started, outcome: &outcome, reasons: &reasons)
            }
            return finish(&outcome, reasons: reasons, summary: summarize(report, outcome: outcome, reasons: reasons))
        }
    }

    /// What the validation commands found, and how long they took.
    struct CommandResults {
        var findings: [Finding] = []
        var files = 0
        var seconds = 0.0
    }

    /// Runs each command rule on each restored file it matched, one at a time, each in its own
    /// sandbox (`SandboxedCommand`).
    private func runCommands(_ candidates: [CommandCandidate], target: Target, scratch: String, cancellation: CancellationFlag) -> CommandResults {
        var results = CommandResults()
        let start = Clock.now
        if !candidates.isEmpty, let why = SandboxedCommand.handOver(scratch: scratch) {
            results.findings = candidates.map { Finding(path: $0.name, reason: .internalError, detail: "validation command not run: \(why)") }
            return results
        }
        for candidate in candidates where !cancellation.isCancelled {
            guard candidate.rule < target.validate.count, let command = target.validate[candidate.rule].command else { continue }
            let rule = target.validate[candidate.rule]
            results.files += 1
            let result = SandboxedCommand.run(
                command, scratch: scratch, fileName: candidate.name, target: target.name, tenant: target.tenant, timeout: rule.timeout,
                limits: target.limits, cancellation: cancellation)
            let program = (command.first as NSString?)?.lastPathComponent ?? "command"
            switch result {
            case .passed:
                continue
            case .failed(let status, let output):
                results.findings.append(Finding(
                    path: candidate.name, reason: .validationFailed, detail: "\(program): \(status)" + (output.isEmpty ? "" : ": \(output)")))
            case .timedOut(let output):
                results.findings.append(Finding(
                    path: candidate.name, reason: .validationTimeout,
                    detail: "\(program): killed after its timeout of \(rule.timeout)" + (output.isEmpty ? "" : "; output: \(output)")))
            case .couldNotRun(let why):
                results.findings.append(Finding(path: candidate.name, reason: .internalError, detail: "\(program): \(why)"))
            }
        }
        results.seconds = Clock.seconds(since: start)
        return results
    }

    /// `projected`: the full restore's time for the RTO (`RestoreProjection` for archives,
    /// `RepositoryTest` for repositories); nil when it cannot be told.
    private func apply(_ report: WorkerReport, to outcome: inout Outcome, reasons: inout Set<OutcomeReason>, target: Target, projected: Double?) {
        outcome.archiveFormat = ([report.format] + report.filters).filter { !$0.isEmpty }.joined(separator: " + ")
        outcome.verification = report.filesRestoredAll == 0 ? .none : (report.verifiedAgainstManifest ? .manifest : .integrityOnly)
        if report.verifiedAgainstManifest == false, outcome.verification != .none, !reasons.contains(.manifestMissing), report.manifestError == nil {
            // What "integrity" means depends on who read the data: libarchive's format checks, or the tool's own.
            let checked = target.repository.map {
                "\($0.tool.rawValue) verified every chunk it restored against its ID and reported what it could not restore"
            } ?? "sampled files were decoded and sizes and the format's CRCs checked"
            outcome.notes.append("integrity only: no manifest configured; \(checked), but content was not compared with checksums")
        }
        if let manifestError = report.manifestError {
            reasons.insert(.manifestInvalid)
            outcome.notes.append("manifest unusable (\(manifestError)): verified for integrity only")
        }
        outcome.manifestSha256 = report.manifestSHA256
        outcome.filesVerified = report.filesVerified
        outcome.bytesRestored = report.bytesVerified
        outcome.filesInArchive = report.regularFiles
        outcome.bytesInArchive = report.totalFileBytes
        // After any finding made before the restore (a restore point dated in the future).
        outcome.findings += report.findings
        outcome.findingsOmitted = report.findingsOmitted
        if !target.validate.isEmpty, report.fatal == nil {
            outcome.filesValidated = report.filesValidated
            outcome.validationSeconds = report.validationSeconds
            outcome.notes.append(report.filesValidated == 0
                ? "validate: no restored file matched a rule (include: restores the files a check needs in every test)"
                : "validate: \(report.filesValidated) file(s) checked in \(TimeSpan.format(report.validationSeconds))")
        }
        if let live = report.liveComparison { outcome.notes.append(live.summary) }
        if target.contentChecks == .warn { Self.noteSuspiciousContent(in: &outcome) }
        for finding in outcome.findings { reasons.insert(finding.reason) }
        if let fatal = report.fatal {
            reasons.insert(fatal.reason)
            outcome.findings.insert(fatal, at: 0)
        }
        if !report.duplicateNames.isEmpty {
            outcome.notes.append(
                "\(report.duplicateNames.count) duplicate entry name(s), last copy verified as a restore would keep it: \(report.duplicateNames.prefix(5).joined(separator: ", "))")
        }
        if report.filesNotInManifest > 0 {
            outcome.notes.append("\(report.filesNotInManifest) file(s) in the archive are not in the manifest and were not sampled")
        }
        if report.rootStrippedNames > 0 {
            outcome.notes.append(
                "\(report.rootStrippedNames) entry name(s) began with '/': restored below scratch with it stripped, as GNU tar and unzip do")
        }
        if report.linksRecorded > 0 || report.specialEntriesSkipped > 0 {
            outcome.notes.append(
                "\(report.linksRecorded) link(s) and \(report.specialEntriesSkipped) special file(s) recorded, not created")
        }
        if let projected {
            outcome.projectedFullRestoreSeconds = projected
            outcome.rtoMet = projected <= target.rto.seconds
            if outcome.rtoMet == false { reasons.insert(.rtoExceeded) }
        }
        // A repository's count is the snapshot's, not the sample's: `RepositoryTest.judge` checks it.
        if report.regularFiles == 0, report.fatal == nil, target.repository == nil {
            // Nothing would come back from this backup. An all-zero file (a failed disk, a preallocated
            // upload that never finished) also reads as an empty tar: never let that pass.
            reasons.insert(.entryMissing)
            outcome.findings.append(Finding(
                path: outcome.archive ?? "", reason: .entryMissing, detail: "the archive holds no files"))
        }
    }

    /// `content_checks: warn`: `suspicious_content` findings become notes (the first 20, then a
    /// count), so they are recorded but do not judge the test.
    private static func noteSuspiciousContent(in outcome: inout Outcome) {
        let recorded = outcome.findings.filter { $0.reason == .suspiciousContent }
        outcome.findings.removeAll { $0.reason == .suspiciousContent }
        for finding in recorded.prefix(20) {
            outcome.notes.append("suspicious content (content_checks: warn): \(finding.path): \(finding.detail ?? "")")
        }
        if recorded.count > 20 { outcome.notes.append("\(recorded.count - 20) more suspicious file(s) (content_checks: warn)") }
    }

    /// The RPO rule (`RestorePointAge`): the restore point at `time` (named `path` in a finding) is
    /// its age old when the test starts, and met when that is at most the target's RPO; a time in the
    /// future beyond `clock_skew` is not met, with a finding that says so.
    @discardableResult
    private func judgeRestorePoint(
        _ time: Date, path: String, started: Date, target: Target, outcome: inout Outcome, reasons: inout Set<OutcomeReason>
    ) -> RestorePointAge {
        let judged = RestorePointAge(of: time, at: started, allowance: target.clockSkew)
        outcome.backupTimestamp = time
        switch judged {
        case .age(let age):
            outcome.backupAgeSeconds = age
            outcome.rpoMet = age <= target.rpo.seconds
        case .future(let ahead):
            outcome.backupAgeSeconds = nil
            outcome.rpoMet = false
            outcome.findings.append(Finding(
                path: path, reason: .rpoExceeded, detail: RestorePointAge.futureDetail(time, ahead: ahead, allowance: target.clockSkew)))
        }
        if outcome.rpoMet == false { reasons.insert(.rpoExceeded) }
        return judged
    }

    /// The RPO judged on the restored canary's capture time: a missing, unreadable, forged or stale
    /// canary is `rpo_exceeded` (nothing proves the restore point is recent enough).
    private func judge(
        _ canary: CanarySpec, restored: [UInt8]?, key: [UInt8], target: Target, started: Date, outcome: inout Outcome,
        reasons: inout Set<OutcomeReason>
    ) {
        let modifiedAge = outcome.archiveModifiedTimestamp.map { max(0, started.timeIntervalSince($0)) }
        let verdict = restored.map { Canary.verify($0, key: key, target: target.name) } ?? .failure(.missing(canary.entry))
        switch verdict {
        case .success(let proof):
            let judged = judgeRestorePoint(proof.captured, path: canary.entry, started: started, target: target, outcome: &outcome, reasons: &reasons)
            guard case .age(let age) = judged else { return }
            outcome.notes.append(
                "restore point from the canary: captured \(TimeSpan.format(age)) before the test; the archive was modified \(modifiedAge.map(TimeSpan.format) ?? "?") before it")
            if outcome.rpoMet == false {
                outcome.findings.append(Finding(
                    path: canary.entry, reason: .rpoExceeded,
                    detail: "canary stale: captured \(TimeSpan.format(age)) before the test, RPO \(TimeSpan.format(target.rpo.seconds))"))
            }
        case .failure(let problem):
            outcome.rpoMet = false
            reasons.insert(.rpoExceeded)
            outcome.findings.append(Finding(path: canary.entry, reason: .rpoExceeded, detail: problem.description))
        }
    }

    private func summarize(_ report: WorkerReport, outcome: Outcome, reasons: Set<OutcomeReason>) -> String {
        if let fatal = report.fatal { return "\(fatal.reason.rawValue): \(fatal.detail ?? fatal.path)" }
        if let first = outcome.findings.first {
            let more = outcome.findings.count + outcome.findingsOmitted - 1
            return "\(first.reason.rawValue): \(first.path)" + (more > 0 ? " (+\(more) more)" : "")
        }
        var text = "\(report.filesVerified) of \(report.regularFiles) files verified"
        text += outcome.verification == .manifest ? " against the manifest" : " (integrity only)"
        if reasons.contains(.rpoExceeded), let age = outcome.backupAgeSeconds {
            text += "; backup is \(TimeSpan.format(age)) old, RPO \(TimeSpan.format(outcome.rpoSeconds))"
        }
        if reasons.contains(.rtoExceeded), let projected = outcome.projectedFullRestoreSeconds {
            text += "; full restore projected at \(TimeSpan.format(projected)), RTO \(TimeSpan.format(outcome.rtoSeconds))"
        }
        return text
    }

    private func finish(_ outcome: inout Outcome, reasons: Set<OutcomeReason>, summary: String) -> Outcome {
        outcome.reasons = reasons.sorted()
        outcome.status = Outcome.status(for: outcome.reasons)
        outcome.summary = summary
        outcome.finished = now()
        return outcome
    }
}
