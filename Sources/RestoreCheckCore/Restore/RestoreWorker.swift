import ArchiveKit
import Foundation
import Glibc

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

    /// Findings listed per report; beyond this they are only counted.
    static let maxFindings = 1000

    public init(request: WorkerRequest, progress: @escaping (WorkerProgress) -> Void) {
        self.request = request
        self.progress = progress
    }

    /// A condition that ends the pass early; becomes `WorkerReport.fatal`.
    struct Stop: Error {
        var finding: Finding
    }

    public func run() -> WorkerReport {
        var state = PassState(request: request, progress: progress)
        state.loadManifest()
        state.sink.start()
        // Every early end is a `Stop` with its own finding (typed throws: no other error can reach
        // here, so nothing unexpected is ever filed as the archive's fault).
        do throws(Stop) {
            try state.pass()
            try state.apply(state.sink.finish())
        } catch {
            state.report.fatal = error.finding
            // Close every file the sink still holds, so the parent can remove scratch.
            try? state.apply(state.sink.finish())
        }
        state.finish()
        return state.report
    }
}

/// The mutable state of one pass (kept out of `RestoreWorker` so `run()` stays a value-level API).
private struct PassState {
    let request: WorkerRequest
    let progress: (WorkerProgress) -> Void
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

    /// The archive's name in findings.
    var archiveName: String { request.displayPath ?? request.archivePath }

    init(request: WorkerRequest, progress: @escaping (WorkerProgress) -> Void) {
        self.request = request
        self.progress = progress
        self.plan = SamplePlan(request.sample, seed: request.seed)
        self.budget = RestoreBudget(limits: request.limits)
        self.book = SampleBook(settles: plan.settles)
    }

    mutating func loadManifest() {
        guard let path = request.manifestPath else { return }
        do {
            let parsed = try Manifest(contentsOfFile: path)
            ledger = NameLedger(manifest: parsed)
            report.verifiedAgainstManifest = true
            report.manifestEntries = parsed.count
            plan.draw(from: parsed)
            book = SampleBook(settles: plan.settles)
        } catch {
            report.manifestError = error.description
        }
    }

    mutating func pass() throws(RestoreWorker.Stop) {
        let start = Clock.now
        defer { report.elapsedSeconds = Clock.seconds(since: start) }
        var reader: ArchiveReader
        do {
            reader = try ArchiveReader(path: request.archivePath, blockSize: plan.blockSize(forArchiveAt: request.archivePath))
        } catch {
            let unreadable = error.errno == EACCES || error.errno == EPERM
            throw RestoreWorker.Stop(
                finding: unreadable
                    ? Finding(path: archiveName, reason: .archiveUnreadable, detail: error.message)
                    : finding(for: error, path: archiveName))
        }
        var writer: ScratchWriter
        do {
            writer = try ScratchWriter(rootPath: request.scratchPath)
        } catch {
            throw RestoreWorker.Stop(finding: Finding(path: request.scratchPath, reason: .scratchError, detail: error.message))
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
                break
            }
            if report.entries == 0 {
                report.format = reader.formatName
                report.filters = reader.filterNames
                format = reader.formatFamily
                plan.planIfSeekable(
                    archivePath: request.archivePath, filtered: reader.isFiltered, format: reader.formatFamily, manifest: manifest)
                book = SampleBook(settles: plan.settles)
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

    /// Counts a file the archive holds uncompressed (see `RestoreProjection.isIncompressible`) once
    /// its span is known, at the next header or the end.
    private mutating func noteSpan(of file: inout (declared: Int64, start: Int64)?, _ position: Int64) {
        guard let known = file else { return }
        file = nil
        if RestoreProjection.isIncompressible(declared: known.declared, archiveBytes: position - known.start) {
            report.incompressibleBytes += known.declared
        }
    }

    private mutating func handle(_ entry: ArchiveEntry, reader: inout ArchiveReader, writer: inout ScratchWriter) throws(RestoreWorker.Stop) {
        let kind = classifier.classify(entry, format: format)
        switch kind {
        case .unsafe(let detail):
            add(Finding(path: entry.displayName, reason: .unsafeEntry, detail: detail))
            try discard(entry, reader: &reader)
            return
        case .root:
            return
        case .directory:
            report.directoryEntries += 1
            return
        case .symlink(let name, let target):
            // Recorded as data, never created: a link's target is outside our control.
            report.linksRecorded += 1
            let slot = ledger.slot(for: NameKey(name))
            ledger.markSeen(slot)
            if let expected = ledger.expectedDigest(slot), !symlinkServes(expected, link: name, target: target) {
                add(Finding(
                    path: name.description, reason: .entryMissing,
                    detail: "the manifest lists a file; the archive holds a symlink to '\(String(decoding: target, as: UTF8.self))', "
                        + "which does not restore the listed content",
                    expectedSHA256: expected.description))
            }
            try discard(entry, reader: &reader)
            return
        case .special(let name, let special):
            report.specialEntriesSkipped += 1
            let slot = ledger.slot(for: NameKey(name))
            ledger.markSeen(slot)
            if let expected = ledger.expectedDigest(slot) {
                add(Finding(
                    path: name.description, reason: .entryMissing,
                    detail: "the manifest lists a file; the archive holds a \(special) under that name",
                    expectedSHA256: expected.description))
            }
            try discard(entry, reader: &reader)
            return
        case .awaitingLinkData(let name):
            report.regularFiles += 1
            let slot = ledger.slot(for: NameKey(name))
            ledger.markSeen(slot)
            hardLinks.awaitData(slot, name: name)
            try discard(entry, reader: &reader)
            return
        case .hardlink(let name, let target, let carriesData):
            let slot = ledger.slot(for: NameKey(name))
            let targetSlot = ledger.slot(for: NameKey(target))
            guard ledger.isSeen(targetSlot) else {
                // The header-only plan cannot know the target is missing and counted a data-carrying
                // link as a file, as `restoreFile` would have: keep the two passes' ordinals aligned.
                if carriesData { plan.passOver(entry, name, listed: manifest == nil || ledger.isListed(slot)) }
                ledger.markSeen(slot)
                if manifest == nil || ledger.isListed(slot) {
                    add(Finding(
                        path: name.description, reason: .entryMissing,
                        detail: "hard link to '\(target)', which no earlier entry of the archive holds: a restore cannot create it"))
                }
                try discard(entry, reader: &reader)
                return
            }
            guard carriesData else {
                report.linksRecorded += 1
                ledger.markSeen(slot)
                hardLinks.link(slot, name: name, to: targetSlot, targetName: target)
                try discard(entry, reader: &reader)
                return
            }
            hardLinks.dataArrived(at: slot, linkedTo: targetSlot)
            try restoreFile(entry, as: name, reader: &reader, writer: &writer)
        case .regular(let name):
            try restoreFile(entry, as: name, reader: &reader, writer: &writer)
        }
    }

    /// Whether a symlink where the manifest lists a file still restores the listed content: it points
    /// (relative to its own directory, staying in the tree) at a file the manifest lists with the same
    /// digest. `sha256sum` follows links, so a manifest of a tree with relative links lists them so.
    private func symlinkServes(_ expected: SHA256Digest, link: EntryName, target: [UInt8]) -> Bool {
        guard target.first != UInt8(ascii: "/") else { return false }
        var parts = Array(link.components.dropLast())
        for part in target.split(separator: UInt8(ascii: "/")) {
            if part.elementsEqual(".".utf8) { continue }
            if part.elementsEqual("..".utf8) {
                guard !parts.isEmpty else { return false }
                parts.removeLast()
            } else {
                parts.append(part)
            }
        }
        guard case .success(let resolved) = EntryName.validate(Array(parts.joined(separator: [UInt8(ascii: "/")]))),
            let slot = manifest?.slot(of: NameKey(resolved))
        else { return false }
        return ledger.expectedDigest(Int32(slot)) == expected
    }

    /// A header whose data a restore writes as the file `name`: counted, sampled, restored or passed over.
    private mutating func restoreFile(_ entry: ArchiveEntry, as name: EntryName, reader: inout ArchiveReader, writer: inout ScratchWriter) throws(RestoreWorker.Stop) {
        report.regularFiles += 1
        report.totalFileBytes += max(0, entry.declaredSize ?? 0)
        let slot = ledger.slot(for: NameKey(name))
        if !ledger.markSeen(slot), report.duplicateNames.count < RestoreWorker.maxFindings {
            report.duplicateNames.append(name.description)
        }
        if entry.isEncrypted {
            add(Finding(path: name.description, reason: .encryptedEntry, detail: "entry is encrypted; restorecheck has no key"))
            try discard(entry, reader: &reader)
            return
        }
        if manifest != nil, !ledger.isListed(slot) {
            report.filesNotInManifest += 1
            try discard(entry, reader: &reader)
            return
        }
        supersede(slot, name: name)
        let id = nextID
        nextID += 1
        let (chosen, evicted) = plan.choose(name, slot: slot, id: id, bytes: entry.declaredSize ?? 0)
        for dropped in book.evict(evicted) {
            writer.remove(dropped.name)
            // A failure found is never thrown away, even if the file leaves the sample.
            if let finding = dropped.finding { add(finding) }
        }
        guard chosen else {
            try discard(entry, reader: &reader)
            return
        }
        // Registered before completions are applied: a fast completion of this very entry must find it.
        book.register(id, try restore(entry, as: name, slot: slot, id: id, reader: &reader, writer: &writer))
        try apply(sink.takeCompletions())
    }

    /// A duplicate name replaces the earlier copy, as on a real restore: the earlier copy leaves the
    /// sample, and a result already settled for it is taken back.
    private mutating func supersede(_ slot: Int32, name: EntryName) {
        book.supersede(slot)  // the last copy wins; the earlier one's digest is moot
        switch ledger.unsettle(slot) {
        case .none:
            break
        case .verified(let bytes):
            report.filesVerified -= 1
            report.bytesVerified -= bytes
        case .failed:
            let path = name.description
            if let index = report.findings.lastIndex(where: { $0.path == path }) {
                report.findings.remove(at: index)
            } else if report.findingsOmitted > 0 {
                report.findingsOmitted -= 1
            }
        }
    }

    /// Records a sample member's final result (settling modes only).
    private mutating func settle(_ slot: Int32, bytes: Int64, finding: Finding?) {
        if let finding {
            add(finding)
            ledger.settle(slot, result: .failed)
        } else {
            report.filesVerified += 1
            report.bytesVerified += bytes
            ledger.settle(slot, result: .verified(bytes: bytes))
        }
    }

    /// Restores one entry: creates its file, then streams its data to the sink, which writes and
    /// hashes it on the other core. The digest comes back later as a completion (`apply`).
    private mutating func restore(
        _ entry: ArchiveEntry, as name: EntryName, slot: Int32, id: Int, reader: inout ArchiveReader, writer: inout ScratchWriter
    ) throws(RestoreWorker.Stop) -> SampleBook.Member {
        let openStart = Clock.now
        do {
            try sink.begin(id: id) { () throws(ScratchWriter.Failure) in try writer.create(name) }
        } catch {
            throw scratchStop(error)
        }
        report.fileOverheadSeconds += Clock.seconds(since: openStart)
        // Data time includes waiting for the sink when it is the slower stage: it is the pipeline's
        // real throughput, which is what the RTO projection needs.
        let dataStart = Clock.now
        let compressedStart = reader.compressedBytesRead
        var position: Int64 = 0
        let declared = entry.declaredSize
        var finding: Finding?
        readLoop: while true {
            let block: ArchiveReader.DataBlock?
            do {
                block = try reader.readBlock()
            } catch {
                if error.isFatal {
                    sink.end(truncateTo: nil)
                    throw RestoreWorker.Stop(finding: self.finding(for: error, path: name.description))
                }
                finding = self.finding(for: error, path: name.description)
                break readLoop
            }
            guard let block else { break }
            if block.offset > position {
                // A sparse hole: zeros in the logical file. Hashed; left a hole on disk.
                try chargeBytes(upTo: block.offset)
                sink.zeros(block.offset - position)
                position = block.offset
            }
            let (writable, overflows) = RestoreBudget.writable(block.bytes.count, at: position, declared: declared)
            let bytes = UnsafeRawBufferPointer(rebasing: block.bytes.prefix(writable))
            if overflows, let declared {
                // The entry delivers more than its header declared: never let it write past that.
                finding = Finding(
                    path: name.description, reason: .sizeMismatch,
                    detail: "entry delivers more data than the \(declared) bytes its header declares",
                    expectedSize: declared)
            }
            try chargeBytes(upTo: position + Int64(bytes.count))
            sink.write(bytes, at: position)
            position += Int64(bytes.count)
            decodedBytes += Int64(block.bytes.count)
            archiveBytesRead = reader.compressedBytesRead
            try checkRatio()
            if finding != nil { break readLoop }
            reportProgressIfDue()
        }
        var truncateTo: Int64?
        if finding == nil {
            switch RestoreBudget.ending(at: position, declared: declared, sparse: entry.isSparse) {
            case .complete:
                break
            case .sparseTail(let end):
                try chargeBytes(upTo: end)
                sink.zeros(end - position)
                truncateTo = end
                position = end
            case .short(let declared):
                finding = Finding(
                    path: name.description, reason: .sizeMismatch,
                    detail: "entry delivered \(position) of the \(declared) bytes its header declares",
                    expectedSize: declared, actualSize: position)
            }
        }
        sink.end(truncateTo: truncateTo)
        let dataSeconds = Clock.seconds(since: dataStart)
        report.dataSeconds += dataSeconds
        if RestoreProjection.isIncompressible(declared: position, archiveBytes: reader.compressedBytesRead - compressedStart) {
            report.incompressibleFit.add(x: Double(position), y: dataSeconds)
        } else {
            report.dataFit.add(x: Double(position), y: dataSeconds)
        }
        report.bytesRestoredAll += position
        report.filesRestoredAll += 1
        return SampleBook.Member(name: name, slot: slot, bytes: position, finding: finding)
    }

    /// Turns the sink's finished entries into findings: a write failure stops the test (scratch full,
    /// or the size limit), a digest that differs from the manifest is `checksum_mismatch`. A failure
    /// of an entry that has left the sample meanwhile is still reported.
    mutating func apply(_ completions: [RestoreSink.Completion]) throws(RestoreWorker.Stop) {
        for completion in completions {
            let completed = book.complete(
                id: completion.id, digest: completion.digest, bytes: completion.bytes, failure: completion.failure,
                expected: { ledger.expectedDigest($0) })
            switch completed {
            case .nothing:
                continue
            case .writeFailed(let name, let failure):
                throw scratchStop(ScratchWriter.Failure(errno: failure.errno, operation: failure.operation, path: name.description))
            case .settled(let slot, let bytes, let finding):
                settle(slot, bytes: bytes, finding: finding)
            case .lostMemberFailed(let finding):
                add(finding)
            }
        }
    }

    /// Passes over an entry's data without restoring it. In a compressed stream "skipping" decodes
    /// anyway, so it reads block by block to keep the ratio and progress checks alive during a bomb;
    /// where libarchive can seek (plain tar, zip's central directory) it skips.
    private mutating func discard(_ entry: ArchiveEntry, reader: inout ArchiveReader) throws(RestoreWorker.Stop) {
        let start = Clock.now
        defer { report.skipSeconds += Clock.seconds(since: start) }
        let mustDecode = reader.isFiltered || reader.formatFamily == .sevenZip
        if !mustDecode {
            do { try reader.skipData() } catch {
                throw RestoreWorker.Stop(finding: finding(for: error, path: entry.displayName))
            }
            return
        }
        while true {
            let block: ArchiveReader.DataBlock?
            do {
                block = try reader.readBlock()
            } catch {
                if error.isFatal { throw RestoreWorker.Stop(finding: finding(for: error, path: entry.displayName)) }
                return  // this entry is unreadable, but it is not in the sample; the next header decides
            }
            guard let block else { return }
            decodedBytes += Int64(block.bytes.count)
            report.skipDecodedBytes += Int64(block.bytes.count)
            archiveBytesRead = reader.compressedBytesRead
            try checkRatio()
            reportProgressIfDue()
        }
    }

    /// Checks `limits.max_bytes` before the current entry grows to `end` bytes: the files restored
    /// so far plus this one, so a single huge entry is stopped too (not only by RLIMIT_FSIZE, which
    /// sees written bytes but not hashed sparse holes).
    private mutating func chargeBytes(upTo end: Int64) throws(RestoreWorker.Stop) {
        if let exceeded = budget.bytesExceeded(restoredBefore: report.bytesRestoredAll, entryEnd: end) { throw limit(exceeded) }
    }

    private mutating func checkRatio() throws(RestoreWorker.Stop) {
        if let exceeded = budget.ratioExceeded(decoded: decodedBytes, archiveRead: archiveBytesRead) { throw limit(exceeded) }
    }

    /// What a libarchive error means for the outcome, from ArchiveKit's code (never the message):
    /// running out of memory under the worker's `RLIMIT_AS` (a hostile xz/7z header can demand a
    /// 4 GiB dictionary) is `limit_exceeded`; a codec or format the reader lacks is
    /// `unsupported_format` (ours to fix, not the backup's); encryption is `encrypted_entry`; only
    /// libarchive's verdict on the data itself is `archive_corrupt`.
    private func finding(for error: ArchiveError, path: String, context: String? = nil) -> Finding {
        let detail = context.map { "\($0): \(error.message)" } ?? error.message
        switch error.code {
        case .outOfMemory:
            return Finding(
                path: path, reason: .limitExceeded,
                detail: "memory limit (limits.memory = \(ByteCount.format(request.limits.memoryBytes))) reached: \(detail)")
        case .unsupported: return Finding(path: path, reason: .unsupportedFormat, detail: detail)
        case .encrypted: return Finding(path: path, reason: .encryptedEntry, detail: detail)
        default: return Finding(path: path, reason: .archiveCorrupt, detail: detail)
        }
    }

    private func limit(_ detail: String) -> RestoreWorker.Stop {
        RestoreWorker.Stop(finding: Finding(path: archiveName, reason: .limitExceeded, detail: detail))
    }

    private func scratchStop(_ failure: ScratchWriter.Failure) -> RestoreWorker.Stop {
        if failure.isSizeLimit {
            return limit("file size limit reached: \(failure.message)")
        }
        return RestoreWorker.Stop(finding: Finding(path: request.scratchPath, reason: .scratchError, detail: failure.message))
    }

    private mutating func add(_ finding: Finding) {
        if report.findings.count < RestoreWorker.maxFindings {
            report.findings.append(finding)
        } else {
            report.findingsOmitted += 1
        }
    }

    private mutating func reportProgressIfDue() {
        let now = Clock.now
        guard Clock.seconds(from: lastProgress, to: now) >= request.progressInterval else { return }
        lastProgress = now
        progress(WorkerProgress(archiveBytesRead: archiveBytesRead, bytesRestored: report.bytesRestoredAll, entries: report.entries))
    }

    /// Turns the final sample and the manifest's unseen entries into the report.
    mutating func finish() {
        // Settling modes have settled every member by now; the evicting reservoir settles here.
        for member in book.drain() {
            settle(member.slot, bytes: member.bytes, finding: member.finding)
        }
        if report.fatal == nil { judgeHardLinks() }
        report.rootStrippedNames = classifier.rootStripped
        (report.sinkSeconds, report.sinkBytes, report.sinkFit) = sink.measuredWork
        // Entries the manifest promises but the archive lacks. Only meaningful after a full pass.
        if manifest != nil, report.fatal == nil { reportMissing() }
        report.findings.sort { $0.path < $1.path }
    }

    /// Hard-link members that carry no data hold their group's data after a restore: judged now that
    /// every restored file has settled (see `HardLinkBook`).
    private mutating func judgeHardLinks() {
        for (member, verdict) in hardLinks.judge(ledger, emptyDigest: .ofEmpty) {
            switch verdict {
            case .unjudged:
                continue
            case .verified(let bytes):
                settle(member.slot, bytes: bytes, finding: nil)
            case .mismatch(let actual, let detail):
                settle(member.slot, bytes: 0, finding: Finding(
                    path: member.name.description, reason: .checksumMismatch, detail: detail,
                    expectedSHA256: ledger.expectedDigest(member.slot)?.description, actualSHA256: actual?.description))
            }
        }
    }

    /// The index knows which manifest slots were never seen, but keeps no names: read the manifest
    /// again to name them. Only runs when something is missing.
    private mutating func reportMissing() {
        var unnamed = ledger.unseenListedCount
        guard unnamed > 0, let path = request.manifestPath, let manifest else { return }
        var named: [Finding] = []
        var namedCount = 0
        do {
            try Manifest.forEachEntry(inFile: path) { name, digest in
                guard let slot = manifest.slot(of: NameKey(name)), !ledger.isSeen(Int32(slot)) else { return true }
                ledger.markSeen(Int32(slot))  // a name listed twice is reported once
                namedCount += 1
                if named.count < RestoreWorker.maxFindings {
                    named.append(Finding(path: name.description, reason: .entryMissing,
                                         detail: "listed in the manifest, absent from the archive", expectedSHA256: digest.description))
                }
                return namedCount < unnamed
            }
        } catch {
            // Fall through: the manifest vanished or changed since it was read; say so rather than guess.
        }
        for finding in named { add(finding) }
        report.findingsOmitted += namedCount - named.count
        unnamed -= namedCount
        if unnamed > 0 {
            add(Finding(path: path, reason: .entryMissing,
                        detail: "\(unnamed) entries listed in the manifest are absent from the archive; the manifest "
                            + "changed while it was being read, so they cannot be named"))
        }
    }
}

/// Monotonic time in seconds (`CLOCK_MONOTONIC`), cheap enough to read per block.
enum Clock {
    static var now: UInt64 {
        var spec = timespec()
        clock_gettime(CLOCK_MONOTONIC, &spec)
        return UInt64(spec.tv_sec) * 1_000_000_000 + UInt64(spec.tv_nsec)
    }

    static func seconds(since start: UInt64) -> Double { seconds(from: start, to: now) }

    static func seconds(from start: UInt64, to end: UInt64) -> Double { Double(end &- start) / 1e9 }
}
