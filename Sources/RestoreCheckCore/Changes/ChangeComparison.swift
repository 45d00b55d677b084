import Foundation

/// One restore point against the previous one of the same target, and the rules that call the
/// difference suspicious (`ChangeThresholds`). The rules live here and only here.
public struct ChangeComparison: Sendable, Hashable {
    /// Files only in the previous point, only in this one, and in both with a different digest.
    public var deleted = 0
    public var added = 0
    public var changed = 0
    /// Files in both points (by name).
    public var common = 0
    /// `changed ÷ common`: the share of surviving files whose content changed.
    public var changedShare: Double { common > 0 ? Double(changed) / Double(common) : 0 }
    /// Each rule that fired, with its numbers.
    public var hits: [String] = []
    /// Whether the changed-share rule fired (such a point does not join the target's history).
    public var changedShareHit = false

    public static func compare(_ previous: ChangeSummary, _ current: ChangeSummary, _ rules: ChangeThresholds) -> ChangeComparison {
        var result = ChangeComparison()
        // Merge the sorted entries by name hash (the top 48 bits).
        var i = 0
        var j = 0
        let old = previous.entries
        let new = current.entries
        while i < old.count || j < new.count {
            if j == new.count || (i < old.count && old[i] >> 16 < new[j] >> 16) {
                result.deleted += 1
                i += 1
            } else if i == old.count || new[j] >> 16 < old[i] >> 16 {
                result.added += 1
                j += 1
            } else {
                result.common += 1
                if old[i] != new[j] { result.changed += 1 }
                i += 1
                j += 1
            }
        }

        // Files without an extension are not what ransomware empties (it renames documents): they
        // are git's loose objects, which `git gc` packs by the hundred, caches and rotated logs.
        for (ext, before) in previous.extensionCounts.sorted(by: { $0.key < $1.key }) where !ext.isEmpty {
            let gone = before - (current.extensionCounts[ext] ?? 0)
            guard gone >= rules.deletedFiles, Double(gone) * 100 > Double(before) * rules.deletedPercent else { continue }
            let what = ext.isEmpty ? "files without an extension" : "'.\(ext)' files"
            result.hits.append("mass deletion: \(gone) of \(before) \(what) (\(Self.percent(gone, of: before))) gone since the previous restore point")
        }

        let unseen = current.extensionCounts.keys.filter { !previous.seenExtensions.contains($0) }.sorted()
        if unseen.count > rules.newExtensions {
            result.hits.append(
                "\(unseen.count) extensions this target never had before (\(unseen.prefix(5).map { ".\($0)" }.joined(separator: ", "))…)")
        }

        let history = previous.changedHistory
        if history.count >= rules.changedMinPoints, result.common > 0 {
            let mean = history.reduce(0, +) / Double(history.count)
            let sigma = (history.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / Double(history.count)).squareRoot()
            let share = result.changedShare
            if share * 100 >= rules.changedMinPercent, share > mean + rules.changedSigma * sigma {
                result.changedShareHit = true
                result.hits.append(String(
                    format: "%d of %d files (%.1f %%) changed since the previous restore point; the target's last %d points changed %.1f %% ± %.1f %%",
                    result.changed, result.common, share * 100, history.count, mean * 100, sigma * 100))
            }
        }

        if previous.bytes > 0, Double(current.bytes) < Double(previous.bytes) * (1 - rules.sizeDropPercent / 100) {
            result.hits.append(
                "total size down from \(ByteCount.format(previous.bytes)) to \(ByteCount.format(current.bytes)) since the previous restore point")
        }
        return result
    }

    /// One line for the outcome's notes.
    public var description: String {
        String(format: "changes since the previous restore point: %d added, %d deleted, %d of %d changed (%.1f %%)",
               added, deleted, changed, common, changedShare * 100)
    }

    static func percent(_ part: Int, of whole: Int) -> String {
        String(format: "%.0f %%", Double(part) * 100 / Double(max(1, whole)))
    }
}
