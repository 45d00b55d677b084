import ArchiveKit
import ArchiveFormats
import Foundation
import Glibc
import RestoreCheckCore

/// The restore itself: runs inside the `restore-worker` process, one per archive.
///
/// One pass over the archive: each header is validated, chosen files are written below the scratch
/// root by `ScratchWriter` and hashed in the same pass, and everything else is skipped. The sample is
/// drawn from the manifest up front for `files:` samples, chosen in a header-only pass for other
/// samples of seekable archives, and otherwise chosen as the pass goes (`ReservoirSampler`). Per-file
/// facts (digest matches or not, size honest or not, name safe or not) are findings; judging the test
/// is the parent's job. Per-file memory is a few dozen bytes (`Manifest`, `NameLedger`).
///
/// The worker trusts nothing in the archive. It is run in its own process because libarchive may hang,
/// crash or `exit()` on hostile input; its supervisor turns that into an outcome.
public struct RestoreWorker {
    let request: WorkerRequest
    let progress: (WorkerProgress) -> Void
    let validators: Validators

    /// Findings listed per report; beyond this they are only counted.
    static let maxFindings = 1000

    /// `validators`: the `validate:` checks this worker can run (`Validators` lists who adds which).
    public init(request: WorkerRequest, validators: Validators = Validators(), progress: @escaping (WorkerProgress) -> Void) {
        self.request = request
        self.progress = progress
        self.validators = validators
    }

    /// A condition that ends the pass early; becomes `WorkerReport.fatal`.
    struct Stop: Error {
        var finding: Finding
    }

    public func run() -> WorkerReport {
        var state = RestorePass(request: request, validators: validators, progress: progress)
        state.loadManifest()
        state.sink.start()
        state.hasher?.start()
        // Every early end is a `Stop` with its own finding (typed throws: no other error can reach
        // here, so nothing unexpected is ever filed as the archive's fault).
        do throws(Stop) {
            try state.pass()
            try state.apply(state.finishHashing())
        } catch {
            state.report.fatal = error.finding
            // Close every file the sink still holds, so the parent can remove scratch.
            try? state.apply(state.finishHashing())
        }
        state.finish()
        return state.report
    }
}

/// The state and loop of one pass over the archive (kept out of `RestoreWorker` so `run()` stays a
/// value-level API). Its parts live beside it: `+Entries` (what each header becomes), `+Data`
/// (streaming a file under the budget, and the digests coming back), `+Findings` (errors, limits
/// and the final report); `SamplePlan`, `SampleBook`, `RestoreBudget`, `EntryClassifier` and
/// `HardLinkBook` hold the rules, each tested on its own.
struct RestorePass {
    let request: WorkerRequest
    let progress: (WorkerProgress) -> Void
    let validators: Validators
    /// `validate:` rules, and the restored files they apply to (checked after the pass).
    let validationRules: [(glob: EntryGlob, rule: Int)]
    var toValidate: [(name: EntryName, slot: Int32, rule: Int)] = []
    /// Restored files to compare with their live copies (`compare_with_source`), with their entries' times.
    var toCompare: [(name: EntryName, slot: Int32, time: Int64?)] = []
    var report = WorkerReport()
    var manifest: Manifest? { ledger.manifest }
    /// Everything remembered per name, in a few bytes each (see `NameLedger`).
    var ledger = NameLedger(manifest: nil)
    /// How the sample is chosen (see `SamplePlan`); its mode is settled before the first file.
    var plan: SamplePlan
    /// Restored members not yet final and digests not yet back (see `SampleBook`).
    var book: SampleBook
    /// `limits` as checks (see `RestoreBudget`).
    let budget: RestoreBudget
    var nextID = 0
    var decodedBytes: Int64 = 0
    var lastProgress = Clock.now
    var archiveBytesRead: Int64 = 0
    /// What a real restore would do with each header (names, links), shared with the planning pass.
    var classifier = EntryClassifier()
    var hardLinks = HardLinkBook()
    var format = ArchiveReader.Format.other(0)
    /// Hashes and writes on a second thread while this one decodes (see `RestoreSink`).
    let sink = RestoreSink()
    /// Hashes the files of a tree a backup tool restored, on both cores (`request.restoredTree`).
    let hasher: TreeHasher?
    /// Per-entry coverage state, for targets with `sample.coverage` (see `CoverageLedger`).
    var coverage: CoverageLedger?
    /// Set for `restorecheck restore`: what is written is kept (see `RestoreKeeper`).
    var keeper: RestoreKeeper?

    /// The archive's name in findings.
    var archiveName: String { request.displayPath ?? request.archivePath }

    init(request: WorkerRequest, validators: Validators, progress: @escaping (WorkerProgress) -> Void) {
        self.request = request
        self.progress = progress
        self.validators = validators
        self.validationRules = request.validate.enumerated().map { (EntryGlob($0.element.match), $0.offset) }
        self.plan = SamplePlan(request.sample, seed: request.seed)
        self.budget = RestoreBudget(limits: request.limits)
        self.book = SampleBook(settles: plan.settles)
        self.hasher = request.restoredTree != nil ? TreeHasher() : nil
    }

    /// Results of files hashed since the last call, from whichever stage hashed them.
    func takeCompletions() -> [RestoreSink.Completion] {
        sink.takeCompletions() + (hasher?.takeCompletions() ?? [])
    }

    /// Stops the hashing stages and returns their remaining results.
    func finishHashing() -> [RestoreSink.Completion] {
        sink.finish() + (hasher?.finish() ?? [])
    }

    mutating func loadManifest() {
        guard let path = request.manifestPath else { return }
        do {
            let parsed = try Manifest(contentsOfFile: path)
            ledger = NameLedger(manifest: parsed)
            report.verifiedAgainstManifest = true
            report.manifestEntries = parsed.count
            report.manifestSHA256 = parsed.fileSHA256?.description
            if let coverageRequest = request.coverage {
                do { coverage = try CoverageLedger(manifestPath: path, manifest: parsed, request: coverageRequest) } catch {
                    report.coverageError = "\(error)"
                }
            }
            plan.draw(from: parsed, covered: { [coverage] in coverage?.isCovered($0) ?? false })
            followPlan()
        } catch {
            report.manifestError = error.description
        }
    }

    /// The book settles as the plan's mode does; the mode changes only before the first file.
    mutating func followPlan() {
        precondition(book.isEmpty, "the sample plan changed after a file was restored")
        book = SampleBook(settles: plan.settles)
    }

    mutating func pass() throws(RestoreWorker.Stop) {
        let start = Clock.now
        defer { report.elapsedSeconds = Clock.seconds(since: start) }
        var reader: ArchiveReader
        do {
            reader = try request.restoredTree != nil
                ? ArchiveReader(directory: request.archivePath)
                : openArchive(blockSize: plan.blockSize(forArchiveAt: request.archivePath))
        } catch {
            let unreadable = error.errno == EACCES || error.errno == EPERM
            throw RestoreWorker.Stop(
                finding: unreadable
                    ? Finding(path: archiveName, reason: .archiveUnreadable, detail: error.message)
                    : finding(for: error, path: archiveName))
        }
        if reader.decoderQueuesAhead { sink.shrinkPool(to: RestoreSink.slotsBehindQueuingDecoder) }
        var writer: ScratchWriter
        do {
            writer = try ScratchWriter(rootPath: request.scratchPath)
        } catch {
            throw RestoreWorker.Stop(finding: Finding(path: request.scratchPath, reason: .scratchError, detail: error.message))
        }
        if let options = request.restore, request.restoredTree == nil {
            writer.replacesWhatIsInTheWay = options.overwrite
            do { keeper = try RestoreKeeper(options, root: request.scratchPath) } catch {
                throw RestoreWorker.Stop(finding: Finding(path: request.scratchPath, reason: .scratchError, detail: error.message))
            }
        }
        defer {
            report.directorySeconds = writer.directorySeconds
            report.directoriesCreated = writer.directoriesCreated
        }
        /// The last regular file's declared size and the archive position after its header: its span
        /// in the archive is known at the next header (a seekable zip skips data lazily).
        var previousFile: (declared: Int64, start: Int64)?
        while true {
            let entry: ArchiveEntry?
            do {
                entry = try reader.nextEntry()
            } catch {
                throw RestoreWorker.Stop(finding: finding(for: error, path: archiveName, context: "after entry \(report.entries)"))
            }
            guard let entry else {
                noteSpan(of: &previousFile, reader.compressedBytesRead)
                report.storeWaitSeconds = reader.storeWaitSeconds
                break
            }
            if report.entries == 0 {
                report.format = reader.formatName
                report.filters = reader.filterNames
                format = reader.formatFamily
                let seekable = request.rangedArchive != nil || ArchiveSignature.isRegularFile(atPath: request.archivePath)
                plan.planIfSeekable(
                    reopen: seekable ? { [self] in try? openArchive(blockSize: SamplePlan.seekingBlockSize) } : nil,
                    filtered: reader.isFiltered, format: reader.formatFamily, manifest: manifest)
                followPlan()
            }
            report.entries += 1
            if let exceeded = budget.entriesExceeded(report.entries) { throw limit(exceeded) }
            noteSpan(of: &previousFile, reader.compressedBytesRead)
            if entry.kind == .regular, let declared = entry.declaredSize { previousFile = (declared, reader.compressedBytesRead) }
            try handle(entry, reader: &reader, writer: &writer)
            archiveBytesRead = reader.compressedBytesRead
            try checkRatio()
            reportProgressIfDue()
        }
    }

    /// The archive as the parent handed it over: a file (or a pipe) at `archivePath`, or an object
    /// the parent serves through range requests (`rangedArchive`).
    func openArchive(blockSize: Int) throws(ArchiveError) -> ArchiveReader {
        if let ranged = request.rangedArchive {
            return try ArchiveReader(rangedDescriptor: ranged.descriptor, size: ranged.size, name: request.displayPath)
        }
        return try ArchiveReader(path: request.archivePath, name: request.displayPath, blockSize: blockSize, head: request.archiveHead)
    }

    /// Counts a file the archive holds uncompressed (see `RestoreProjection.isIncompressible`) once
    /// its span is known, at the next header or the end.
    mutating func noteSpan(of file: inout (declared: Int64, start: Int64)?, _ position: Int64) {
        guard let known = file else { return }
        file = nil
        if RestoreProjection.isIncompressible(declared: known.declared, archiveBytes: position - known.start) {
            report.incompressibleBytes += known.declared
        }
    }
}
