import Foundation
import Glibc

/// A `validate: command:` run under bubblewrap (Debian's `bubblewrap`), on one restored file.
///
/// The sandbox (`arguments`): every namespace unshared (no network: only its own loopback), `/usr`
/// read-only with the usual symlinks, `/etc/passwd` and `/etc/group` read-only (tools look up their
/// own uid), the test's scratch read-only at `/scratch`, the program itself when it lives outside
/// `/usr`, and nothing else of the host, a private tmpfs
/// for `/tmp` and `HOME`, uid/gid 65534, all capabilities dropped, `--die-with-parent`, a session of
/// its own, a cleared environment. `prlimit` sets RLIMIT_CPU, RLIMIT_AS, RLIMIT_FSIZE and
/// RLIMIT_NPROC before `bwrap` starts, and the wall-clock `timeout` kills the whole group (the
/// sandbox's PID namespace dies with its first process). Arguments are never passed through a shell.
///
/// Not guaranteed: RLIMIT_NPROC counts the *real* uid outside the sandbox, and root is exempt from
/// it, so under a daemon running as root a fork bomb is bounded only by the timeout; run the daemon
/// as its own user (the shipped unit does).
public struct SandboxedCommand {
    static let bubblewrap = "/usr/bin/bwrap"
    static let prlimit = "/usr/bin/prlimit"
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
        for tool in [bubblewrap, prlimit] where !FileManager.default.isExecutableFile(atPath: tool) {
            return "\(tool) is missing (Debian: bubblewrap, util-linux)"
        }
        let probe = run(
            ["/bin/true"], scratch: "/", fileName: "", target: "", tenant: "", timeout: TimeSpan(seconds: 20), limits: RestoreLimits(),
            probing: true)
        if case .passed = probe { return nil }
        return "bubblewrap cannot create its namespaces here (user namespaces off?): \(probe)"
    }

    /// `{file}` (the restored file inside the sandbox), `{scratch}`, `{target}`, `{tenant}`.
    static func substitute(_ command: [String], fileName: String, target: String, tenant: String) -> [String] {
        command.map {
            $0.replacingAll("{file}", with: "/scratch/" + fileName).replacingAll("{scratch}", with: "/scratch")
                .replacingAll("{target}", with: target).replacingAll("{tenant}", with: tenant)
        }
    }

    static func arguments(_ command: [String], scratch: String, timeout: TimeSpan, limits: RestoreLimits) -> [String] {
        [
            "--cpu=\(Int(timeout.seconds) + 10)", "--as=\(limits.memoryBytes)", "--fsize=\(limits.maxBytes)", "--nproc=512", "--",
            bubblewrap, "--unshare-all", "--die-with-parent", "--new-session", "--cap-drop", "ALL", "--clearenv",
            "--uid", "65534", "--gid", "65534",
            "--ro-bind", "/usr", "/usr", "--symlink", "usr/bin", "/bin", "--symlink", "usr/sbin", "/sbin",
            "--symlink", "usr/lib", "/lib", "--symlink", "usr/lib64", "/lib64",
            "--ro-bind", "/etc/passwd", "/etc/passwd", "--ro-bind", "/etc/group", "/etc/group",
            "--proc", "/proc", "--dev", "/dev", "--tmpfs", "/tmp", "--dir", "/tmp/home",
            "--ro-bind", scratch, "/scratch",
        ] + programBinding(command) + [
            "--setenv", "HOME", "/tmp/home", "--setenv", "PATH", "/usr/bin:/bin", "--setenv", "LC_ALL", "C.UTF-8",
            "--chdir", "/tmp", "--",
        ] + command
    }

    /// The program itself, read-only at its own path, when it lives outside `/usr` (a site's
    /// validator in `/etc/restorecheck/validators`, say): the one host file a command adds.
    static func programBinding(_ command: [String]) -> [String] {
        guard let program = command.first, !program.hasPrefix("/usr/") else { return [] }
        return ["--ro-bind", program, program]
    }

    static func run(
        _ command: [String], scratch: String, fileName: String, target: String, tenant: String, timeout: TimeSpan,
        limits: RestoreLimits, cancellation: CancellationFlag = CancellationFlag(), probing: Bool = false
    ) -> Result {
        if !probing, let why = unavailable() { return .couldNotRun(why + "; the command was not run (never unsandboxed)") }
        let argv = arguments(substitute(command, fileName: fileName, target: target, tenant: tenant), scratch: scratch, timeout: timeout, limits: limits)
        let child: SpawnedChild
        do { child = try SpawnedChild.spawn(executable: prlimit, arguments: argv, environment: ["PATH=/usr/bin:/bin"]) } catch {
            return .couldNotRun("cannot start \(prlimit): \(error)")
        }
        child.writeInput(Data())
        let deadline = Date().addingTimeInterval(timeout.seconds)
        var output = Data()
        var open = 2
        var timedOut = false
        while open > 0 {
            if Date() >= deadline || cancellation.isCancelled {
                timedOut = true
                child.killGroup()
                break
            }
            for (_, data) in child.poll(timeoutMilliseconds: 200) {
                guard let data else {
                    open -= 1
                    continue
                }
                if output.count < outputLimit { output.append(data.prefix(outputLimit - output.count)) }
            }
        }
        let status = child.wait()
        let text = String(decoding: output, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        if timedOut { return .timedOut(output: text) }
        switch status {
        case .exited(0): return .passed
        case .exited(let code): return .failed(status: "exit status \(code)", output: text)
        case .signaled(let signal): return .failed(status: "killed by signal \(signal)", output: text)
        }
    }
}
