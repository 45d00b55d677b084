import ArchiveFormats
import ArchiveKit
import RestoreCheckCore

/// How a test's sample is chosen, and the choice for each file as the pass meets it.
///
/// Three ways, cheapest first:
/// - `files: k` with a manifest is drawn from the manifest before the archive is read
///   (`ManifestDraw`, the rule repositories share), so the pass decodes only the chosen files and
///   nothing is restored and then dropped.
/// - Other evicting samples (`files`, `bytes`) of archives libarchive can seek in (zip through its
///   central directory, plain tar, cpio) are chosen in a header-only pass first (`planned`).
/// - Otherwise the pass's reservoir decides as files arrive and may evict earlier ones (streams).
///
/// `include:` names are always chosen. All of it is seeded (`--seed` reproduces a run).
struct SamplePlan {
    enum Mode: Equatable {
        /// The reservoir decides as entries arrive and may evict.
        case onTheFly
        /// A header-only pass chose these offers, by ordinal.
        case offers(Set<Int>)
        /// Drawn from the manifest: these manifest slots.
        case slots(Set<Int>)
    }

    private(set) var mode = Mode.onTheFly
    let spec: SampleSpec
    var size: SampleSpec.Size { spec.size }
    let seed: UInt64
    let includes: Set<EntryName>
    private var sampler: ReservoirSampler
    /// Offers made so far, counted in the same order as the header-only pass counted them.
    private var offerOrdinal = 0

    /// Block size for passes that seek from header to header: each seek reads a whole block, and
    /// 10,000 seeks into 256 KiB blocks copy gigabytes for a few kilobytes of headers.
    static let seekingBlockSize = 16 * 1024

    init(_ spec: SampleSpec, seed: UInt64) {
        self.spec = spec
        self.seed = seed
        sampler = ReservoirSampler(size: spec.size, seed: seed)
        includes = ManifestDraw.includes(spec)
    }

    /// Whether every choice is final, so a result settles as soon as its digest is back. Only the
    /// on-the-fly `files`/`bytes` reservoir takes choices back.
    var settles: Bool { mode != .onTheFly || !ReservoirSampler.evicts(size) }

    /// `files: k` with a manifest: draws the sample from it (`ManifestDraw`).
    mutating func draw(from manifest: Manifest, covered: (Int) -> Bool = { _ in false }) {
        if let slots = ManifestDraw(spec, seed: seed, manifest: manifest, covered: covered).slots { mode = .slots(slots) }
    }

    /// 256 KiB blocks measured fastest for streaming decode; a sample that will plan a seekable
    /// archive mostly seeks, so it reads small ones.
    func blockSize(forArchiveAt path: String) -> Int {
        mode == .onTheFly && ReservoirSampler.evicts(size) && ArchiveSignature.isSeekableContainer(atPath: path)
            ? Self.seekingBlockSize : 256 * 1024
    }

    /// At the first header: plans the sample in a header-only pass where that pays. Planning pays
    /// where the one-pass reservoir would restore early files and drop them later (k·ln(n/k)
    /// restores for k of n), so only in evicting modes, and only where libarchive can seek past data:
    /// never on a stream (a repository tool's pipe), which a second pass would consume.
    /// `reopen` opens the archive a second time at its start, nil for a stream.
    mutating func planIfSeekable(
        reopen: (() -> ArchiveReader?)?, filtered: Bool, format: ArchiveReader.Format, manifest: Manifest?
    ) {
        guard mode == .onTheFly, ReservoirSampler.evicts(size), !filtered, [.zip, .tar, .cpio].contains(format),
            let reopen, let offers = headerPass(reopen, manifest: manifest)
        else { return }
        mode = .offers(offers)
    }

    /// The header-only pass. Offers are made under the same conditions and in the same order as the
    /// restoring pass makes them (`EntryClassifier`, `offeredFile`), with a reservoir of the same
    /// seed, so the plan is the sample the one-pass path would have ended with. Nil if the pass
    /// fails: the restoring pass then samples on the fly and reports the damage itself.
    private func headerPass(_ reopen: () -> ArchiveReader?, manifest: Manifest?) -> Set<Int>? {
        guard var reader = reopen() else { return nil }
        var planner = ReservoirSampler(size: size, seed: seed)
        var classifier = EntryClassifier()
        var members: Set<Int> = []
        var ordinal = 0
        while true {
            let next: ArchiveEntry?
            do { next = try reader.nextEntry() } catch { return nil }
            guard let entry = next else { break }
            defer { try? reader.skipData() }
            guard let name = Self.offeredFile(classifier.classify(entry, format: reader.formatFamily)),
                isOffered(entry, name, listed: manifest.map { $0.slot(of: NameKey(name)) != nil } ?? true)
            else { continue }
            let decision = planner.offer(id: ordinal, bytes: max(0, entry.declaredSize ?? 0))
            members.subtract(decision.evicted)
            if decision.admit { members.insert(ordinal) }
            ordinal += 1
        }
        return members
    }

    /// The name of a header whose data a restore writes as a file of that name: the entries the
    /// sample is drawn from (a hard link that carries data writes it into the group's file).
    static func offeredFile(_ kind: EntryClassifier.Kind) -> EntryName? {
        switch kind {
        case .regular(let name): name
        case .hardlink(let name, _, carriesData: true): name
        default: nil
        }
    }

    /// Whether a file goes to the reservoir (or counts as an offer of the plan): not encrypted (an
    /// encrypted entry is a finding, never a sample member), listed (with a manifest), not included.
    func isOffered(_ entry: ArchiveEntry, _ name: EntryName, listed: Bool) -> Bool {
        !entry.isEncrypted && listed && !includes.contains(name)
    }

    /// The choice for one offered or included file, and any earlier members the reservoir dropped
    /// for it (their ids).
    mutating func choose(_ name: EntryName, slot: Int32, id: Int, bytes: Int64) -> (chosen: Bool, evicted: [Int]) {
        if includes.contains(name) { return (true, []) }
        switch mode {
        case .slots(let slots):
            return (slots.contains(Int(slot)), [])
        case .offers(let offers):
            defer { offerOrdinal += 1 }
            return (offers.contains(offerOrdinal), [])  // chosen exactly, up front: nothing is ever evicted
        case .onTheFly:
            let decision = sampler.offer(id: id, bytes: max(0, bytes))
            return (decision.admit, decision.evicted)
        }
    }

    /// A file the header-only pass counted as an offer but the restoring pass cannot restore (a
    /// data-carrying hard link whose target is missing): keeps the two passes' ordinals aligned.
    mutating func passOver(_ entry: ArchiveEntry, _ name: EntryName, listed: Bool) {
        if case .offers = mode, isOffered(entry, name, listed: listed) { offerOrdinal += 1 }
    }
}
