/// `change_thresholds:`: when a restore point differs from the previous one the way ransomware and
/// mass deletion make it differ (README "Changes between restore points" gives each default's anchor).
public struct ChangeThresholds: Sendable, Hashable, Codable {
    /// Mass deletion: at least this many files of one extension gone…
    public var deletedFiles = 100
    /// …and more than this share (percent) of that extension's files.
    public var deletedPercent = 50.0
    /// More than this many extensions the target never had before.
    public var newExtensions = 20
    /// A changed share above the mean plus this many standard deviations of the target's own history…
    public var changedSigma = 3.0
    /// …of at least this many earlier restore points…
    public var changedMinPoints = 5
    /// …and at least this share (percent) of the files: a static dataset's history is all zeros, and
    /// its first ordinary edit must not look like an attack.
    public var changedMinPercent = 5.0
    /// The total size down by more than this share (percent).
    public var sizeDropPercent = 50.0

    public init() {}
}
