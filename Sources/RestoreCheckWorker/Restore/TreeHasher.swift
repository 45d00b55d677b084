import Foundation
import Glibc
import RestoreCheckCore

/// Hashes the files a backup tool restored into scratch (a repository target's tree), on two
/// threads, each reading whole files into a buffer of its own: what `RestoreSink` does for an
/// archive's stream, for files that are already on disk.
///
/// Why not the sink: the sink hashes in the archive's order on one thread, because a stream's bytes
/// arrive in order. A restored file can be read by anyone at any time, so files are independent
/// and both cores hash. Measured on the bench set (1 GiB, 9,999 files restored by restic): the
/// worker's in-place pass took ~1.0 s through libarchive's disk reader and the sink; ~0.4 s here.
///
/// The queue is bounded (`maxQueued` descriptors), which caps open files under the worker's
/// RLIMIT_NOFILE; results come back as the sink's `Completion`s, in any order.
final class TreeHasher: @unchecked Sendable {
    // @unchecked: every shared field is guarded by `condition`; each thread's buffer, hasher and
    // inspector are its own.
    private struct Job {
        var id: Int
        var fd: Int32
        var content: ContentExpectation?
    }

    static let bufferSize = 256 * 1024
    static let maxQueued = 16
    private let threadCount: Int
    private let condition = NSCondition()
    private var jobs: [Job] = []
    private var completions: [RestoreSink.Completion] = []
    private var stopping = false
    private var running = 0
    private var work: (seconds: Double, bytes: Int64, fit: LinearFit) = (0, 0, LinearFit())

    init(threads: Int = 2) {
        threadCount = max(1, threads)
    }

    func start() {
        condition.lock()
        running = threadCount
        condition.unlock()
        for index in 0..<threadCount {
            let thread = Thread { [self] in run() }
            thread.name = "tree hasher \(index)"
            thread.start()
        }
    }

    /// Queues the file open at `fd` (this hasher closes it) for hashing; waits while the queue is full.
    func hash(id: Int, fd: Int32, content: ContentExpectation?) {
        condition.lock()
        while jobs.count >= Self.maxQueued { condition.wait() }
        jobs.append(Job(id: id, fd: fd, content: content))
        condition.broadcast()
        condition.unlock()
    }

    /// Files finished since the last call.
    func takeCompletions() -> [RestoreSink.Completion] {
        condition.lock()
        defer { condition.unlock() }
        let done = completions
        completions.removeAll()
        return done
    }

    /// Hashes what is queued, stops the threads and returns the remaining completions.
    func finish() -> [RestoreSink.Completion] {
        condition.lock()
        stopping = true
        condition.broadcast()
        while running > 0 { condition.wait() }
        condition.unlock()
        return takeCompletions()
    }

    /// The threads' time on data and the bytes they read, summed; complete once `finish` returned.
    var measuredWork: (seconds: Double, bytes: Int64, fit: LinearFit) {
        condition.lock()
        defer { condition.unlock() }
        return work
    }

    private func next() -> Job? {
        condition.lock()
        defer { condition.unlock() }
        while jobs.isEmpty && !stopping { condition.wait() }
        guard !jobs.isEmpty else { return nil }
        let job = jobs.removeFirst()
        condition.broadcast()
        return job
    }

    private func run() {
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: Self.bufferSize, alignment: 64)
        defer { buffer.deallocate() }
        var inspector = ContentInspector()
        while let job = next() {
            let start = Clock.now
            var hasher = SHA256()
            var read: Int64 = 0
            var failure: ScratchWriter.Failure?
            inspector.begin(job.content)
            while true {
                switch SystemCalls.read(job.fd, into: buffer) {
                case .success(0):
                    break
                case .success(let count):
                    let chunk = UnsafeRawBufferPointer(rebasing: buffer[0..<count])
                    hasher.update(chunk)
                    inspector.add(chunk)
                    read += Int64(count)
                    continue
                case .failure(let error):
                    failure = ScratchWriter.Failure(errno: error.rawValue, operation: "read", path: "")
                }
                break
            }
            SystemCalls.close(job.fd)
            let completion = RestoreSink.Completion(
                id: job.id, digest: hasher.finalize(), bytes: read, failure: failure, suspicion: inspector.verdict())
            let elapsed = Clock.seconds(since: start)
            condition.lock()
            completions.append(completion)
            work.seconds += elapsed
            work.bytes += read
            work.fit.add(x: Double(read), y: elapsed)
            condition.unlock()
        }
        condition.lock()
        running -= 1
        condition.broadcast()
        condition.unlock()
    }
}
