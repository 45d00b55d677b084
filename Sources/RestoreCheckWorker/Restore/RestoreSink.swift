import Foundation
import Glibc
import RestoreCheckCore

/// The second stage of the restore pipeline: hashes and writes restored data on a thread of its own
/// while the archive thread decodes the next blocks.
///
/// Measured before it existed (perf, full verify of a tar.gz): zlib 42 %, SHA-256 14 %, kernel copies
/// 26 %, one after the other on one core while the second core idled. Decoding must stay on one
/// thread (libarchive objects are not thread-safe), but hashing and writing need not: each block is
/// copied into a pooled buffer (libarchive reuses its own on the next call) and queued here.
///
/// Order is kept: jobs run in the order queued, so an entry's bytes are hashed in sequence. The queue
/// is bounded (`slots` buffers), which caps memory and makes a slow disk slow the decoder, not grow
/// a backlog.
///
/// Jobs are handed over in batches: the archive thread stages them and publishes a batch when it
/// holds a buffer's worth of data or `batchJobs` jobs, before it waits for anything, and at the end;
/// the sink thread takes everything published at once. Why: with one hand-over per job, a run of
/// small files woke the sink thread for every begin, block and end (perf, 200,000 files of 1-8 KiB:
/// scheduler functions 13 % of the sink thread's time).
///
/// Writing is shared: `pwrite` is positional, so a block may be written by either thread, in any
/// order, while hashing must stay in sequence on this one. When more than half the buffers are queued
/// (this thread is the slower stage: fast zstd, or a stretch of incompressible media in a gzip
/// stream), the archive thread writes the block itself and queues it for hashing only. Measured on
/// the bench tar.zst before this: this thread busy 1.18 s (SHA-256 0.67 s, writes 0.5 s), the
/// decoder 0.9 s.
final class RestoreSink: @unchecked Sendable {
    // @unchecked: the shared fields are guarded by `condition`; the per-entry hashing state is touched
    // only by the sink thread, and `producerFD`/`producerFailed` only by the archive thread.

    /// The outcome of one entry, delivered when its last byte is written.
    struct Completion {
        var id: Int
        var digest: SHA256Digest
        var bytes: Int64
        var failure: ScratchWriter.Failure?
        /// Set when the content check found the file's bytes suspicious (`ContentInspector`).
        var suspicion: ContentRule.Suspicion?
    }

    private enum Job {
        case begin(id: Int, fd: Int32, content: ContentExpectation?)
        /// `written`: the archive thread already wrote it (and `failure` is that write's result).
        case data(buffer: UnsafeMutableRawBufferPointer, count: Int, offset: Int64, written: Bool, failure: ScratchWriter.Failure?)
        case zeros(count: Int64)
        case end(truncateTo: Int64?)
        case stop
    }

    static let bufferSize = 256 * 1024
    /// 48 × 256 KiB = 12 MiB: enough queue for the decoder to run ahead through a stretch of
    /// incompressible media while the hasher catches up (worker alone, bench tar.gz: 2.76 s with 16
    /// buffers, 2.58 s with 48, no better with 96).
    static let defaultSlots = 48
    /// The pool behind a decoder that queues decoded blocks of its own (liblzma's threads hold up
    /// to two blocks per thread): that queue is the slack, and a deep pool only added resident
    /// memory (bench tar.xz: 66 MiB peak with 48 buffers, 60 MiB with 16).
    static let slotsBehindQueuingDecoder = 16
    /// Files open at once (created, not yet closed by this thread). Empty and tiny files take no or
    /// one buffer, so without this bound a run of them behind a large file opened file after file
    /// until the worker's RLIMIT_NOFILE (64) failed the test with EMFILE.
    static let maxOpenFiles = 24
    /// Jobs staged before a batch is published when they hold less than a buffer of data (a small
    /// file is three: begin, data, end).
    static let batchJobs = 16
    /// Buffers in the pool (guarded by `condition`).
    private var slots: Int
    private let condition = NSCondition()
    /// Published jobs the sink thread has not taken yet.
    private var jobs: [Job] = []
    private var free: [UnsafeMutableRawBufferPointer] = []
    private var completions: [Completion] = []
    private var stopped = false
    private var thread: Thread?
    /// Archive-thread side: the file being fed, and whether a write to it already failed there.
    private var producerFD: Int32 = -1
    /// Files created and not yet closed (guarded by `condition`).
    private var openFiles = 0
    private var producerFailed = false
    /// Archive-thread side: jobs staged for the next batch, their data bytes, and the files they begin.
    private var staged: [Job] = []
    private var stagedBytes = 0
    private var stagedFiles = 0
    /// Time this thread spent hashing and writing data, and the bytes (guarded by `condition`; set
    /// when the thread stops).
    private var work: (seconds: Double, bytes: Int64, fit: LinearFit) = (0, 0, LinearFit())

    init(slots: Int = RestoreSink.defaultSlots) {
        self.slots = slots
        for _ in 0..<slots {
            free.append(UnsafeMutableRawBufferPointer.allocate(byteCount: Self.bufferSize, alignment: 64))
        }
    }

    deinit {
        for buffer in free { buffer.deallocate() }
    }

    /// Shrinks the pool to `count` buffers; call before the first entry.
    func shrinkPool(to count: Int) {
        condition.lock()
        defer { condition.unlock() }
        precondition(free.count == slots, "the pool is shrunk before any buffer is taken")
        while free.count > max(1, count) { free.removeLast().deallocate() }
        slots = free.count
    }

    func start() {
        let thread = Thread { [self] in self.run() }
        thread.name = "restore sink"
        self.thread = thread
        thread.start()
    }

    // MARK: Archive-thread side

    /// Starts entry `id`: waits until fewer than `maxOpenFiles` files are open, then creates the file
    /// with `create` (which returns its descriptor; this sink closes it after the last byte).
    /// `content`: what the file's name promises, for the content check on this thread (nil: none).
    func begin(
        id: Int, content: ContentExpectation?, creating create: () throws(ScratchWriter.Failure) -> Int32
    ) throws(ScratchWriter.Failure) {
        condition.lock()
        if openFiles >= Self.maxOpenFiles { publishLocked() }
        while openFiles >= Self.maxOpenFiles { condition.wait() }
        openFiles += 1
        condition.unlock()
        let fd: Int32
        do {
            fd = try create()
        } catch {
            releaseFileSlot()
            throw error
        }
        producerFD = fd
        producerFailed = false
        stagedFiles += 1
        stage(.begin(id: id, fd: fd, content: content))
    }

    /// Copies `bytes` (which libarchive will overwrite) into pooled buffers and queues them; writes
    /// them here first when the sink thread is the one behind.
    func write(_ bytes: UnsafeRawBufferPointer, at offset: Int64) {
        var done = 0
        while done < bytes.count {
            let (buffer, sinkBehind) = takeBuffer()
            let count = min(Self.bufferSize, bytes.count - done)
            buffer.baseAddress!.copyMemory(from: bytes.baseAddress! + done, byteCount: count)
            let position = offset + Int64(done)
            var failure: ScratchWriter.Failure?
            if sinkBehind && !producerFailed {
                failure = Self.writeAll(fd: producerFD, bytes: UnsafeRawBufferPointer(rebasing: buffer[0..<count]), at: position)
                producerFailed = failure != nil
            }
            stagedBytes += count
            stage(.data(buffer: buffer, count: count, offset: position, written: sinkBehind, failure: failure))
            done += count
        }
    }

    /// Sparse holes: hashed as zeros, nothing written.
    func zeros(_ count: Int64) { stage(.zeros(count: count)) }

    /// Ends the current entry; `truncateTo` extends a file that ends in a hole.
    func end(truncateTo: Int64?) { stage(.end(truncateTo: truncateTo)) }

    /// Publishes the staged jobs now: before the archive thread spends a while on other work (data
    /// that is not restored), so the last restored files do not wait for the next batch.
    func flush() {
        guard !staged.isEmpty else { return }
        condition.lock()
        publishLocked()
        condition.unlock()
    }

    /// Entries finished since the last call.
    func takeCompletions() -> [Completion] {
        condition.lock()
        defer { condition.unlock() }
        let done = completions
        completions.removeAll()
        return done
    }

    /// Waits for every queued job, stops the thread, and returns the remaining completions.
    func finish() -> [Completion] {
        stage(.stop)
        condition.lock()
        publishLocked()
        while !stopped { condition.wait() }
        condition.unlock()
        return takeCompletions()
    }

    private func releaseFileSlot() {
        condition.lock()
        openFiles -= 1
        condition.broadcast()
        condition.unlock()
    }

    /// A free buffer, and whether the sink thread is the one behind: fewer than half the buffers
    /// free, or (small files, a buffer each) more than half the open-file slots waiting on it.
    private func takeBuffer() -> (UnsafeMutableRawBufferPointer, sinkBehind: Bool) {
        condition.lock()
        defer { condition.unlock() }
        if free.isEmpty { publishLocked() }
        while free.isEmpty { condition.wait() }
        let buffer = free.removeLast()
        return (buffer, free.count < slots / 2 || openFiles - stagedFiles > Self.maxOpenFiles / 2)
    }

    /// Stages `job`; publishes the batch once it holds a buffer of data or `batchJobs` jobs.
    private func stage(_ job: Job) {
        staged.append(job)
        guard stagedBytes >= Self.bufferSize || staged.count >= Self.batchJobs else { return }
        condition.lock()
        publishLocked()
        condition.unlock()
    }

    /// Hands the staged jobs to the sink thread (the caller holds `condition`).
    private func publishLocked() {
        guard !staged.isEmpty else { return }
        jobs.append(contentsOf: staged)
        staged.removeAll(keepingCapacity: true)
        stagedBytes = 0
        stagedFiles = 0
        condition.broadcast()
    }

    /// This thread's time on data and the bytes it handled; complete once `finish` has returned.
    /// `fit`: each file's time here against its size (the per-call costs of small files' writes
    /// would otherwise read as a per-byte cost).
    var measuredWork: (seconds: Double, bytes: Int64, fit: LinearFit) {
        condition.lock()
        defer { condition.unlock() }
        return work
    }

    // MARK: Sink thread

    /// Every published job, waiting for one (`taken` is the sink thread's own array, reused).
    private func takeJobs(into taken: inout [Job]) {
        taken.removeAll(keepingCapacity: true)
        condition.lock()
        defer { condition.unlock() }
        while jobs.isEmpty { condition.wait() }
        swap(&taken, &jobs)
    }

    private func recycle(_ buffer: UnsafeMutableRawBufferPointer) {
        condition.lock()
        free.append(buffer)
        condition.broadcast()
        condition.unlock()
    }

    private func complete(_ completion: Completion) {
        condition.lock()
        completions.append(completion)
        condition.unlock()
    }

    private static let zeroBlock = [UInt8](repeating: 0, count: 1 << 20)

    /// The entry being written (a class: it holds the non-copyable hasher).
    private final class Entry {
        let id: Int
        let fd: Int32
        var hasher = SHA256()
        var bytes: Int64 = 0
        var failure: ScratchWriter.Failure?
        init(id: Int, fd: Int32) {
            self.id = id
            self.fd = fd
        }
    }

    private func run() {
        var current: Entry?
        var inspector = ContentInspector()
        var busySeconds = 0.0
        var busyBytes: Int64 = 0
        var fit = LinearFit()
        var entrySeconds = 0.0
        var batch: [Job] = []
        var next = 0
        while true {
            if next == batch.count {
                takeJobs(into: &batch)
                next = 0
            }
            let job = batch[next]
            next += 1
            switch job {
            case .begin(let id, let fd, let content):
                current = Entry(id: id, fd: fd)
                inspector.begin(content)
                entrySeconds = 0
            case .data(let buffer, let count, let offset, let written, let failure):
                let start = Clock.now
                defer {
                    let seconds = Clock.seconds(since: start)
                    busySeconds += seconds
                    entrySeconds += seconds
                    busyBytes += Int64(count)
                }
                if let entry = current {
                    let bytes = UnsafeRawBufferPointer(rebasing: buffer[0..<count])
                    entry.hasher.update(bytes)
                    inspector.add(bytes)
                    entry.bytes += Int64(count)
                    if entry.failure == nil {
                        entry.failure = written ? failure : Self.writeAll(fd: entry.fd, bytes: bytes, at: offset)
                    }
                }
                recycle(buffer)
            case .zeros(let count):
                guard let entry = current else { continue }
                var remaining = count
                Self.zeroBlock.withUnsafeBytes { zeros in
                    while remaining > 0 {
                        let chunk = Int(min(remaining, Int64(zeros.count)))
                        entry.hasher.update(UnsafeRawBufferPointer(rebasing: zeros.prefix(chunk)))
                        remaining -= Int64(chunk)
                    }
                }
                entry.bytes += count
                inspector.addZeros(count)
            case .end(let truncateTo):
                guard let entry = current else { continue }
                current = nil
                var failure = entry.failure
                if let size = truncateTo, failure == nil, let error = SystemCalls.ftruncate(entry.fd, size) {
                    failure = ScratchWriter.Failure(errno: error.rawValue, operation: "truncate", path: "")
                }
                SystemCalls.close(entry.fd)
                releaseFileSlot()
                fit.add(x: Double(entry.bytes), y: entrySeconds)
                complete(Completion(
                    id: entry.id, digest: entry.hasher.finalize(), bytes: entry.bytes, failure: failure, suspicion: inspector.verdict()))
            case .stop:
                // An entry cut short (a limit hit mid-file) never got its `.end`: close its file so
                // the worker holds nothing in scratch when it reports.
                if let entry = current { SystemCalls.close(entry.fd) }
                condition.lock()
                work = (busySeconds, busyBytes, fit)
                stopped = true
                condition.broadcast()
                condition.unlock()
                return
            }
        }
    }

    private static func writeAll(fd: Int32, bytes: UnsafeRawBufferPointer, at offset: Int64) -> ScratchWriter.Failure? {
        SystemCalls.pwriteAll(fd, bytes, at: offset).map { ScratchWriter.Failure(errno: $0.rawValue, operation: "write", path: "") }
    }
}
