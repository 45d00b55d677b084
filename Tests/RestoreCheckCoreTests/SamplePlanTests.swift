import Testing

@testable import RestoreCheckCore
@testable import RestoreCheckWorker

/// How a sample is chosen, without an archive.
@Suite("Sample plan: drawn from the manifest, planned, or chosen on the fly")
struct SamplePlanTests {
    func manifest(_ names: [String]) throws -> Manifest {
        let text = names.map { "\(String(repeating: "a", count: 64))  \($0)\n" }.joined()
        return try Manifest(parsing: Array(text.utf8), file: "m")
    }

    func name(_ text: String) throws -> EntryName { try EntryName.validate(Array(text.utf8)).get() }

    @Test func filesAreDrawnFromTheManifestLeavingIncludesOut() throws {
        let listed = (0..<100).map { "f\($0)" }
        var plan = SamplePlan(SampleSpec(size: .files(5), include: ["f3"]), seed: 7)
        #expect(plan.mode == .onTheFly && !plan.settles, "a reservoir of files evicts until planned")
        plan.draw(from: try manifest(listed))
        guard case .slots(let slots) = plan.mode else {
            Issue.record("files: k with a manifest is drawn from it")
            return
        }
        #expect(slots.count == 5 && !slots.contains(3), "the included f3 is chosen anyway, not as one of the 5")
        #expect(plan.settles, "a drawn sample is final")
        var again = SamplePlan(SampleSpec(size: .files(5), include: ["f3"]), seed: 7)
        again.draw(from: try manifest(listed))
        #expect(again.mode == plan.mode, "the same seed draws the same sample")
        #expect(plan.choose(try name("f3"), slot: 3, id: 0, bytes: 1).chosen, "includes are always chosen")
        let chosenSlot = try #require(slots.first)
        #expect(plan.choose(try name("x"), slot: Int32(chosenSlot), id: 1, bytes: 1).chosen)
    }

    @Test func otherSizesAreNotDrawn() throws {
        var plan = SamplePlan(SampleSpec(size: .bytes(1 << 20)), seed: 1)
        plan.draw(from: try manifest(["a", "b"]))
        #expect(plan.mode == .onTheFly)
        let all = SamplePlan(SampleSpec(size: .all), seed: 1)
        #expect(all.settles, "a full verify never evicts")
    }

    @Test func onTheFlyEvictsAndReportsWhom() throws {
        var plan = SamplePlan(SampleSpec(size: .files(1)), seed: 3)
        var members: Set<Int> = []
        for id in 0..<50 {
            let (chosen, evicted) = plan.choose(try name("f\(id)"), slot: Int32(id), id: id, bytes: 10)
            members.subtract(evicted)
            if chosen { members.insert(id) }
            #expect(members.count <= 1, "a reservoir of one holds one")
        }
        #expect(members.count == 1)
    }

    @Test func encryptedUnlistedAndIncludedFilesAreNotOffers() throws {
        let plan = SamplePlan(SampleSpec(size: .files(2), include: ["keep"]), seed: 1)
        let plain = ArchiveEntryFixture.regular("a")
        #expect(plan.isOffered(plain, try name("a"), listed: true))
        #expect(!plan.isOffered(plain, try name("a"), listed: false))
        #expect(!plan.isOffered(ArchiveEntryFixture.regular("a", encrypted: true), try name("a"), listed: true))
        #expect(!plan.isOffered(plain, try name("keep"), listed: true))
    }
}

import ArchiveKit

/// Archive headers as values, for tests of the choices made from them.
enum ArchiveEntryFixture {
    static func regular(_ name: String, encrypted: Bool = false) -> ArchiveEntry {
        ArchiveEntry(pathname: Array(name.utf8), kind: .regular, declaredSize: 10, isEncrypted: encrypted)
    }
}
