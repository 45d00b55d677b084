import ArchiveKit
import Glibc
import RestoreCheckCore

/// Streaming one file's data to the hash/write thread under the budget, passing over data that is
/// not sampled, and applying the digests that come back.
extension RestorePass {
    /// Restores one entry: creates its file, then streams its data to the sink, which writes and
    /// hashes it on the other core. The digest comes back later as a completion (`apply`).
    mutating func restore(
        _ entry: ArchiveEntry, as name: EntryName, slot: Int32, id: Int, reader: inout ArchiveReader, writer: inout ScratchWriter
    ) throws(RestoreWorker.Stop) -> SampleBook.Member {
        let openStart = Clock.now
        do {
            let content = request.checkContent ? ContentExpectation.of(name) : nil
            let partial = keeper == nil ? nil : id
            try sink.begin(id: id, content: content) { () throws(ScratchWriter.Failure) in try writer.create(name, partial: partial) }
        } catch {
            throw scratchStop(error)
        }
        report.fileOverheadSeconds += Clock.seconds(since: openStart)
        // Data time includes waiting for the sink when it is the slower stage: it is the pipeline's
        // real throughput, which is what the RTO projection needs.
        let dataStart = Clock.now
        let waitStart = reader.storeWaitSeconds
        let compressedStart = reader.compressedBytesRead
        var position: Int64 = 0
        let declared = entry.declaredSize
        var finding: Finding?
        var blocks = 0
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
            blocks += 1
            // A restore gives earlier files their final names while a long one streams, so an
            // interruption keeps every file that was complete (a test settles at the next entry).
            if keeper != nil, blocks % 64 == 0 { try apply(takeCompletions()) }
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
        // Object storage's answers are the store's time, not the restore's (`storeWaitSeconds`).
        let dataSeconds = Clock.seconds(since: dataStart) - (reader.storeWaitSeconds - waitStart)
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

    /// A file a backup tool already restored (`request.restoredTree`): opened where it lies and handed
    /// to the tree hasher; nothing is created or written. Its size is charged to `limits.max_bytes`
    /// as the tool wrote it.
    mutating func restoreInPlace(
        _ entry: ArchiveEntry, as name: EntryName, slot: Int32, id: Int, hasher: TreeHasher, writer: inout ScratchWriter
    ) throws(RestoreWorker.Stop) -> SampleBook.Member {
        let size = max(0, entry.declaredSize ?? 0)
        try chargeBytes(upTo: size)
        let start = Clock.now
        let fd: Int32
        do { fd = try writer.openRestored(name) } catch { throw scratchStop(error) }
        hasher.hash(id: id, fd: fd, content: request.checkContent ? ContentExpectation.of(name) : nil)
        report.dataSeconds += Clock.seconds(since: start)
        report.bytesRestoredAll += size
        report.filesRestoredAll += 1
        reportProgressIfDue()
        return SampleBook.Member(name: name, slot: slot, bytes: size, finding: nil)
    }

    /// Turns the sink's finished entries into findings: a write failure stops the test (scratch full,
    /// or the size limit), a digest that differs from the manifest is `checksum_mismatch`. A failure
    /// of an entry that has left the sample meanwhile is still reported.
    mutating func apply(_ completions: [RestoreSink.Completion]) throws(RestoreWorker.Stop) {
        for completion in completions {
            if let suspicion = completion.suspicion, let name = book.inFlightName(completion.id) {
                // Reported whatever the digest says, and even if the file later leaves the sample.
                add(Finding(path: name.description, reason: .suspiciousContent, detail: suspicion.description))
            }
            let completed = book.complete(
                id: completion.id, digest: completion.digest, bytes: completion.bytes, failure: completion.failure,
                expected: { ledger.expectedDigest($0) })
            do {
                if let problem = try keeper?.finished(completion.id, completed) { add(problem) }
            } catch { throw scratchStop(error) }
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
    mutating func discard(_ entry: ArchiveEntry, reader: inout ArchiveReader) throws(RestoreWorker.Stop) {
        sink.flush()  // the files restored so far are hashed while this entry's data is passed over
        let start = Clock.now
        let waitStart = reader.storeWaitSeconds
        defer { report.skipSeconds += Clock.seconds(since: start) - (reader.storeWaitSeconds - waitStart) }
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
    mutating func chargeBytes(upTo end: Int64) throws(RestoreWorker.Stop) {
        if let exceeded = budget.bytesExceeded(restoredBefore: report.bytesRestoredAll, entryEnd: end) { throw limit(exceeded) }
    }

    mutating func checkRatio() throws(RestoreWorker.Stop) {
        if let exceeded = budget.ratioExceeded(decoded: decodedBytes, archiveRead: archiveBytesRead) { throw limit(exceeded) }
    }
}
