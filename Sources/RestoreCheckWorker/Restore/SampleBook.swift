import RestoreCheckCore

/// The sample's restored members whose result is not final yet, and the entries whose digest has
/// not come back from the hash/write thread: the bookkeeping of one pass, with its invariant in code.
///
/// Two maps and an index that once lived in the pass with their rules only in comments (a race
/// there double-counted a file): now one type, unit-tested without an archive.
///
/// - `members`: restored sample members not yet settled. In modes that settle (every mode but the
///   evicting reservoir) a member leaves when its digest returns; in the evicting reservoir it
///   stays until the pass ends, since a later file may still displace it.
/// - `bySlot`: which member holds a name, so a duplicate entry finds its earlier copy in O(1).
/// - `inFlight`: queued to the hash/write thread, digest not back.
///
/// Invariant (`isConsistent`): `bySlot[s] == id` exactly when `members[id]` has slot `s`, and every
/// in-flight id of a settling book is a member. Register a member before applying completions: a
/// fast completion of that very entry must find it (else it was filed as a loose finding and the
/// entry then also counted as verified).
struct SampleBook {
    /// One restored member.
    struct Member: Equatable {
        var name: EntryName
        var slot: Int32
        var bytes: Int64
        /// A failure the archive thread already saw (a lying size, a CRC error).
        var finding: Finding?
    }

    /// What a returned digest means for the pass.
    enum Completed: Equatable {
        /// Nothing to do: the entry was superseded by a later copy, or its member keeps the result.
        case nothing
        /// Writing the entry failed: the pass stops (scratch full, or the size limit).
        case writeFailed(EntryName, ScratchWriter.Failure)
        /// Final (settling books): verified, or failed with the finding.
        case settled(slot: Int32, bytes: Int64, finding: Finding?)
        /// A member already evicted failed: its failure is still reported.
        case lostMemberFailed(Finding)
    }

    let settles: Bool
    private var members: [Int: Member] = [:]
    private var bySlot: [Int32: Int] = [:]
    /// Queued entries, with what the archive thread knew of them: a member may be evicted (or
    /// superseded) while its bytes are still being hashed.
    private var inFlight: [Int: Member] = [:]

    init(settles: Bool) { self.settles = settles }

    var isEmpty: Bool { members.isEmpty && inFlight.isEmpty }

    /// A later copy of the name in `slot` replaces the sample's earlier copy, whose digest is moot.
    mutating func supersede(_ slot: Int32) {
        guard let earlier = bySlot.removeValue(forKey: slot) else { return }
        members.removeValue(forKey: earlier)
        inFlight.removeValue(forKey: earlier)
    }

    /// Members the reservoir dropped (evicting books): the caller removes their files and keeps any
    /// failure they showed. A digest still in flight is judged when it returns (`lostMemberFailed`).
    mutating func evict(_ ids: [Int]) -> [Member] {
        ids.compactMap { id in
            guard let member = members.removeValue(forKey: id) else { return nil }
            if bySlot[member.slot] == id { bySlot.removeValue(forKey: member.slot) }
            return member
        }
    }

    /// A member restored and queued to the hash/write thread.
    mutating func register(_ id: Int, _ member: Member) {
        members[id] = member
        bySlot[member.slot] = id
        inFlight[id] = member
    }

    /// The name of a queued entry whose digest has not come back (nil once superseded).
    func inFlightName(_ id: Int) -> EntryName? { inFlight[id]?.name }

    /// Applies one returned digest; `expected` gives the manifest's digest of a slot.
    mutating func complete(
        id: Int, digest: SHA256Digest, bytes: Int64, failure: ScratchWriter.Failure?, expected: (Int32) -> SHA256Digest?
    ) -> Completed {
        guard let pending = inFlight.removeValue(forKey: id) else { return .nothing }  // superseded
        if let failure {
            // The pass stops; the member is over either way.
            if members.removeValue(forKey: id) != nil, bySlot[pending.slot] == id { bySlot.removeValue(forKey: pending.slot) }
            return .writeFailed(pending.name, failure)
        }
        var finding = pending.finding
        if finding == nil, let want = expected(pending.slot), want != digest {
            finding = Finding(
                path: pending.name.description, reason: .checksumMismatch, detail: "restored bytes differ from the manifest",
                expectedSHA256: want.description, actualSHA256: digest.description, actualSize: bytes)
        }
        if settles {
            let member = members.removeValue(forKey: id)
            if bySlot[pending.slot] == id { bySlot.removeValue(forKey: pending.slot) }
            return .settled(slot: pending.slot, bytes: member?.bytes ?? bytes, finding: finding)
        }
        guard let finding else { return .nothing }
        guard members[id] != nil else { return .lostMemberFailed(finding) }
        members[id]?.finding = finding
        return .nothing
    }

    /// Every member still held, by name, and the book emptied: the evicting reservoir's final sample
    /// (or, after an early stop, what was restored).
    mutating func drain() -> [Member] {
        defer {
            members.removeAll()
            bySlot.removeAll()
            inFlight.removeAll()
        }
        return members.values.sorted { $0.name < $1.name }
    }

    /// The invariant stated above; the tests check it after every step.
    var isConsistent: Bool {
        bySlot.count == members.count
            && bySlot.allSatisfy { slot, id in members[id]?.slot == slot }
            && (!settles || members.keys.allSatisfy { inFlight[$0] != nil })
    }
}
