/// `files: k` with a manifest: the sample drawn from the manifest before anything is read, so the
/// manifest is the population (what the backup promised) and a drawn file the restore point lacks is
/// `entry_missing`. One rule for every source: the restore worker's `SamplePlan` draws an archive's
/// sample with it, and `RepositoryRestore` a snapshot's.
///
/// `include:` names are always chosen and are not drawn. With coverage, the draw is uniform among
/// the entries not verified within the window first, and only the rest of the sample uniform among
/// the others. Seeded: `--seed` reproduces it.
package struct ManifestDraw {
    /// The `include:` names that are valid entry names (the others cannot match any entry).
    package let includes: Set<EntryName>
    /// The manifest slots drawn (includes excluded), or nil when the sample is not `files: k`.
    package let slots: Set<Int>?

    package init(_ spec: SampleSpec, seed: UInt64, manifest: Manifest, covered: (Int) -> Bool = { _ in false }) {
        includes = Self.includes(spec)
        guard case .files(let count) = spec.size else {
            slots = nil
            return
        }
        let included = Set(includes.compactMap { manifest.slot(of: NameKey($0)) })
        var fresh = ReservoirSampler(size: .files(count), seed: seed)
        var coveredSlots: [Int] = []
        for slot in 0..<manifest.count where !included.contains(slot) {
            if covered(slot) { coveredSlots.append(slot) } else { _ = fresh.offer(id: slot, bytes: 0) }
        }
        var members = Set(fresh.members)
        if members.count < count, !coveredSlots.isEmpty {
            var rest = ReservoirSampler(size: .files(count - members.count), seed: seed &+ 1)
            for slot in coveredSlots { _ = rest.offer(id: slot, bytes: 0) }
            members.formUnion(rest.members)
        }
        slots = members
    }

    /// The `include:` names of a sample as entry names.
    package static func includes(_ spec: SampleSpec) -> Set<EntryName> {
        var includes: Set<EntryName> = []
        for include in spec.include {
            if case .success(let name) = EntryName.validate(Array(include.utf8)) { includes.insert(name) }
        }
        return includes
    }
}
