import RestoreCheckCore

/// Hard-link groups of one archive, and the verdicts on members that carry no data of their own.
///
/// A restore makes every member of a group one file, holding the data of the last member that
/// carried any: the first entry's in tar, the last member's in newc cpio, every member's in odc. A
/// link-only member is therefore verified against the group's data, not hashed as an empty file
/// (which blamed healthy newc backups with `checksum_mismatch`) and not skipped (which passed a link
/// whose manifest content differs from what the restore gives).
///
/// Members are judged at the end of the pass, once every restored file's digest has come back: a
/// member passes when the data it would hold was restored in this test and matched the manifest,
/// and the manifest lists the member with that same content.
struct HardLinkBook {
    /// A member's slot → its group's root slot (a link to a link joins the first one's group).
    private var rootOf: [Int32: Int32] = [:]
    /// A root slot → the slot of the last member that carried data: what the group's file holds.
    private var dataSlot: [Int32: Int32] = [:]
    /// Roots whose first member carried no data (newc): empty unless a later member brings some.
    private var awaiting: Set<Int32> = []
    /// Members that carry no data, judged by `judge` at the end of the pass.
    private(set) var members: [Member] = []
    /// A root slot → the name of the last member that carried data, for a restore to link to.
    private var dataName: [Int32: EntryName] = [:]

    struct Member {
        var slot: Int32
        var name: EntryName
        var root: Int32
        var target: EntryName
    }

    /// What a member would hold after a restore, compared with the manifest.
    enum Verdict: Equatable {
        /// The group's data was restored and matched the manifest, which lists the member the same.
        case verified(bytes: Int64)
        /// The member would not hold what the manifest lists; `actual` when known.
        case mismatch(actual: SHA256Digest?, detail: String)
        /// Not judged in this test: unlisted, or the group's data was not in the sample.
        case unjudged
    }

    func root(of slot: Int32) -> Int32 { rootOf[slot] ?? slot }

    /// A newc member with no data yet: the root of its own group until a later member names it.
    mutating func awaitData(_ slot: Int32, name: EntryName) {
        awaiting.insert(slot)
        members.append(Member(slot: slot, name: name, root: slot, target: name))
    }

    /// A member that carries no data: linked to `target`'s group.
    mutating func link(_ slot: Int32, name: EntryName, to target: Int32, targetName: EntryName) {
        let root = root(of: target)
        rootOf[slot] = root
        members.append(Member(slot: slot, name: name, root: root, target: targetName))
    }

    /// A member that carries data (restored and hashed like a regular file of its own name): the
    /// group's file now holds that data.
    mutating func dataArrived(at slot: Int32, name: EntryName, linkedTo target: Int32) {
        let root = root(of: target)
        rootOf[slot] = root
        dataSlot[root] = slot
        dataName[root] = name
    }

    /// The restored file a data-less member is a link to: its target, or for a newc member that
    /// waited, the member that brought its group's data; nil when none did.
    func linkTarget(of member: Member) -> EntryName? {
        member.target != member.name ? member.target : dataName[member.root]
    }

    /// The verdict on each data-less member, given the settled results of the pass.
    func judge(_ ledger: NameLedger, emptyDigest: SHA256Digest) -> [(Member, Verdict)] {
        members.map { member in (member, verdict(member, ledger, emptyDigest: emptyDigest)) }
    }

    private func verdict(_ member: Member, _ ledger: NameLedger, emptyDigest: SHA256Digest) -> Verdict {
        guard let expected = ledger.expectedDigest(member.slot) else { return .unjudged }
        guard let data = dataSlot[member.root] ?? (awaiting.contains(member.root) ? nil : member.root) else {
            // No member ever carried data: the restore leaves every name an empty file.
            return expected == emptyDigest
                ? .verified(bytes: 0)
                : .mismatch(actual: emptyDigest, detail: "hard-link group with no data: the restore leaves '\(member.name)' empty")
        }
        let dataExpected = ledger.expectedDigest(data)
        switch ledger.result(data) {
        case .verified(let bytes):
            if dataExpected == expected { return .verified(bytes: bytes) }
            return .mismatch(
                actual: dataExpected,
                detail: "hard link to '\(member.target)': the restore gives it that file's content, which the manifest lists differently")
        case .failed:
            return .mismatch(actual: nil, detail: "hard link to '\(member.target)', whose data did not restore as listed")
        case nil:
            guard let dataExpected, dataExpected != expected else { return .unjudged }
            return .mismatch(
                actual: dataExpected,
                detail: "hard link to '\(member.target)': the restore gives it that file's content, which the manifest lists differently")
        }
    }
}
