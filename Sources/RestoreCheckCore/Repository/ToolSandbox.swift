import Foundation

/// The bubblewrap sandbox a repository tool restores in: the only place it can write is the test's
/// scratch directory (and its own work directory), whatever the snapshot holds.
///
/// Why: measured with Debian's borg 1.2.4, an archive made by `borg import-tar` from a tar holding a
/// symlink `lnk -> /tmp` and then a file `lnk/through.txt` makes `borg extract` write
/// `/tmp/through.txt`, outside its target. So "the tool honours its target directory" is not
/// something to rely on; the mount namespace makes it true.
///
/// The sandbox: `BubblewrapBase` (the network shared only when the repository is a URL), of `/etc`
/// only what `systemFiles` lists, the repository, the password file and an s3: repository's credentials file read-only at their own
/// paths, the tool's work directory and the test's scratch writable (a listing: the work directory
/// only), and the tool's executable bound read-only when it lives outside `/usr`. As root, only the capabilities a restore of owners and modes needs are kept
/// (`CAP_CHOWN`, `CAP_FOWNER`, `CAP_DAC_OVERRIDE`, `CAP_FSETID`): no `CAP_MKNOD`, so device nodes in
/// a snapshot are not recreated (the tool reports them), and no `CAP_SYS_ADMIN`.
struct ToolSandbox {
    /// Capabilities a root restore keeps: owners, modes and times of restored files.
    static let rootCapabilities = ["CAP_CHOWN", "CAP_FOWNER", "CAP_DAC_OVERRIDE", "CAP_FSETID"]
    /// What of `/etc` a tool needs: owner names (borg restores owners by name), name resolution and CA
    /// certificates for remote repositories. Not the rest: other tenants' password files live there.
    static let systemFiles = [
        "/etc/passwd", "/etc/group", "/etc/nsswitch.conf", "/etc/hosts", "/etc/resolv.conf", "/etc/ssl", "/etc/ca-certificates",
    ]

    let source: RepositorySource
    let executable: String
    let workDirectory: String
    /// Where a restore writes; nil for a listing, which writes nothing but the work directory.
    let scratch: String?
    /// Size of the sandbox's `/tmp` and `/dev/shm` (`RestoreLimits.sandboxTmpfsBytes`).
    let tmpfsBytes: Int64

    /// Whether the repository is reached over the network (a URL such as `sftp:`, `rest:`, `s3:`, `ssh://`).
    var isRemote: Bool { !source.repository.hasPrefix("/") }

    /// `bwrap`'s arguments up to and including the tool's executable; the tool's own arguments follow.
    var arguments: [String] {
        var arguments = BubblewrapBase.arguments(shareNetwork: isRemote, tmpfsBytes: tmpfsBytes)
        if SystemCalls.isRoot {
            arguments += ["--cap-drop", "ALL"] + Self.rootCapabilities.flatMap { ["--cap-add", $0] }
        }
        arguments += Self.systemFiles.flatMap { ["--ro-bind-try", $0, $0] }
        // `-try`: a repository or password file that is missing is the tool's to report (a source
        // that is unavailable), not a sandbox that could not start.
        if !isRemote { arguments += ["--ro-bind-try", source.repository, source.repository] }
        if let file = source.passwordFile { arguments += ["--ro-bind-try", file, file] }
        if let file = source.credentialsFile { arguments += ["--ro-bind-try", file, file] }
        if !executable.hasPrefix("/usr/") { arguments += ["--ro-bind", executable, executable] }
        arguments += ["--bind", workDirectory, workDirectory]
        if let scratch { arguments += ["--bind", scratch, scratch] }
        arguments += ["--chdir", scratch ?? workDirectory, "--", executable]
        return arguments
    }
}
