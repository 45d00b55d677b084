import ArchiveKit
import RestoreCheckCore

extension EntryClassifier.Kind {
    /// The entry's restored name; nil for the root and refused entries.
    var name: EntryName? {
        switch self {
        case .unsafe, .root: nil
        case .directory(let name), .symlink(let name, _), .hardlink(let name, _, _), .awaitingLinkData(let name), .regular(let name),
            .special(let name, _): name
        }
    }
}

/// What each archive header becomes: a finding, a recorded link, a hard-link member, or a file
/// offered to the sample and restored.
extension RestorePass {
    mutating func handle(_ entry: ArchiveEntry, reader: inout ArchiveReader, writer: inout ScratchWriter) throws(RestoreWorker.Stop) {
        let kind = classifier.classify(entry, format: format)
        if let keeper, entry.hasACL { keeper.tally.aclsNotRestored += 1 }
        if let keeper, let name = kind.name, !keeper.includes(name) {
            // Outside `--include`: not restored, and not expected (see `reportMissing`).
            if case .regular = kind { keeper.tally.outsideInclude += 1 }
            try discard(entry, reader: &reader)
            return
        }
        switch kind {
        case .unsafe(let detail):
            add(Finding(path: entry.displayName, reason: .unsafeEntry, detail: detail))
            try discard(entry, reader: &reader)
            return
        case .root:
            return
        case .directory(let name):
            report.directoryEntries += 1
            if let keeper {
                // Seen, so a later file of this name is a later copy: it meets the directory and is
                // reported as not restored, rather than "kept" as if the operator had put it there.
                let slot = ledger.slot(for: NameKey(name))
                ledger.markSeen(slot)
                keeper.supersedeSymlink(slot)
            }
            if let keeper, let problem = keeper.directory(name, EntryMetadata(entry), writer: &writer) {
                add(Finding(path: name.description, reason: .scratchError, detail: "cannot make the directory: \(problem)"))
            }
            return
        case .symlink(let name, let target):
            // Recorded as data, never created: a link's target is outside our control.
            report.linksRecorded += 1
            let slot = ledger.slot(for: NameKey(name))
            let replacesEarlierEntry = !ledger.markSeen(slot)
            if let expected = ledger.expectedDigest(slot), !symlinkServes(expected, link: name, target: target) {
                add(Finding(
                    path: name.description, reason: .entryMissing,
                    detail: "the manifest lists a file; the archive holds a symlink to '\(String(decoding: target, as: UTF8.self))', "
                        + "which does not restore the listed content",
                    expectedSHA256: expected.description))
            }
            keeper?.symlink(slot, name, to: target, EntryMetadata(entry), replaces: replacesEarlierEntry)
            try discard(entry, reader: &reader)
            return
        case .special(let name, let special):
            report.specialEntriesSkipped += 1
            let slot = ledger.slot(for: NameKey(name))
            ledger.markSeen(slot)
            if let expected = ledger.expectedDigest(slot) {
                add(Finding(
                    path: name.description, reason: .entryMissing,
                    detail: "the manifest lists a file; the archive holds a \(special) under that name",
                    expectedSHA256: expected.description))
            }
            try discard(entry, reader: &reader)
            return
        case .awaitingLinkData(let name):
            report.regularFiles += 1
            let slot = ledger.slot(for: NameKey(name))
            ledger.markSeen(slot)
            hardLinks.awaitData(slot, name: name)
            try discard(entry, reader: &reader)
            return
        case .hardlink(let name, let target, let carriesData):
            let slot = ledger.slot(for: NameKey(name))
            let targetSlot = ledger.slot(for: NameKey(target))
            guard ledger.isSeen(targetSlot) else {
                // The header-only plan cannot know the target is missing and counted a data-carrying
                // link as a file, as `restoreFile` would have: keep the two passes' ordinals aligned.
                if carriesData { plan.passOver(entry, name, listed: manifest == nil || ledger.isListed(slot)) }
                ledger.markSeen(slot)
                if manifest == nil || ledger.isListed(slot) {
                    add(Finding(
                        path: name.description, reason: .entryMissing,
                        detail: "hard link to '\(target)', which no earlier entry of the archive holds: a restore cannot create it"))
                }
                try discard(entry, reader: &reader)
                return
            }
            guard carriesData else {
                report.linksRecorded += 1
                ledger.markSeen(slot)
                hardLinks.link(slot, name: name, to: targetSlot, targetName: target)
                try discard(entry, reader: &reader)
                return
            }
            hardLinks.dataArrived(at: slot, name: name, linkedTo: targetSlot)
            try restoreFile(entry, as: name, reader: &reader, writer: &writer)
        case .regular(let name):
            try restoreFile(entry, as: name, reader: &reader, writer: &writer)
        }
    }

    /// Whether a symlink where the manifest lists a file still restores the listed content: it points
    /// (relative to its own directory, staying in the tree) at a file the manifest lists with the same
    /// digest. `sha256sum` follows links, so a manifest of a tree with relative links lists them so.
    func symlinkServes(_ expected: SHA256Digest, link: EntryName, target: [UInt8]) -> Bool {
        guard target.first != UInt8(ascii: "/") else { return false }
        var parts = Array(link.components.dropLast())
        for part in target.split(separator: UInt8(ascii: "/")) {
            if part.elementsEqual(".".utf8) { continue }
            if part.elementsEqual("..".utf8) {
                guard !parts.isEmpty else { return false }
                parts.removeLast()
            } else {
                parts.append(part)
            }
        }
        guard case .success(let resolved) = EntryName.validate(Array(parts.joined(separator: [UInt8(ascii: "/")]))),
            let slot = manifest?.slot(of: NameKey(resolved))
        else { return false }
        return ledger.expectedDigest(Int32(slot)) == expected
    }

    /// A header whose data a restore writes as the file `name`: counted, sampled, restored or passed over.
    mutating func restoreFile(_ entry: ArchiveEntry, as name: EntryName, reader: inout ArchiveReader, writer: inout ScratchWriter) throws(RestoreWorker.Stop) {
        report.regularFiles += 1
        report.totalFileBytes += max(0, entry.declaredSize ?? 0)
        let slot = ledger.slot(for: NameKey(name))
        let firstCopy = ledger.markSeen(slot)
        if !firstCopy, report.duplicateNames.count < RestoreWorker.maxFindings {
            report.duplicateNames.append(name.description)
        }
        keeper?.supersedeSymlink(slot)
        if request.checkContent, let trace = RansomwareNames.match(name) {
            add(Finding(path: name.description, reason: .suspiciousContent, detail: trace.description))
        }
        if entry.isEncrypted {
            add(Finding(path: name.description, reason: .encryptedEntry, detail: "entry is encrypted; restorecheck has no key"))
            try discard(entry, reader: &reader)
            return
        }
        if manifest != nil, !ledger.isListed(slot) {
            report.filesNotInManifest += 1
            // A restore keeps every file; only a test passes over what it cannot verify.
            if let keeper { keeper.tally.unverified += 1 } else {
                try discard(entry, reader: &reader)
                return
            }
        }
        if keeper != nil {
            do { _ = try writer.parentDirectory(of: name) } catch {
                // Its directory cannot be made (an existing file in the way, without --overwrite):
                // this file is not restored, the rest still is.
                if error.isScratchFull { throw scratchStop(error) }
                add(Finding(path: name.description, reason: .scratchError, detail: "not restored: \(error.message)"))
                try discard(entry, reader: &reader)
                return
            }
        }
        supersede(slot, name: name)
        coverage?.noteSize(slot, entry.declaredSize ?? 0)
        let id = nextID
        nextID += 1
        let (chosen, evicted) = plan.choose(name, slot: slot, id: id, bytes: entry.declaredSize ?? 0)
        for dropped in book.evict(evicted) {
            writer.remove(dropped.name)
            // A failure found is never thrown away, even if the file leaves the sample.
            if let finding = dropped.finding { add(finding) }
        }
        guard chosen else {
            try discard(entry, reader: &reader)
            return
        }
        if let match = validationRules.first(where: { $0.glob.matches(name) }) { toValidate.append((name, slot, match.rule)) }
        if request.liveSource != nil { toCompare.append((name, slot, entry.modificationTime)) }
        // Registered before completions are applied: a fast completion of this very entry must find it.
        if let hasher {
            book.register(id, try restoreInPlace(entry, as: name, slot: slot, id: id, hasher: hasher, writer: &writer))
        } else {
            keeper?.willWrite(id, as: name, EntryMetadata(entry), replaces: !firstCopy)
            book.register(id, try restore(entry, as: name, slot: slot, id: id, reader: &reader, writer: &writer))
        }
        try apply(takeCompletions())
    }

    /// A duplicate name replaces the earlier copy, as on a real restore: the earlier copy leaves the
    /// sample, and a result already settled for it is taken back.
    mutating func supersede(_ slot: Int32, name: EntryName) {
        book.supersede(slot)  // the last copy wins; the earlier one's digest is moot
        switch ledger.unsettle(slot) {
        case .none:
            break
        case .verified(let bytes):
            report.filesVerified -= 1
            report.bytesVerified -= bytes
        case .failed:
            let path = name.description
            if let index = report.findings.lastIndex(where: { $0.path == path }) {
                report.findings.remove(at: index)
            } else if report.findingsOmitted > 0 {
                report.findingsOmitted -= 1
            }
        }
    }

    /// Records a sample member's final result (settling modes only).
    mutating func settle(_ slot: Int32, bytes: Int64, finding: Finding?) {
        if let finding {
            add(finding)
            ledger.settle(slot, result: .failed)
        } else {
            report.filesVerified += 1
            report.bytesVerified += bytes
            ledger.settle(slot, result: .verified(bytes: bytes))
        }
    }
}
