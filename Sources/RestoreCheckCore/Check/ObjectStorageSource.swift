import ArchiveFormats
import Foundation
import Glibc
import ObjectStorage

/// The newest object in a bucket whose key matches the target's glob, read where it lives: this
/// process lists, HEADs and fetches, and the worker gets the bytes as fd 3, keeping no network and
/// no credential. How the bytes travel depends on the format:
/// - tar, cpio and compressed streams: parallel ranged GETs conditional on the ETag
///   (`RangedFetcher`), written in order into a pipe;
/// - a sample of a zip or 7z: the worker's libarchive seeks, and each read is a range request on a
///   socket this process answers with a ranged GET (`RangeServer`), so the central directory, the
///   local headers and the sampled members are all that is fetched;
/// - a full test of a zip or 7z: fetched whole (parallel ranged GETs) into a file next to scratch,
///   then read as a local archive.
///
/// The object's key, ETag and version id are its identity (in the outcome's archive name, hence the
/// history and the evidence chain); its LastModified is the backup time. Faults of the store (wrong
/// credentials, a missing bucket, 5xx after retries, an object replaced mid-test) are
/// `source_unavailable`, an `error`: never blamed on the backup.
final class ObjectStorageSource: RestorePointSource {
    private let storage: ObjectStorageTarget
    private let target: Target
    private let scratchBase: String
    private var client: S3Client?
    private var object: S3Object?
    private var downloads: ScratchDirectory?
    private var pipe: (read: Int32, write: Int32)?
    private var fetcher: RangedFetcher?
    /// A zip's or 7z's sample: what answers the worker's range requests (kept for its statistics
    /// until `close`), and the socket's two ends while the service runs.
    private var rangeServer: RangeServer?
    private var rangeSocket: (ours: Int32, workers: Int32)?
    private let fetchDone = DispatchSemaphore(value: 0)
    private let choice: RestorePointChoice

    init(_ storage: ObjectStorageTarget, target: Target, scratchBase: String, choice: RestorePointChoice = .newest) {
        self.storage = storage
        self.target = target
        self.scratchBase = scratchBase
        self.choice = choice
    }

    func listPoints(cancellation: CancellationFlag) -> Result<[ListedRestorePoint], SourceFailure> {
        switch matchingObjects() {
        case .failure(let failure): return .failure(failure)
        case .success(let objects):
            return .success(objects.map { ListedRestorePoint(display: storage.bucket.display($0.key), time: $0.lastModified, bytes: $0.size) }
                .sorted { ($0.time, $0.display) > ($1.time, $1.display) })
        }
    }

    /// The objects whose keys match the target's glob, listed with this source's client.
    private func matchingObjects() -> Result<[S3Object], SourceFailure> {
        let credentials: S3Credentials
        do {
            credentials = try S3Credentials.load(
                file: storage.bucket.credentialsFile, profile: storage.bucket.profile, environment: ProcessInfo.processInfo.environment)
        } catch {
            return .failure(SourceFailure(reason: .sourceUnavailable, summary: "S3 credentials: \(error)", subject: storage.display))
        }
        let client = S3Client(bucket: storage.bucket, credentials: credentials)
        self.client = client
        do { return .success(try client.list(prefix: storage.listPrefix).filter { SystemCalls.keyGlobMatches(storage.keyGlob, $0.key) }) } catch {
            return .failure(Self.unavailable(error, subject: storage.display))
        }
    }

    /// The first bytes read to tell the format (one request of its own).
    private var peekBytes: Int64 = 0
    /// A zip or 7z object fetched whole: its file's descriptor and the seconds the fetch took.
    private var spooled: (fd: Int32, seconds: Double)?

    /// The archive descriptor the worker reads: the pipe's read end, the range socket's end, or the
    /// spooled file.
    var archiveDescriptor: Int32? { pipe?.read ?? rangeSocket?.workers ?? spooled?.fd }

    func locate(cancellation: CancellationFlag) -> Result<RestorePoint, SourceFailure> {
        let candidates: [S3Object]
        switch matchingObjects() {
        case .failure(let failure): return .failure(failure)
        case .success(let objects):
            candidates = objects.filter { choice.accepts(display: storage.bucket.display($0.key), time: $0.lastModified) }
        }
        guard let client else { return .failure(SourceFailure(reason: .internalError, summary: "no S3 client")) }
        guard let newest = candidates.max(by: { ($0.lastModified, $0.key) < ($1.lastModified, $1.key) }) else {
            return .failure(SourceFailure(reason: .noArchive, summary: "no object matches \(storage.display)"))
        }
        // The HEAD fixes the identity every read is then conditional on (and brings the version id).
        let located: S3Object
        do { located = try client.head(newest.key) } catch {
            return .failure(Self.unavailable(error, subject: storage.bucket.display(newest.key)))
        }
        object = located
        if let failure = checkBudget(for: located) { return .failure(failure) }
        var display = storage.bucket.display(located.key)
        if let version = located.versionID { display += "?versionId=\(version)" }
        if !located.etag.isEmpty { display += "#\(located.etag)" }
        // The listing's LastModified: a HEAD's has whole seconds only.
        return .success(RestorePoint(
            display: display, time: newest.lastModified, timeSource: "object_last_modified", manifestKey: located.key,
            archiveBytes: located.size, archiveModified: newest.lastModified))
    }

    /// Refuses a test that could read more than is left of the month's `egress_budget`: a stream
    /// or a full test reads the whole object, and a zip's sample is known to read less only after.
    private func checkBudget(for object: S3Object) -> SourceFailure? {
        guard let budget = target.egressBudget, let ledger = target.egressLedgerPath.map(EgressLedger.init) else { return nil }
        let now = Date()
        do { usedAtStart = try ledger.used(in: now) } catch {
            return SourceFailure(reason: .internalError, summary: "egress ledger: \(error.message)")
        }
        let needed = object.size + min(object.size, 8)
        guard usedAtStart + needed > budget else { return nil }
        let resets = ISO8601DateFormatter.string(from: EgressLedger.reset(after: now), timeZone: TimeZone(identifier: "UTC")!, formatOptions: [.withFullDate])
        return SourceFailure(
            reason: .egressBudgetExceeded,
            summary: "deferred: this test would read \(ByteCount.format(needed)) from object storage, and "
                + "\(ByteCount.format(usedAtStart)) of the \(ByteCount.format(budget))/month egress budget are used (it resets on \(resets))",
            subject: storage.bucket.display(object.key))
    }

    /// What this month's earlier tests had read when this one was located.
    private var usedAtStart: Int64 = 0

    /// The manifest is a key in the same bucket, downloaded next to (not into) the scratch directory.
    func manifest(named key: String, cancellation: CancellationFlag) -> ManifestLookup {
        let display = storage.bucket.display(key)
        guard let client else { return .missing(display: display) }
        let data: Data
        do { data = try client.object(key, limit: Self.manifestLimit) } catch {
            if error.kind == .noSuchKey { return .missing(display: display) }
            return .failed(Self.unavailable(error, subject: display))
        }
        do {
            let directory = try downloads ?? ScratchDirectory.create(under: scratchBase, label: "\(target.name).s3")
            downloads = directory
            let path = "\(directory.path)/manifest"
            try data.write(to: URL(fileURLWithPath: path))
            return .found(path: path, display: display)
        } catch {
            return .failed(SourceFailure(reason: .scratchError, summary: "cannot keep the manifest \(display): \(error)"))
        }
    }

    /// A manifest of ten million entries is ~1 GB; beyond 1 GiB something else is in that key.
    static let manifestLimit = 1 << 30

    /// Streams the object into a pipe the worker reads (tar, cpio and compressed streams); for a
    /// format whose index is at its end (zip, 7z), serves a sample's random reads (`serveRanges`)
    /// or, for a full test, fetches it whole into a file next to scratch (`spool`).
    func prepare(_ request: inout WorkerRequest, scratch: ScratchDirectory, cancellation: CancellationFlag) -> SourceFailure? {
        guard let client, let object else { return SourceFailure(reason: .internalError, summary: "prepare before locate") }
        let head: Data
        do { head = object.size == 0 ? Data() : try client.read(object, range: 0..<min(object.size, 8)) } catch {
            return Self.unavailable(error, subject: storage.bucket.display(object.key))
        }
        peekBytes = Int64(head.count)
        if ArchiveSignature.needsRandomAccess(head: Array(head)) {
            if request.sample.size == .all { return spool(object, client: client, cancellation: cancellation) }
            return serveRanges(object, client: client, request: &request)
        }
        let ends: (read: Int32, write: Int32)
        switch SystemCalls.pipe() {
        case .success(let made): ends = made
        case .failure(let error): return SourceFailure(reason: .internalError, summary: "cannot make the worker's pipe: \(error)")
        }
        pipe = ends
        // The worker cannot peek at a pipe: the bytes read above choose its decoder (ISA-L for gzip).
        request.archiveHead = Array(head)
        start(RangedFetcher(client: client, object: object), into: ends.write)
        return nil
    }

    /// Runs `fetcher` on a thread of its own into `fd`, closing `fd` when it ends: EOF for the
    /// worker, after the last byte or where a failure cut the stream.
    private func start(_ fetcher: RangedFetcher, into fd: Int32) {
        self.fetcher = fetcher
        let done = fetchDone
        let thread = Thread {
            fetcher.run(into: fd)
            SystemCalls.close(fd)
            done.signal()
        }
        thread.name = "restorecheck s3 \(target.name)"
        thread.start()
    }

    /// Gives the worker one end of a socket on which it asks for the ranges it reads, and answers
    /// them from the bucket on a thread of its own (`RangeServer`) until the worker closes its end.
    private func serveRanges(_ object: S3Object, client: S3Client, request: inout WorkerRequest) -> SourceFailure? {
        let ours: Int32, workers: Int32
        switch SystemCalls.socketPair() {
        case .success(let ends): (ours, workers) = ends
        case .failure(let error): return SourceFailure(reason: .internalError, summary: "cannot make the worker's socket: \(error)")
        }
        let server = RangeServer(client: client, object: object)
        rangeServer = server
        rangeSocket = (ours, workers)
        request.rangedArchive = RangedArchive(descriptor: 3, size: object.size)
        let done = fetchDone
        let thread = Thread {
            server.serve(ours)
            done.signal()
        }
        thread.name = "restorecheck s3 ranges \(target.name)"
        thread.start()
        return nil
    }

    /// Fetches the whole object into `downloads/object` and gives the worker that file: its
    /// transfer time is part of the restore time, as a repository tool's restore is.
    private func spool(_ object: S3Object, client: S3Client, cancellation: CancellationFlag) -> SourceFailure? {
        let started = Clock.now
        let path: String
        let fd: Int32
        do {
            let directory = try downloads ?? ScratchDirectory.create(under: scratchBase, label: "\(target.name).s3")
            downloads = directory
            path = "\(directory.path)/object"
            fd = try SystemCalls.open(path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0o600).get()
        } catch {
            return SourceFailure(reason: .scratchError, summary: "cannot spool \(storage.bucket.display(object.key)): \(error)")
        }
        let writer: Int32
        switch SystemCalls.dup(fd) {
        case .success(let copy): writer = copy
        case .failure(let error):
            SystemCalls.close(fd)
            return SourceFailure(reason: .internalError, summary: "cannot spool: \(error)")
        }
        let fetcher = RangedFetcher(client: client, object: object)
        start(fetcher, into: writer)
        while fetchDone.wait(timeout: .now() + 0.2) == .timedOut {
            if cancellation.isCancelled { fetcher.stop() }
        }
        spooled = (fd, Clock.seconds(since: started))
        if cancellation.isCancelled { return SourceFailure(reason: .internalError, summary: "cancelled") }
        if let error = fetcher.failure { return Self.unavailable(error, subject: storage.bucket.display(object.key)) }
        return nil
    }

    func workerFinished() -> SourceFailure? {
        if let server = rangeServer, rangeSocket != nil {
            // The worker has gone: the server reads the end of the stream (it may still be
            // answering the worker's last request).
            endRangeService(stopping: false)
            if let error = server.failure { return Self.unavailable(error, subject: storage.bucket.display(server.object.key)) }
            // The projection's fetch of the whole object needs the store's throughput: one read of
            // 1 % of the object (1–8 MiB) if the sample made none that large.
            server.measureThroughput(partBytes: min(RangedFetcher.defaultPartBytes, max(1 << 20, server.object.size / 100)))
            return nil
        }
        if let spooled {
            SystemCalls.close(spooled.fd)
            self.spooled = (-1, spooled.seconds)
            return nil
        }
        guard let fetcher, let pipe else { return nil }
        // The worker has gone; closing our copy of the read end makes the fetcher's next write fail
        // (EPIPE) if it is still streaming, and stop() ends its requests at their next chunk.
        SystemCalls.close(pipe.read)
        self.pipe = nil
        fetcher.stop()
        fetchDone.wait()
        guard let error = fetcher.failure else { return nil }
        let display = storage.bucket.display(fetcher.object.key)
        return Self.unavailable(error, subject: display)
    }

    /// The spooled fetch of a zip or 7z object; a stream's fetch overlaps the worker's time.
    var restoreSeconds: Double { spooled?.seconds ?? 0 }

    /// Ends a sample's range service: our copy of the worker's end closed (the server then reads
    /// the end of the stream), the server also stopped when the worker may never have run, and its
    /// thread waited for.
    private func endRangeService(stopping: Bool) {
        guard let socket = rangeSocket else { return }
        SystemCalls.close(socket.workers)
        if stopping { rangeServer?.stop() }
        fetchDone.wait()
        SystemCalls.close(socket.ours)
        rangeSocket = nil
    }

    /// What was fetched for the worker, whichever way (nil before `prepare`).
    private var fetchStats: FetchStatistics? { fetcher?.stats ?? rangeServer?.stats }

    var sourceRead: SourceRead? {
        guard let stats = fetchStats, let object else { return nil }
        var read = SourceRead(
            bytesFetched: stats.bytesFetched + peekBytes, objectBytes: object.size, requests: stats.requests + 1, retries: stats.retries,
            spooled: spooled != nil)
        if let budget = target.egressBudget { read.budgetRemainingBytes = max(0, budget - usedAtStart - read.bytesFetched) }
        return read
    }

    /// A stream: the worker waited for the store's bytes, so its measured rate is the store's and
    /// the projection from it describes a restore from object storage. A spooled object: the
    /// measured fetch of the whole object plus the worker's projection from the local copy.
    /// A zip's or 7z's sample read at random: the worker's projection leaves out its waits for the
    /// store (`storeWaitSeconds`), so it is of a local read, and a full restore fetches the whole
    /// object first (as a full test does), projected from this test's own GETs.
    func projectedFullRestoreSeconds(_ report: WorkerReport) -> Double? {
        guard let projected = RestoreProjection.fullRestoreSeconds(report) else { return nil }
        if let server = rangeServer { return projected + Self.wholeFetchSeconds(server.object.size, from: server.stats) }
        return projected + (spooled?.seconds ?? 0)
    }

    /// The fetch of a whole object as `spool` makes it (parts of `RangedFetcher.defaultPartBytes`,
    /// `defaultParallelism` in flight), each part taking the latency and per-byte time fitted over
    /// this test's GETs, from 512-byte header reads to 1–8 MiB (`RangeServer.measureThroughput`); without
    /// a fit, at the average rate they achieved.
    static func wholeFetchSeconds(_ size: Int64, from stats: FetchStatistics) -> Double {
        guard let line = stats.transferLine else {
            return stats.bytesFetched > 0 ? Double(size) * stats.transferSeconds / Double(stats.bytesFetched) : 0
        }
        let part = RangedFetcher.defaultPartBytes, parallel = Int64(RangedFetcher.defaultParallelism)
        let rounds = ((size + part - 1) / part + parallel - 1) / parallel
        return Double(rounds) * (line.latency + line.secondsPerByte * Double(min(size, part)))
    }

    var integrityMeaning: String { "sampled files were decoded and sizes and the format's CRCs checked" }

    func judge(_ report: WorkerReport, into outcome: OutcomeBuilder) {
        ArchiveFileSource.judgeEmpty(report, into: outcome)
        if let stats = fetchStats, let object {
            let how = spooled != nil ? " (zip/7z, full test: fetched whole, then read from a local copy)"
                : rangeServer != nil ? " (zip/7z sample: read at random, the index and the sampled members)" : ""
            outcome.note(
                "read from object storage\(how): "
                    + "\(stats.bytesFetched + peekBytes) of \(object.size) bytes in \(stats.requests + 1) requests"
                    + (stats.retries > 0 ? " (\(stats.retries) retried)" : "")
                    + String(format: ", first byte after %.0f ms on average", stats.meanFirstByteSeconds * 1000))
        }
    }

    func close() {
        if let pipe {
            SystemCalls.close(pipe.read)
            fetcher?.stop()
            // prepare's thread closes the write end; wait for it so no write lands on a reused descriptor.
            fetchDone.wait()
            self.pipe = nil
        }
        endRangeService(stopping: true)
        if let spooled, spooled.fd >= 0 { SystemCalls.close(spooled.fd) }
        spooled = nil
        try? downloads?.remove()
        downloads = nil
        // Whatever was read counts against the budget, a failed or cancelled test's bytes too.
        if let stats = fetchStats, let ledger = target.egressLedgerPath.map(EgressLedger.init) {
            try? ledger.add(stats.bytesFetched + peekBytes, at: Date())
        }
        fetcher = nil
        rangeServer = nil
    }

    /// An S3 failure as the test's outcome: the store's fault or ours, never the backup's.
    static func unavailable(_ error: S3Error, subject: String) -> SourceFailure {
        let why = switch error.kind {
        case .accessDenied: "access denied"
        case .noSuchBucket: "no such bucket"
        case .noSuchKey: "no such object"
        case .objectChanged: "the object was replaced during the test"
        case .transient: "object storage did not answer after retries"
        case .other: "object storage refused the request"
        }
        return SourceFailure(reason: .sourceUnavailable, summary: "\(subject): \(why) (\(error))", subject: subject)
    }
}

/// For `check-config`: where an s3 target's restore point would come from now (a listing and a
/// HEAD, no object bytes), or why it cannot.
public enum ObjectStorageProbe {
    public static func describe(_ target: Target, scratchBase: String) -> String {
        guard let storage = target.objectStorage else { return "not an s3 target" }
        let source = ObjectStorageSource(storage, target: target, scratchBase: scratchBase)
        defer { source.close() }
        switch source.locate(cancellation: CancellationFlag()) {
        case .success(let point):
            let age = TimeSpan.format(max(0, Date().timeIntervalSince(point.time)))
            return "newest object \(point.display), \(point.archiveBytes ?? 0) bytes, modified \(age) ago"
        case .failure(let failure):
            return "\(failure.reason.rawValue): \(failure.summary)"
        }
    }

    /// How much of the month's egress budget the target's tests have read.
    public static func budgetUse(_ target: Target) -> String {
        guard let path = target.egressLedgerPath else { return "no budget" }
        do { return "\(ByteCount.format(try EgressLedger(path: path).used(in: Date()))) read this month" } catch {
            return "egress ledger unreadable: \(error.message)"
        }
    }
}
