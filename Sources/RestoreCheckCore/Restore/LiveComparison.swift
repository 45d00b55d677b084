/// What a comparison with the live source found, besides its findings.
public struct LiveComparison: Sendable, Codable, Hashable {
    /// Restored files whose live copy has the same size and modification time: compared byte for byte.
    public var compared = 0
    /// Restored files whose live copy changed since the backup took it (another size or time): skipped.
    public var changed = 0
    /// Restored files with no live copy any more (deleted since): skipped.
    public var gone = 0
    /// Whether the live source was walked for files the backup lacks (needs the backup's start time).
    public var walked = false
    /// Live files the walk checked (older than the backup's start, not excluded).
    public var walkedFiles = 0

    public init() {}

    /// The outcome's note.
    public var summary: String {
        let sampled = compared + changed + gone
        let share = sampled == 0 ? 0 : Double(changed + gone) * 100 / Double(sampled)
        var text = "compared with the live source: \(compared) file(s) unchanged since the backup compared byte for byte; "
            + "\(changed) changed and \(gone) deleted since, skipped (\(String(format: "%.0f", share)) % of the sample)"
        text += walked
            ? "; \(walkedFiles) live file(s) older than the backup's start checked for presence in it"
            : "; files missing from the backup not checked (the restore point has no recorded start time: a repository snapshot has one)"
        return text
    }
}
