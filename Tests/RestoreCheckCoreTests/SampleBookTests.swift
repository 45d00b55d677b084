import Testing

@testable import RestoreCheckCore
@testable import RestoreCheckWorker

/// The pass's bookkeeping without an archive: members, in-flight digests, eviction and duplicates,
/// with the book's invariant checked after every step.
@Suite("Sample book: what is restored, in flight and settled")
struct SampleBookTests {
    let good = SHA256Digest(hex: Array(String(repeating: "a", count: 64).utf8))!
    let bad = SHA256Digest(hex: Array(String(repeating: "b", count: 64).utf8))!

    func member(_ name: String, slot: Int32, finding: Finding? = nil) throws -> SampleBook.Member {
        SampleBook.Member(name: try EntryName.validate(Array(name.utf8)).get(), slot: slot, bytes: 100, finding: finding)
    }

    func complete(_ book: inout SampleBook, _ id: Int, _ digest: SHA256Digest, failure: ScratchWriter.Failure? = nil) -> SampleBook.Completed {
        let result = book.complete(id: id, digest: digest, bytes: 100, failure: failure, expected: { _ in good })
        #expect(book.isConsistent)
        return result
    }

    @Test func aSettlingBookSettlesEachDigestAsItReturns() throws {
        var book = SampleBook(settles: true)
        book.register(1, try member("a", slot: 0))
        book.register(2, try member("b", slot: 1))
        #expect(book.isConsistent)
        #expect(complete(&book, 1, good) == .settled(slot: 0, bytes: 100, finding: nil))
        guard case .settled(1, 100, let finding?) = complete(&book, 2, bad) else {
            Issue.record("a different digest settles as a failure")
            return
        }
        #expect(finding.reason == .checksumMismatch && finding.path == "b")
        #expect(book.isEmpty, "nothing is kept once settled: memory stays flat in a full verify")
        #expect(complete(&book, 1, good) == .nothing, "a digest is applied once")
    }

    @Test func aFindingTheArchiveThreadMadeWins() throws {
        var book = SampleBook(settles: true)
        let short = Finding(path: "a", reason: .sizeMismatch)
        book.register(1, try member("a", slot: 0, finding: short))
        #expect(complete(&book, 1, good) == .settled(slot: 0, bytes: 100, finding: short))
    }

    @Test func aDuplicateSupersedesTheEarlierCopyEvenInFlight() throws {
        var book = SampleBook(settles: true)
        book.register(1, try member("a", slot: 7))
        book.supersede(7)  // a later copy of "a" arrives before the first copy's digest
        #expect(book.isConsistent)
        book.register(2, try member("a", slot: 7))
        #expect(complete(&book, 1, bad) == .nothing, "the earlier copy's digest is moot: the last copy wins")
        #expect(complete(&book, 2, good) == .settled(slot: 7, bytes: 100, finding: nil))
    }

    @Test func anEvictingBookKeepsMembersUntilTheEnd() throws {
        var book = SampleBook(settles: false)
        book.register(1, try member("a", slot: 0))
        book.register(2, try member("b", slot: 1))
        #expect(complete(&book, 1, bad) == .nothing, "held on the member: it may still be evicted")
        #expect(complete(&book, 2, good) == .nothing)
        let final = book.drain()
        #expect(final.map(\.name.description) == ["a", "b"])
        #expect(final[0].finding?.reason == .checksumMismatch)
        #expect(final[1].finding == nil)
        #expect(book.isEmpty)
    }

    @Test func anEvictedMembersFailureIsNeverLost() throws {
        var book = SampleBook(settles: false)
        book.register(1, try member("a", slot: 0))
        book.register(2, try member("b", slot: 1, finding: Finding(path: "b", reason: .sizeMismatch)))
        // Evicted before and after its digest came back: both failures reach the report.
        let early = book.evict([1])
        #expect(early.map(\.name.description) == ["a"] && book.isConsistent)
        guard case .lostMemberFailed(let finding) = complete(&book, 1, bad) else {
            Issue.record("a mismatch found after eviction must still be reported")
            return
        }
        #expect(finding.path == "a")
        let late = book.evict([2])
        #expect(late.first?.finding?.reason == .sizeMismatch, "the caller reports what the evicted member showed")
        #expect(book.drain().isEmpty)
    }

    @Test func aWriteFailureStopsThePassNamingTheFile() throws {
        var book = SampleBook(settles: true)
        book.register(1, try member("dir/a", slot: 0))
        let full = ScratchWriter.Failure(errno: 28, operation: "write", path: "")
        guard case .writeFailed(let name, let failure) = complete(&book, 1, good, failure: full) else {
            Issue.record("expected a write failure")
            return
        }
        #expect(name.description == "dir/a" && failure.errno == 28)
    }
}

@Suite("Restore budget: limits and declared sizes")
struct RestoreBudgetTests {
    let budget: RestoreBudget = {
        var limits = RestoreLimits()
        limits.maxBytes = 1000
        limits.maxEntries = 10
        limits.maxRatio = 100
        limits.ratioGraceBytes = 1 << 20
        return RestoreBudget(limits: limits)
    }()

    @Test func theEntryBeingRestoredCounts() {
        #expect(budget.bytesExceeded(restoredBefore: 600, entryEnd: 400) == nil)
        #expect(budget.bytesExceeded(restoredBefore: 600, entryEnd: 401)?.contains("limits.max_bytes") == true)
        #expect(budget.bytesExceeded(restoredBefore: 0, entryEnd: 1001) != nil, "one huge entry alone is stopped")
    }

    @Test func entriesAndRatio() {
        #expect(budget.entriesExceeded(10) == nil)
        #expect(budget.entriesExceeded(11)?.contains("limits.max_entries") == true)
        #expect(budget.ratioExceeded(decoded: 1 << 20, archiveRead: 1) == nil, "within the grace bytes")
        #expect(budget.ratioExceeded(decoded: 200 << 20, archiveRead: 1 << 20)?.contains("200:1") == true, "200 MiB from 1 MiB")
        #expect(budget.ratioExceeded(decoded: 50 << 20, archiveRead: 1 << 20) == nil)
        #expect(budget.ratioExceeded(decoded: 0, archiveRead: 0) == nil)
    }

    @Test func neverWritePastTheDeclaredSize() {
        #expect(RestoreBudget.writable(100, at: 0, declared: 1000) == (100, false))
        #expect(RestoreBudget.writable(100, at: 950, declared: 1000) == (50, true))
        #expect(RestoreBudget.writable(100, at: 1000, declared: 1000) == (0, true))
        #expect(RestoreBudget.writable(100, at: 5000, declared: nil) == (100, false), "no declared size: streamed zip")
    }

    @Test func howAnEntryEnds() {
        #expect(RestoreBudget.ending(at: 1000, declared: 1000, sparse: false) == .complete)
        #expect(RestoreBudget.ending(at: 10, declared: nil, sparse: false) == .complete)
        #expect(RestoreBudget.ending(at: 400, declared: 1000, sparse: true) == .sparseTail(to: 1000))
        #expect(RestoreBudget.ending(at: 400, declared: 1000, sparse: false) == .short(declared: 1000))
    }
}
