/// What the worker remembers about every name it meets, in a few bytes per name.
///
/// Names in the manifest use the manifest's slots; other names get slots as they are first seen.
/// Per slot: one byte of flags and the verified byte count (to take a result back when a duplicate
/// name supersedes it). With the manifest's index (~70 bytes a line) this is the whole per-file cost
/// of a pass: the earlier sets and dictionaries of names and findings cost ~1 KiB a file.
package struct NameLedger {
    package let manifest: Manifest?
    private var flags: [Flags] = []
    private var verifiedBytes: [Int64] = []
    /// Slots for names the manifest does not list (or every name, without a manifest).
    private var unlisted: [NameKey: Int32] = [:]

    struct Flags: OptionSet {
        let rawValue: UInt8
        static let seen = Flags(rawValue: 1)
        static let verified = Flags(rawValue: 2)
        static let failed = Flags(rawValue: 4)
    }

    /// A settled sample member's result.
    package enum Result: Equatable {
        case verified(bytes: Int64)
        case failed
    }

    package init(manifest: Manifest?) {
        self.manifest = manifest
        let listed = manifest?.count ?? 0
        flags = Array(repeating: [], count: listed)
        verifiedBytes = Array(repeating: 0, count: listed)
    }

    /// The name's slot; a name outside the manifest gets a new one.
    package mutating func slot(for key: NameKey) -> Int32 {
        if let slot = manifest?.slot(of: key) { return Int32(slot) }
        if let slot = unlisted[key] { return slot }
        let slot = Int32(flags.count)
        unlisted[key] = slot
        flags.append([])
        verifiedBytes.append(0)
        return slot
    }

    /// Whether the archive showed a file of this name (without giving the name a slot).
    package func hasSeen(_ key: NameKey) -> Bool {
        if let slot = manifest?.slot(of: key) { return isSeen(Int32(slot)) }
        return unlisted[key] != nil
    }

    /// Whether the slot is one of the manifest's.
    package func isListed(_ slot: Int32) -> Bool { Int(slot) < (manifest?.count ?? 0) }

    /// The manifest's digest for a listed slot.
    package func expectedDigest(_ slot: Int32) -> SHA256Digest? { isListed(slot) ? manifest?.digests[Int(slot)] : nil }

    package func isSeen(_ slot: Int32) -> Bool { flags[Int(slot)].contains(.seen) }

    /// Marks a name as present in the archive; false if it already was (a duplicate).
    @discardableResult
    package mutating func markSeen(_ slot: Int32) -> Bool {
        flags[Int(slot)].insert(.seen).inserted
    }

    package mutating func settle(_ slot: Int32, result: Result) {
        switch result {
        case .verified(let bytes):
            flags[Int(slot)].insert(.verified)
            verifiedBytes[Int(slot)] = bytes
        case .failed:
            flags[Int(slot)].insert(.failed)
        }
    }

    /// The settled result of a slot, if any.
    package func result(_ slot: Int32) -> Result? {
        let index = Int(slot)
        if flags[index].contains(.verified) { return .verified(bytes: verifiedBytes[index]) }
        if flags[index].contains(.failed) { return .failed }
        return nil
    }

    /// Takes back a settled result (a later copy of the name replaces it); nil if none was settled.
    package mutating func unsettle(_ slot: Int32) -> Result? {
        defer { flags[Int(slot)].subtract([.verified, .failed]) }
        return result(slot)
    }

    /// Manifest entries the archive has not (yet) shown.
    package var unseenListedCount: Int {
        flags.prefix(manifest?.count ?? 0).reduce(0) { $0 + ($1.contains(.seen) ? 0 : 1) }
    }
}
