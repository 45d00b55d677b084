import RestoreCheckCore

/// What a customer reads first for each backup: one sentence and one of three states, each shown by
/// a word and a glyph as well as a colour and a border style, so the page still reads in
/// greyscale print and to a colour-blind reader.
struct ReportHeadline {
    enum State: String {
        /// The newest verified restore point is within the RPO now.
        case verified
        /// A restore point was verified once, but the newest verified one is older than the RPO.
        case breached
        /// No restore test of this backup has ever passed.
        case never
    }

    let state: State
    let sentence: String

    init(_ summary: TargetSummary) {
        let rpo = TimeSpan.format(summary.rpoSeconds)
        let age = ReportFormat.duration(summary.verifiedBackupAgeSeconds)
        switch (summary.verifiedBackupTimestamp, summary.rpoMet) {
        case (nil, _):
            state = .never
            sentence = "\(summary.target) has never been verified: no restore test of this backup has passed."
        case (_, true):
            state = .verified
            sentence = "\(summary.target) is verified restorable: its newest verified restore point is \(age) old, within the RPO of \(rpo)."
        case (_, false):
            state = .breached
            sentence = "\(summary.target) is NOT within its RPO: its newest verified restore point is \(age) old, and the RPO is \(rpo)."
        }
    }

    /// The word and glyph beside the sentence (never colour alone).
    var label: String {
        switch state {
        case .verified: "✓ Verified"
        case .breached: "✗ Breached"
        case .never: "? Never verified"
        }
    }

    var dictionary: [String: Any] { ["state": state.rawValue, "label": label, "sentence": sentence] }
}
