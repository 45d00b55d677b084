import ArchiveKit
import RestoreCheckCore

/// Decides what a real restore would do with each archive header, in archive order, before any data
/// is read: the one place that knows how GNU tar, bsdtar, cpio and unzip treat names and links.
///
/// Both the header-only planning pass and the restoring pass classify through this type, so the
/// sample a plan chose is the sample the restore would have made.
///
/// What real tools do, and so what is decided here:
/// - A leading `/` is stripped (GNU tar, bsdtar without `-P`, unzip): the entry restores below the
///   target directory. `..` components stay unsafe: the tools refuse them.
/// - An entry below a name that an earlier entry made a symlink is refused (bsdtar: "Cannot extract
///   through symlink"; GNU tar delays symlinks for the same reason): `unsafe_entry`. A later directory
///   or file of the link's own name replaces the link, as it does on disk.
/// - A hard link names an earlier entry; a target that is absolute or leaves the tree is refused.
/// - In newc cpio a hard-link group's data travels with its last member; the earlier members are
///   size-0 headers with a link count above 1 (libarchive names the first one as the later members'
///   link target). Such a header is not a file of its own: it waits for its group's data.
struct EntryClassifier {
    /// Names made symlinks so far (only those: the set is empty for most backups).
    private var symlinks: Set<EntryName> = []
    /// Names whose leading `/` was stripped, for the report's note.
    private(set) var rootStripped = 0

    /// What one header is, for the restore.
    enum Kind {
        /// Refused as a real restore would refuse it; the detail says why.
        case unsafe(String)
        /// The archive's root (`./`): scratch already is it.
        case root
        case directory(EntryName)
        case symlink(EntryName, target: [UInt8])
        /// A hard link to an earlier entry; `carriesData` when the header has data of its own
        /// (odc cpio, the last member of a newc group, a pax hard link with data), which a restore
        /// writes into the shared file.
        case hardlink(EntryName, target: EntryName, carriesData: Bool)
        /// A newc hard-link group member whose data comes with a later member.
        case awaitingLinkData(EntryName)
        case regular(EntryName)
        /// A FIFO, device or socket: recorded, never created.
        case special(EntryName, ArchiveEntry.Kind)
    }

    mutating func classify(_ entry: ArchiveEntry, format: ArchiveReader.Format) -> Kind {
        let name: EntryName
        switch restorableName(entry.pathname) {
        case .success(let valid): name = valid
        case .failure(.empty) where entry.kind == .directory: return .root
        case .failure(let rejection): return .unsafe(rejection.description)
        }
        if let link = symlinkAbove(name) {
            return .unsafe("below '\(link)', which an earlier entry made a symlink: a restore does not extract through it")
        }
        switch entry.kind {
        case .directory:
            symlinks.remove(name)
            return .directory(name)
        case .symlink:
            symlinks.insert(name)
            return .symlink(name, target: entry.linkTarget ?? [])
        case .hardlink:
            let raw = entry.linkTarget ?? []
            let target: EntryName
            switch EntryName.validate(raw) {
            case .success(let valid): target = valid
            case .failure(let rejection):
                return .unsafe("hard link to '\(String(decoding: raw, as: UTF8.self))' (\(rejection)): a restore refuses it")
            }
            if let link = symlinkAbove(target) {
                return .unsafe("hard link through '\(link)', which an earlier entry made a symlink")
            }
            return .hardlink(name, target: target, carriesData: (entry.declaredSize ?? 0) > 0)
        case .regular:
            symlinks.remove(name)
            if format == .cpio, entry.linkCount > 1, entry.declaredSize == 0 { return .awaitingLinkData(name) }
            return .regular(name)
        default:
            return .special(name, entry.kind)
        }
    }

    /// Validates a name as an archive member, stripping a leading `/` as the real tools do.
    private mutating func restorableName(_ bytes: [UInt8]) -> Result<EntryName, EntryName.Rejection> {
        let (relative, stripped) = EntryName.strippingRoot(bytes)
        let result = EntryName.validate(relative)
        if stripped, case .success = result { rootStripped += 1 }
        return result
    }

    /// The nearest proper ancestor of `name` that is a symlink made by an earlier entry.
    private func symlinkAbove(_ name: EntryName) -> EntryName? {
        guard !symlinks.isEmpty else { return nil }
        var end = name.bytes.startIndex
        while let slash = name.bytes[end...].firstIndex(of: UInt8(ascii: "/")) {
            let prefix = EntryName(bytes: Array(name.bytes[..<slash]))
            if symlinks.contains(prefix) { return prefix }
            end = slash + 1
        }
        return nil
    }
}
