import ArchiveKit
import Glibc
import RestoreCheckCore

/// The part of a pass that only `restorecheck restore` has (`WorkerRequest.restore`): which entries
/// `--include` takes, each restored file's move from its partial name to its final one once its
/// digest is back, and, after the pass, directories' modes and times, symlinks and hard links.
///
/// A file whose bytes match the manifest (or that the manifest does not list) takes its final name;
/// one that differs is kept as `NAME.restorecheck-mismatch`; a copy superseded by a later entry of
/// the same name, or cut short, is removed. So no half-written or wrong file ever stands under a
/// final name. Links are made last, when nothing more is written below the root: a symlink restored
/// early could otherwise redirect a later entry's write (the reason tar defers them too), and the
/// no-follow walk would refuse that entry.
final class RestoreKeeper {
    let options: RestoreInto
    private let only: IncludeFilter
    /// Its own writer on the same root: final names are given from wherever digests are applied.
    private var writer: ScratchWriter
    var tally = RestoreTally()
    /// Files being written: their final name and metadata, and whether an earlier entry of the same
    /// name came first (the last copy wins, as in tar), by entry id.
    private var pending: [Int: (name: EntryName, metadata: EntryMetadata, replaces: Bool)] = [:]
    private var directories: [(name: EntryName, metadata: EntryMetadata)] = []
    /// Symlinks to make after the pass, by the name's ledger slot: a later entry of the same name
    /// (a file, a directory) takes the name instead, as on disk.
    private var symlinks: [Int32: (name: EntryName, target: [UInt8], metadata: EntryMetadata, replaces: Bool)] = [:]

    init(_ options: RestoreInto, root: String) throws(ScratchWriter.Failure) {
        self.options = options
        self.only = IncludeFilter(options.only)
        writer = try ScratchWriter(rootPath: root)
        writer.replacesWhatIsInTheWay = options.overwrite
    }

    /// Whether `--include` takes `name` (see `IncludeFilter`).
    func includes(_ name: EntryName) -> Bool { only.includes(name) }

    func willWrite(_ id: Int, as name: EntryName, _ metadata: EntryMetadata, replaces: Bool) { pending[id] = (name, metadata, replaces) }

    /// A directory entry: made now (so an empty one is restored), given its mode and time at the end.
    func directory(_ name: EntryName, _ metadata: EntryMetadata, writer: inout ScratchWriter) -> String? {
        do { try writer.makeDirectory(name) } catch { return error.message }
        directories.append((name, metadata))
        return nil
    }

    /// A symlink entry; `replaces`: an earlier entry of this archive had the name (the link wins).
    func symlink(_ slot: Int32, _ name: EntryName, to target: [UInt8], _ metadata: EntryMetadata, replaces: Bool) {
        symlinks[slot] = (name, target, metadata, replaces)
    }

    /// A later entry of a symlink's name: it, not the link, is what the restore leaves.
    func supersedeSymlink(_ slot: Int32) { symlinks.removeValue(forKey: slot) }

    /// The hash/write thread is done with entry `id`: `completed` is the book's verdict on it. A file
    /// that cannot take its name (a directory of that name is in the way) is a finding, and the
    /// restore goes on; only a full disk stops it (thrown).
    func finished(_ id: Int, _ completed: SampleBook.Completed) throws(ScratchWriter.Failure) -> Finding? {
        guard let file = pending.removeValue(forKey: id) else { return nil }
        do {
            try place(id, file, completed)
            return nil
        } catch where !error.isScratchFull {
            writer.removePartial(id, of: file.name)
            return Finding(path: file.name.description, reason: .scratchError, detail: "not restored: \(error.message)")
        }
    }

    private func place(_ id: Int, _ file: (name: EntryName, metadata: EntryMetadata, replaces: Bool), _ completed: SampleBook.Completed) throws(ScratchWriter.Failure) {
        switch completed {
        case .nothing, .writeFailed, .lostMemberFailed:
            writer.removePartial(id, of: file.name)
        case .settled(_, let bytes, let finding):
            if let finding, finding.reason != .checksumMismatch && finding.reason != .sizeMismatch {
                // Unreadable data (a CRC error, a cut entry): no trustworthy bytes to keep.
                writer.removePartial(id, of: file.name)
                return
            }
            if finding != nil {
                _ = try writer.finalize(partial: id, as: file.name, suffix: RestoreInto.mismatchSuffix, replace: true)
                tally.mismatchesKept += 1
                return
            }
            switch try writer.finalize(partial: id, as: file.name, replace: options.overwrite || file.replaces) {
            case .existing:
                tally.keptExisting(file.name.description)
            case .placed:
                tally.files += 1
                tally.bytes += bytes
                applyMetadata(file.metadata, to: file.name)
            }
        }
    }

    /// Extended attributes first (setting them may need write permission a mode is about to take
    /// away), then owner, mode and time.
    private func applyMetadata(_ metadata: EntryMetadata, to name: EntryName) {
        if !metadata.extendedAttributes.isEmpty {
            let allowed = metadata.extendedAttributes.filter { options.xattrs && (options.owners || $0.name.starts(with: "user.".utf8)) }
            tally.xattrsSkipped += metadata.extendedAttributes.count - allowed.count
            if !allowed.isEmpty {
                let (set, problem) = writer.setExtendedAttributes(allowed, on: name)
                tally.xattrsApplied += set
                if let problem { tally.metadataFailed(problem) }
            }
        }
        if let problem = writer.apply(metadata, to: name, owners: options.owners) { tally.metadataFailed(problem) }
    }

    /// After the pass: symlinks and hard links are made, then directories get their modes and times,
    /// deepest first (a read-only directory is made read-only after everything in it).
    func finish(hardLinks: HardLinkBook, report: inout WorkerReport) {
        for link in symlinks.values.sorted(by: { $0.name < $1.name }) {
            do {
                switch try writer.symlink(link.name, to: link.target, replace: options.overwrite || link.replaces) {
                case .existing: tally.keptExisting(link.name.description)
                case .placed:
                    tally.symlinks += 1
                    if let problem = writer.apply(link.metadata, to: link.name, owners: options.owners, isSymlink: true) { tally.metadataFailed(problem) }
                }
            } catch { tally.metadataFailed("symlink \(link.name): \(error.message)") }
        }
        for member in hardLinks.members where includes(member.name) {
            guard let target = hardLinks.linkTarget(of: member), target != member.name else { continue }
            do {
                switch try writer.hardLink(member.name, to: target, replace: options.overwrite) {
                case .existing: tally.keptExisting(member.name.description)
                case .placed: tally.hardLinks += 1
                }
            } catch { tally.metadataFailed("hard link \(member.name) → \(target): \(error.message)") }
        }
        for directory in directories.sorted(by: { $0.name.components.count > $1.name.components.count }) {
            tally.directories += 1
            applyMetadata(directory.metadata, to: directory.name)
        }
        // Partial files still pending belong to entries cut short by a stop: never left behind.
        for (id, file) in pending { writer.removePartial(id, of: file.name) }
        pending.removeAll()
        report.restored = tally
    }
}
