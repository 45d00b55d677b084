import RestoreCheckCore

/// What one test may restore, as pure checks: `limits.max_bytes`, `max_entries`, `max_ratio`, and
/// the rules for sizes a header declares (never write past them; pad a sparse tail; a short entry
/// is a finding). Pure so that each rule has a test without an archive; the pass applies them.
struct RestoreBudget {
    let limits: RestoreLimits

    /// Why restoring the current entry up to `entryEnd` bytes, after `restoredBefore` bytes of earlier
    /// files, is over `limits.max_bytes`; nil when it is within. Counts the entry being restored
    /// (and its sparse holes, hashed but not written), so one huge entry is stopped too.
    func bytesExceeded(restoredBefore: Int64, entryEnd: Int64) -> String? {
        guard restoredBefore + entryEnd > limits.maxBytes else { return nil }
        return "more than \(ByteCount.format(limits.maxBytes)) restored (limits.max_bytes)"
    }

    func entriesExceeded(_ entries: Int) -> String? {
        guard entries > limits.maxEntries else { return nil }
        return "more than \(limits.maxEntries) entries (limits.max_entries)"
    }

    /// Why the stream is a decompression bomb, once past the grace bytes; nil otherwise.
    func ratioExceeded(decoded: Int64, archiveRead: Int64) -> String? {
        guard decoded > limits.ratioGraceBytes, archiveRead > 0 else { return nil }
        let ratio = Double(decoded) / Double(archiveRead)
        guard ratio > limits.maxRatio else { return nil }
        return "decompression ratio \(Int(ratio)):1 above \(Int(limits.maxRatio)):1 (limits.max_ratio): a decompression bomb?"
    }

    /// How many of a block's `count` bytes at `position` may be written: never past the declared
    /// size. `overflows` when the entry delivers more than its header declared (`size_mismatch`).
    static func writable(_ count: Int, at position: Int64, declared: Int64?) -> (count: Int, overflows: Bool) {
        guard let declared, position + Int64(count) > declared else { return (count, false) }
        return (Int(max(0, declared - position)), true)
    }

    /// How an entry's data ended against its declared size.
    enum Ending: Equatable {
        /// As declared (or nothing declared).
        case complete
        /// A sparse entry whose last hole runs to the declared size: hash zeros, truncate to it.
        case sparseTail(to: Int64)
        /// Fewer bytes than declared: `size_mismatch`.
        case short(declared: Int64)
    }

    static func ending(at position: Int64, declared: Int64?, sparse: Bool) -> Ending {
        guard let declared, position < declared else { return .complete }
        return sparse ? .sparseTail(to: declared) : .short(declared: declared)
    }
}
