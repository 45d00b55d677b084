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
    /// The word and glyph beside the sentence (never colour alone).
    let label: String

    init(_ summary: TargetSummary, language: ReportLanguage = .english) {
        let rpo = language.span(summary.rpoSeconds)
        let age = language.duration(summary.verifiedBackupAgeSeconds)
        switch (summary.verifiedBackupTimestamp, summary.rpoMet) {
        case (nil, _):
            state = .never
            sentence = language.text("sentence_never", ["target": summary.target])
        case (_, true):
            state = .verified
            sentence = language.text("sentence_verified", ["target": summary.target, "age": age, "rpo": rpo])
        case (_, false):
            state = .breached
            sentence = language.text("sentence_breached", ["target": summary.target, "age": age, "rpo": rpo])
        }
        label = language.text("state_\(state.rawValue)")
    }

    var dictionary: [String: Any] { ["state": state.rawValue, "label": label, "sentence": sentence] }
}
