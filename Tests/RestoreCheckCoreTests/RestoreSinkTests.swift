import Foundation
import Glibc
import RestoreCheckTestSupport
import Testing

@testable import RestoreCheckCore
@testable import RestoreCheckWorker

/// The hash/write thread's hand-over: jobs go across in batches, and every way the archive thread
/// can wait (for an open-file slot, for a buffer) publishes its staged batch first, or the two
/// threads would wait on each other.
///
/// A deadlock would hang a test for ever, so each has a time limit. It counts from the test's start,
/// and in the full parallel suite a test can wait minutes for a cooperative thread before its body
/// runs (149 s seen on two cores): the limit is ten minutes, far from both.
@Suite("Restore sink: batched hand-over to the hash/write thread")
struct RestoreSinkTests {
    /// Feeds `files` (name → bytes) through a sink into `directory` and returns its completions.
    static func feed(_ files: [(String, [UInt8])], into directory: String, sink: RestoreSink) throws -> [RestoreSink.Completion] {
        sink.start()
        for (id, (name, bytes)) in files.enumerated() {
            try sink.begin(id: id, content: nil) { () throws(ScratchWriter.Failure) -> Int32 in
                let fd = open("\(directory)/\(name)", O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
                guard fd >= 0 else { throw ScratchWriter.Failure(errno: errno, operation: "create", path: name) }
                return fd
            }
            bytes.withUnsafeBytes { sink.write($0, at: 0) }
            sink.end(truncateTo: nil)
        }
        return sink.finish()
    }

    static func digest(_ bytes: [UInt8]) -> SHA256Digest {
        var hasher = SHA256()
        bytes.withUnsafeBytes { hasher.update($0) }
        return hasher.finalize()
    }

    /// 600 small files, far more than the 24 the sink may hold open, of many sizes: batches of
    /// begins, blocks and ends arrive whole and in order, and every digest and file is right.
    @Test(.timeLimit(.minutes(10)))
    func manySmallFilesAreHashedAndWrittenInOrder() async throws {
        let temp = TemporaryDirectory("sink-small")
        let files = (0..<600).map { index in ("f\(index)", (0..<(1 + index * 7 % 5000)).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ index) }) }
        let completions = try await Blocking.run { try Self.feed(files, into: temp.path, sink: RestoreSink()) }
        #expect(completions.map(\.id) == Array(0..<600), "one completion per file, in order")
        for completion in completions {
            let (name, bytes) = files[completion.id]
            #expect(completion.digest == Self.digest(bytes) && completion.bytes == Int64(bytes.count) && completion.failure == nil, "\(name)")
            #expect(FileManager.default.contents(atPath: temp.url(name)) == Data(bytes), "\(name) on disk")
        }
    }

    /// A pool of two buffers: each small file's block waits staged in the batch, so the third file
    /// finds no free buffer, and `write` must publish the batch before it waits for one (only the
    /// sink thread gives buffers back). A 1 MiB file then streams through the two buffers.
    @Test(.timeLimit(.minutes(10)))
    func smallFilesAndALargeOneStreamThroughATinyPool() async throws {
        let temp = TemporaryDirectory("sink-pool")
        let big = (0..<(1 << 20)).map { UInt8(truncatingIfNeeded: $0 &* 2_654_435_761 >> 13) }
        let files = (0..<5).map { ("s\($0)", [UInt8](repeating: UInt8($0), count: 100)) } + [("big", big)]
        let completions = try await Blocking.run { () throws -> [RestoreSink.Completion] in
            let sink = RestoreSink()
            sink.shrinkPool(to: 2)
            return try Self.feed(files, into: temp.path, sink: sink)
        }
        #expect(completions.map(\.digest) == files.map { Self.digest($0.1) })
        #expect(FileManager.default.contents(atPath: temp.url("big")) == Data(big))
    }

    /// A restored file followed by data that is not restored: `flush` hands the staged file over
    /// at once, rather than when the next batch fills (which, in a sample, may be minutes later).
    @Test(.timeLimit(.minutes(10)))
    func flushHandsAStagedFileOverAtOnce() async throws {
        let temp = TemporaryDirectory("sink-flush")
        let arrived = try await Blocking.run { () throws -> Bool in
            let sink = RestoreSink()
            sink.start()
            defer { _ = sink.finish() }
            try sink.begin(id: 7, content: nil) { () throws(ScratchWriter.Failure) -> Int32 in
                open(temp.url("one"), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
            }
            [UInt8]("data".utf8).withUnsafeBytes { sink.write($0, at: 0) }
            sink.end(truncateTo: nil)
            // Staged, not handed over: three jobs and four bytes are below both batch limits.
            Thread.sleep(forTimeInterval: 0.2)
            guard sink.takeCompletions().isEmpty else { return false }
            sink.flush()
            let deadline = Date().addingTimeInterval(20)
            while Date() < deadline {
                if sink.takeCompletions().map(\.id) == [7] { return true }
                Thread.sleep(forTimeInterval: 0.01)
            }
            return false
        }
        #expect(arrived, "held until the next batch before flush, completed soon after it")
    }
}
