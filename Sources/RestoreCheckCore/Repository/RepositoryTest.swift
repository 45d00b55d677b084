import Foundation

/// A repository target's test around the restore worker: before it, the tool restores the sample
/// (or the whole snapshot) into scratch; after it, the tool's own verdict, the snapshot's counts and
/// the RTO projection join the worker's findings.
///
/// What is restored: `files: all` restores the whole snapshot, with no listing taken (the tool
/// reports what it could not restore, and a manifest names what is missing). A `files:` sample with
/// a manifest is drawn from the manifest as for archives (`RepositoryRestore.draw`); other samples
/// list the snapshot and draw from it (`RepositoryRestore.list`); either way only the drawn files
/// are restored. A sampled
/// test of a target with no full restore on record restores everything once, so that the RTO has a
/// measured full restore to be projected from (`RepositoryRestoreTime`).
struct RepositoryTest {
    let repository: RepositoryRestore
    /// The snapshot's listing and the sample drawn from it; nil when the whole snapshot was restored.
    let listing: RepositoryRestore.Listing?
    let restored: RepositoryRestore.Restored
    /// The full restore a sampled test is projected from.
    let record: RepositoryRestoreTime?
    /// The target asked for a sample, and got a full restore for lack of a record.
    let promoted: Bool

    enum Started {
        case restored(RepositoryTest)
        case failed(RepositoryRestore.Failure)
    }

    /// The names the tool was asked for, as the restored tree names them; nil for the whole snapshot.
    var requested: [String]? { listing.map { $0.sample.map { String($0.drop { $0 == "/" }) } } }

    /// The tool's restore time.
    var seconds: Double { restored.seconds }

    /// Lists (for a sample) and restores into `scratch`. A restore the tool could not finish in time,
    /// or whose sandbox could not start, is a failure; one the tool finished with errors is not yet:
    /// the worker still verifies what came back, and `judge` adds the tool's words.
    /// `only`: a restore's `--include`: the snapshot is listed and only the files it takes restored.
    static func restore(
        _ repository: RepositoryRestore, target: Target, sample: SampleSpec, seed: UInt64, manifest: String?, coverage: CoverageRequest?,
        only: IncludeFilter? = nil, into scratch: ScratchDirectory, cancellation: CancellationFlag
    ) -> Started {
        let timeout = target.limits.timeout
        let record = target.restoreTimePath.flatMap(RepositoryRestoreTime.load)
        let filtered = only.map { !$0.isEmpty } ?? false
        let whole = !filtered && (sample.size == .all || record == nil)
        var listing: RepositoryRestore.Listing?
        if let only, filtered {
            switch repository.list(matching: only, timeout: timeout, cancellation: cancellation) {
            case .success(let listed) where listed.sample.isEmpty:
                return .failed(RepositoryRestore.Failure(reason: .entryMissing, detail: "no file of \(repository.snapshot.display) matches --include"))
            case .success(let listed): listing = listed
            case .failure(let failure): return .failed(failure)
            }
        } else if !whole, let manifest, let drawn = repository.draw(sample, seed: seed, manifest: manifest, coverage: coverage) {
            listing = drawn
        } else if !whole {
            switch repository.list(sample: sample, seed: seed, timeout: timeout, cancellation: cancellation) {
            case .success(let listed): listing = listed
            case .failure(let failure): return .failed(failure)
            }
        }
        let name = repository.tool.source.tool.rawValue
        let restored: RepositoryRestore.Restored
        switch repository.restore(listing?.sample, into: scratch.path, timeout: timeout, cancellation: cancellation) {
        case .success(let done): restored = done
        case .failure(let failure): return .failed(failure)
        }
        if restored.run.cancelled { return .failed(RepositoryRestore.Failure(reason: .timeout, detail: "\(name) restore cancelled")) }
        if restored.run.timedOut {
            return .failed(RepositoryRestore.Failure(
                reason: .timeout,
                detail: "\(name) did not finish restoring \(repository.snapshot.display) within \(TimeSpan.format(timeout.seconds)) (limits.timeout); killed"))
        }
        if restored.sandboxFailed {
            return .failed(RepositoryRestore.Failure(reason: .internalError, detail: "the restore sandbox could not start: \(restored.run.errorOutput)"))
        }
        return .restored(RepositoryTest(repository: repository, listing: listing, restored: restored, record: whole || filtered ? nil : record,
                                        promoted: whole && sample.size != .all))
    }

    /// When restic's only errors are device nodes it could not create (the sandbox drops
    /// `CAP_MKNOD`), confirmed as device nodes by the snapshot's listing: their paths. Otherwise nil.
    func devicesTheSandboxCouldNotCreate(target: Target) -> [String]? {
        guard repository.tool.source.tool == .restic, !restored.run.timedOut, !restored.run.cancelled,
            let paths = RepositoryTool.permissionFailures(inResticErrors: restored.run.errorOutput),
            let devices = repository.deviceNodes(among: paths, timeout: target.limits.timeout), devices.count == Set(paths).count
        else { return nil }
        return paths
    }

    /// The full restore's time for the RTO: measured when everything was restored, else projected
    /// from the record; plus the `validate:` checks' time, as for archives.
    func projectedSeconds(validation: Double) -> Double? {
        guard let listing else { return restored.seconds + validation }
        return record.map { $0.projected(files: listing.files, bytes: listing.bytes, sampleSeconds: restored.seconds) + validation }
    }

    /// Adds the tool's verdict and the snapshot's counts to the outcome, and records a full
    /// restore's time for later samples.
    func judge(_ report: WorkerReport, target: Target, into outcome: OutcomeBuilder) {
        let name = repository.tool.source.tool.rawValue
        let snapshot = repository.snapshot.display
        let status = restored.run.status.map { "\($0)" } ?? "not started"
        if restored.failed, let devices = devicesTheSandboxCouldNotCreate(target: target) {
            // Our sandbox's doing, not the backup's: as borg's warning for the same is a note.
            outcome.note(
                "restic could not recreate \(devices.count) device node(s) (\(devices.prefix(3).joined(separator: ", "))): the restore sandbox "
                    + "holds no CAP_MKNOD; a restore as root creates them. Every other file was restored and verified")
        } else if restored.failed {
            outcome.record(
                Finding(path: snapshot, reason: .archiveCorrupt, detail: "\(name) could not restore all it was asked for (\(status)): \(restored.run.errorOutput)"),
                first: true)
        } else if !restored.run.errorOutput.isEmpty {
            outcome.note("\(name) said while restoring (\(status)): \(restored.run.errorOutput)")
        }
        if let listing {
            outcome.outcome.filesInArchive = listing.files
            if let bytes = listing.bytes {
                outcome.outcome.bytesInArchive = bytes
            } else {
                outcome.outcome.bytesInArchive = nil
                outcome.note("sample drawn from the manifest's \(listing.files) entries; the snapshot's files were not listed")
            }
            if let record { outcome.note(record.note) }
        }
        if (listing?.files ?? report.regularFiles) == 0, report.fatal == nil, !restored.failed {
            outcome.record(Finding(path: snapshot, reason: .entryMissing, detail: "the snapshot holds no files"))
        }
        guard listing == nil else { return }
        if promoted {
            outcome.note(
                "the whole snapshot was restored, not a sample: no full restore of this target was on record to project the RTO from")
        }
        guard !restored.failed, report.fatal == nil, let path = target.restoreTimePath else { return }
        let time = RepositoryRestoreTime(
            seconds: restored.seconds, bytes: report.totalFileBytes, files: report.regularFiles, snapshot: snapshot, recorded: Date())
        do { try time.write(to: path) } catch {
            outcome.note("full restore time not recorded: \(error.message)")
        }
    }
}
