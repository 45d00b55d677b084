/// The one home of what both bubblewrap sandboxes are built on (the repository tool's,
/// `ToolSandbox`, and the validation command's, `SandboxedCommand`): every namespace unshared (the
/// network shared only when asked), killed with its parent, a session of its own (no `TIOCSTI` into
/// a terminal), the host's `/usr` read-only with a merged-`/usr` system's links, a private `/proc`,
/// a private `/dev` made read-only, and `/tmp` and `/dev/shm` as tmpfs of a bounded size. Each
/// sandbox adds its own files, capabilities and writable places after this.
enum BubblewrapBase {
    static let executable = "/usr/bin/bwrap"
    /// How bubblewrap's own failures begin (a sandbox that could not start is not the backup's fault).
    static let ownErrorPrefix = "bwrap:"
    /// The links to `/usr` a merged-`/usr` system has.
    static let usrLinks: [(target: String, link: String)] = [("usr/bin", "/bin"), ("usr/sbin", "/sbin"), ("usr/lib", "/lib"), ("usr/lib64", "/lib64")]

    /// The options and the file system's base, in the order bubblewrap must apply them (`/tmp`
    /// exists before anything is made in it). `tmpfsBytes`: the size of each of `/tmp` and
    /// `/dev/shm` (`RestoreLimits.sandboxTmpfsBytes`: RAM no rlimit counts).
    static func arguments(shareNetwork: Bool = false, tmpfsBytes: Int64) -> [String] {
        ["--unshare-all"] + (shareNetwork ? ["--share-net"] : []) + ["--die-with-parent", "--new-session", "--ro-bind", "/usr", "/usr"]
            + usrLinks.flatMap { ["--symlink", $0.target, $0.link] }
            + [
                "--proc", "/proc", "--dev", "/dev", "--size", "\(tmpfsBytes)", "--tmpfs", "/dev/shm", "--remount-ro", "/dev",
                "--size", "\(tmpfsBytes)", "--tmpfs", "/tmp",
            ]
    }

    /// What a sandbox shows of the host through this base (for paths a command's arguments may name).
    static var visibleRoots: [String] { ["/usr"] + usrLinks.map(\.link) + ["/proc", "/dev"] }
}
