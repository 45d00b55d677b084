/// A restic or borg repository as a target's restore source (`restic:` or `borg:` instead of
/// `archives:`): its newest snapshot (borg: archive) is the restore point, read through the tool's
/// own restore path (`RepositoryTool`). Secrets never appear here: only the path of a file holding
/// the password, or a command that prints it.
public struct RepositorySource: Sendable, Hashable, Codable {
    public enum Tool: String, Sendable, Hashable, Codable {
        case restic, borg
    }

    public var tool: Tool
    /// A path or a URL the tool understands (`sftp:`, `rest:`, `ssh://`).
    public var repository: String
    /// A file holding the password (restic: `RESTIC_PASSWORD_FILE`; borg: read by `cat` through
    /// `BORG_PASSCOMMAND`).
    public var passwordFile: String?
    /// borg only: a command that prints the passphrase (`BORG_PASSCOMMAND`, split by borg, no shell).
    public var passcommand: String?
    /// restic with an `s3:` repository only: an AWS shared-credentials file for the bucket, handed to
    /// restic as `AWS_SHARED_CREDENTIALS_FILE` (the path, never the keys) and bound into its sandbox.
    public var credentialsFile: String?
    /// Which snapshot: `latest`, or (restic) a snapshot ID or its prefix, (borg) a glob over archive
    /// names of which the newest matching is taken (`nightly-*`).
    public var snapshot = "latest"
    /// The tool's executable (`binary:`); default: the first of /usr/bin, /usr/local/bin, /bin.
    public var binary: String?

    public init(tool: Tool, repository: String) {
        self.tool = tool
        self.repository = repository
    }

    /// How the source shows in listings and outcomes: `restic:/srv/restic/acme`.
    public var display: String { "\(tool.rawValue):\(repository)" }
}
