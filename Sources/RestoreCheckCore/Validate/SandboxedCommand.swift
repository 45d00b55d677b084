import Foundation
import Glibc

/// A `validate: command:` run under bubblewrap (Debian's `bubblewrap`), on one restored file.
///
/// The sandbox (`arguments`): every namespace unshared (no network: only its own loopback), `/usr`
/// read-only with the usual symlinks, `/etc/passwd` and `/etc/group` read-only (tools look up their
/// own uid), the test's scratch read-only at `/scratch`, a read-only copy of the program itself when
/// it lives outside `/usr`, and nothing else of the host, a private tmpfs for `/tmp` and `HOME` and
/// one for `/dev/shm`, each of half `limits.memory`, with `/dev` read-only (`BubblewrapBase`),
/// uid/gid 65534 inside, all capabilities dropped, `--die-with-parent`, a session of its own, a
/// cleared environment. `prlimit` sets RLIMIT_CPU, RLIMIT_AS, RLIMIT_FSIZE and RLIMIT_NPROC before
/// `bwrap` starts, and the wall-clock `timeout` kills the whole group (the sandbox's PID namespace
/// dies with its first process). Arguments are never passed through a shell.
///
/// The host uid: bubblewrap maps the sandbox's uid to the uid that started it, and the kernel never
/// applies RLIMIT_NPROC to root, so under restorecheck run as root a fork bomb would be bounded only
/// by the timeout (and could exhaust the host's PIDs first). So as root, `setpriv` first drops to
/// uid/gid 65534 (nobody/nogroup) with no capabilities, and the test's scratch is handed to that uid
/// (`ScratchDirectory.handOver`) for the commands to read; its path must be searchable by others
/// (restorecheck makes its scratch base 0711; `check-config` names a directory that is not). Run as
/// its own user (the shipped unit), restorecheck needs neither: the sandbox runs as that user.
public struct SandboxedCommand {
    static let prlimit = "/usr/bin/prlimit"
    static let setpriv = "/usr/bin/setpriv"
    /// The host uid and gid of a sandbox started by root (nobody, nogroup).
    static let unprivilegedID: UInt32 = 65534
    /// Output kept as evidence.
    static let outputLimit = 4096

    enum Result: Equatable {
        case passed
        case failed(status: String, output: String)
        case timedOut(output: String)
        case couldNotRun(String)
    }

    /// Nil when commands can run here; otherwise why not (`check-config` prints it, tests refuse).
    public static func unavailable() -> String? {
        let tools = [BubblewrapBase.executable, prlimit] + (SystemCalls.isRoot ? [setpriv] : [])
        for tool in tools where !FileManager.default.isExecutableFile(atPath: tool) {
            return "\(tool) is missing (Debian: bubblewrap, util-linux)"
        }
        let probe = run(
            ["/bin/true"], scratch: "/", fileName: "", target: "", tenant: "", timeout: TimeSpan(seconds: 20), limits: RestoreLimits(),
            probing: true)
        if case .passed = probe { return nil }
        return "bubblewrap cannot create its namespaces here (user namespaces off?): \(probe)"
    }

    /// Nil when a sandbox can bind a test's scratch below `scratchBase` (`scratch_dir`); otherwise
    /// why not. Only root's sandboxes (uid 65534) need it and every directory above it searchable.
    public static func unreachable(scratchBase: String) -> String? {
        guard SystemCalls.isRoot else { return nil }
        var directory = scratchBase
        while !directory.isEmpty {
            if case .success(let status) = SystemCalls.fileStatus(directory), status.st_mode & S_IXOTH == 0, status.st_uid != unprivilegedID {
                return "restorecheck runs as root, so validation commands run as uid \(unprivilegedID), which cannot reach scratch: "
                    + "\(directory) is not searchable by others (chmod o+x it, or run restorecheck as its own user)"
            }
            if directory == "/" { break }
            directory = (directory as NSString).deletingLastPathComponent
        }
        return nil
    }

    /// Makes a test's scratch readable by root's sandboxes (see the type's note); nothing to do when
    /// restorecheck is not root. Nil when done; otherwise why not.
    static func handOver(scratch: String) -> String? {
        guard SystemCalls.isRoot else { return nil }
        if let why = unreachable(scratchBase: (scratch as NSString).deletingLastPathComponent) { return why }
        do { try ScratchDirectory(path: scratch).handOver(to: unprivilegedID, group: unprivilegedID) } catch {
            return "cannot hand scratch to uid \(unprivilegedID): \(error)"
        }
        return nil
    }

    /// `{file}` (the restored file inside the sandbox), `{scratch}`, `{target}`, `{tenant}`.
    static func substitute(_ command: [String], fileName: String, target: String, tenant: String) -> [String] {
        command.map {
            $0.replacingAll("{file}", with: "/scratch/" + fileName).replacingAll("{scratch}", with: "/scratch")
                .replacingAll("{target}", with: target).replacingAll("{tenant}", with: tenant)
        }
    }

    /// The argv of `prlimit`: the limits, the drop to uid 65534 when root, bubblewrap's sandbox, the
    /// command. The program, when outside `/usr`, arrives as fd 3 and is copied in (`--ro-bind-data`):
    /// a bind would need its path to be searchable by the sandbox's uid.
    static func arguments(_ command: [String], scratch: String, timeout: TimeSpan, limits: RestoreLimits, programCopied: Bool) -> [String] {
        let limitsArguments = [
            "--cpu=\(Int(timeout.seconds) + 10)", "--as=\(limits.memoryBytes)", "--fsize=\(limits.maxBytes)", "--nproc=\(limits.processes)", "--",
        ]
        let drop = SystemCalls.isRoot
            ? [setpriv, "--reuid=\(unprivilegedID)", "--regid=\(unprivilegedID)", "--clear-groups", "--inh-caps=-all", "--bounding-set=-all", "--"]
            : []
        let program = programCopied && command.first != nil ? ["--perms", "0555", "--ro-bind-data", "3", command[0]] : []
        return limitsArguments + drop + [BubblewrapBase.executable]
            + BubblewrapBase.arguments(tmpfsBytes: limits.sandboxTmpfsBytes) + [
            "--cap-drop", "ALL", "--clearenv", "--uid", "65534", "--gid", "65534",
        ] + hostFiles.flatMap { ["--ro-bind", $0, $0] } + [
            "--dir", "/tmp/home", "--ro-bind", scratch, "/scratch",
        ] + program + [
            "--setenv", "HOME", "/tmp/home", "--setenv", "PATH", "/usr/bin:/bin", "--setenv", "LC_ALL", "C.UTF-8",
            "--chdir", "/tmp", "--",
        ] + command
    }

    /// Paths a command's arguments may name (`arguments`): the host's `/usr` (with its links),
    /// `/etc/passwd` and `/etc/group`, and the sandbox's own `/proc`, `/dev` and `/scratch`. Not
    /// `/tmp`: the sandbox's is private, so a host file there is not in it.
    static var visibleRoots: [String] { BubblewrapBase.visibleRoots + hostFiles + ["/scratch"] }
    /// Files of the host's `/etc` a command sees (tools look up their own uid).
    static let hostFiles = ["/etc/passwd", "/etc/group"]

    /// The arguments of `command` (after the program) that are absolute host paths the sandbox does
    /// not show: a script handed to an interpreter (`/usr/bin/python3 /etc/restorecheck/check.py`)
    /// would fail every test with "can't open file", blaming the customer's backup. For
    /// `check-config` to warn before that.
    public static func hiddenHostPaths(_ command: [String]) -> [String] {
        command.dropFirst().filter { argument in
            guard argument.hasPrefix("/"), !argument.contains("{file}"), !argument.contains("{scratch}") else { return false }
            return !visibleRoots.contains { argument == $0 || argument.hasPrefix($0 + "/") }
        }
    }

    /// Whether the program is copied into the sandbox: everything outside `/usr` (a site's validator
    /// in `/etc/restorecheck/validators`, say); `/usr` is bound whole.
    static func copiesProgram(_ command: [String]) -> Bool {
        guard let program = command.first else { return false }
        return !program.hasPrefix("/usr/")
    }

    static func run(
        _ command: [String], scratch: String, fileName: String, target: String, tenant: String, timeout: TimeSpan,
        limits: RestoreLimits, cancellation: CancellationFlag = CancellationFlag(), probing: Bool = false
    ) -> Result {
        if !probing, let why = unavailable() { return .couldNotRun(why + "; the command was not run (never unsandboxed)") }
        var programFD: Int32?
        if copiesProgram(command) {
            switch SystemCalls.open(command[0], O_RDONLY | O_CLOEXEC) {
            case .success(let fd): programFD = fd
            case .failure(let error): return .couldNotRun("cannot open \(command[0]): \(error)")
            }
        }
        defer { if let programFD { SystemCalls.close(programFD) } }
        let argv = arguments(
            substitute(command, fileName: fileName, target: target, tenant: tenant), scratch: scratch, timeout: timeout, limits: limits,
            programCopied: programFD != nil)
        var output = Data()
        let run = ToolRun.capture(
            prlimit, argv, environment: ["PATH=/usr/bin:/bin"], inherit: programFD.map { [$0] } ?? [], timeout: timeout,
            cancellation: cancellation
        ) { _, data in
            if output.count < outputLimit { output.append(data.prefix(outputLimit - output.count)) }
        }
        let text = String(decoding: output, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        if run.timedOut || run.cancelled { return .timedOut(output: text) }
        guard let status = run.status else { return .couldNotRun(run.errorOutput) }
        return status == .exited(0) ? .passed : .failed(status: "\(status)", output: text)
    }
}
