import CSystemShim
import Foundation
import Glibc

/// A child process with pipes on stdin, stdout and stderr: the thin `posix_spawn` layer under
/// `Supervision` (the worker, backup tools, validation commands). Every C call of the spawn lives here.
final class SpawnedChild {
    let pid: pid_t
    private var input: Int32
    private var output: Int32
    private var errorOutput: Int32

    enum Stream { case output, error }

    /// How the child ended.
    enum Status: Equatable, CustomStringConvertible {
        case exited(Int32)
        case signaled(Int32)
        var exitedCleanly: Bool { self == .exited(0) }

        var description: String {
            switch self {
            case .exited(let code): "exit status \(code)"
            case .signaled(let signal): "killed by signal \(signal)"
            }
        }
    }

    struct SpawnError: Error, CustomStringConvertible {
        var errno: Int32
        var description: String { String(cString: strerror(errno)) }
    }

    private init(pid: pid_t, input: Int32, output: Int32, errorOutput: Int32) {
        self.pid = pid
        self.input = input
        self.output = output
        self.errorOutput = errorOutput
    }

    deinit {
        for fd in [input, output, errorOutput] where fd >= 0 { close(fd) }
    }

    /// Starts `executable` in a new process group with default signal handling and an empty mask.
    /// `inherit` become the child's fds 3, 4, … in order (the archive the parent opened; a program
    /// copied into a sandbox).
    static func spawn(
        executable: String, arguments: [String], environment: [String], inherit: [Int32] = []
    ) throws -> SpawnedChild {
        var stdinPipe: [Int32] = [-1, -1]
        var stdoutPipe: [Int32] = [-1, -1]
        var stderrPipe: [Int32] = [-1, -1]
        // O_CLOEXEC: only the dup2'ed copies reach the child; no other process inherits these ends.
        guard rc_pipe_cloexec(&stdinPipe) == 0 else { throw SpawnError(errno: errno) }
        guard rc_pipe_cloexec(&stdoutPipe) == 0 else { throw SpawnError(errno: errno) }
        guard rc_pipe_cloexec(&stderrPipe) == 0 else { throw SpawnError(errno: errno) }

        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_adddup2(&actions, stdinPipe[0], 0)
        posix_spawn_file_actions_adddup2(&actions, stdoutPipe[1], 1)
        posix_spawn_file_actions_adddup2(&actions, stderrPipe[1], 2)
        for (index, fd) in inherit.enumerated() { posix_spawn_file_actions_adddup2(&actions, fd, Int32(3 + index)) }
        // Only 0–2 (and the inherited, from 3) reach the child: any descriptor the parent inherited without
        // O_CLOEXEC (a log file, a supervisor's pipe) would otherwise outlive the parent in an orphan.
        // posix_spawn_file_actions_* return the error number itself.
        let closeFrom = rc_spawn_file_actions_addclosefrom(&actions, Int32(3 + inherit.count))
        guard closeFrom == 0 else { throw SpawnError(errno: closeFrom) }

        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        var allSignals = sigset_t()
        sigfillset(&allSignals)
        var noSignals = sigset_t()
        sigemptyset(&noSignals)
        posix_spawnattr_setsigdefault(&attributes, &allSignals)
        posix_spawnattr_setsigmask(&attributes, &noSignals)
        posix_spawnattr_setpgroup(&attributes, 0)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK))

        let argv = ([executable] + arguments).map { strdup($0) } + [nil]
        let envp = environment.map { strdup($0) } + [nil]
        defer {
            argv.forEach { free($0) }
            envp.forEach { free($0) }
        }
        var pid: pid_t = 0
        var result = posix_spawn(&pid, executable, &actions, &attributes, argv, envp)
        // ETXTBSY: another thread's child, between its fork and its exec, still holds a descriptor
        // open for writing on this executable (a program written just before, as the tests' fake
        // tools are, or a package upgrade replacing it). It closes within milliseconds: try again.
        var retries = 0
        while result == ETXTBSY, retries < 10 {
            retries += 1
            usleep(20_000)
            result = posix_spawn(&pid, executable, &actions, &attributes, argv, envp)
        }
        close(stdinPipe[0])
        close(stdoutPipe[1])
        close(stderrPipe[1])
        guard result == 0 else {
            close(stdinPipe[1])
            close(stdoutPipe[0])
            close(stderrPipe[0])
            throw SpawnError(errno: result)
        }
        return SpawnedChild(pid: pid, input: stdinPipe[1], output: stdoutPipe[0], errorOutput: stderrPipe[0])
    }

    /// Writes all of `data` to the child's stdin and closes it. A child that is already gone is
    /// noticed by `wait()`, not here (EPIPE is expected then; SIGPIPE is ignored).
    func writeInput(_ data: Data) {
        data.withUnsafeBytes { raw in
            var done = 0
            while done < raw.count {
                let written = write(input, raw.baseAddress! + done, raw.count - done)
                if written < 0 {
                    if errno == EINTR { continue }
                    break
                }
                done += written
            }
        }
        close(input)
        input = -1
    }

    /// Waits up to `timeoutMilliseconds` for output; returns what was read per stream, nil for EOF.
    func poll(timeoutMilliseconds: Int32) -> [(Stream, Data?)] {
        var fds: [pollfd] = []
        var streams: [Stream] = []
        if output >= 0 {
            fds.append(pollfd(fd: output, events: Int16(POLLIN), revents: 0))
            streams.append(.output)
        }
        if errorOutput >= 0 {
            fds.append(pollfd(fd: errorOutput, events: Int16(POLLIN), revents: 0))
            streams.append(.error)
        }
        guard !fds.isEmpty else { return [] }
        let ready = Glibc.poll(&fds, nfds_t(fds.count), timeoutMilliseconds)
        guard ready > 0 else { return [] }
        var results: [(Stream, Data?)] = []
        var buffer = [UInt8](repeating: 0, count: 65_536)
        for (index, descriptor) in fds.enumerated() where descriptor.revents != 0 {
            let count = read(descriptor.fd, &buffer, buffer.count)
            if count > 0 {
                results.append((streams[index], Data(buffer[0..<count])))
            } else if count == 0 || (errno != EINTR && errno != EAGAIN) {
                close(descriptor.fd)
                if streams[index] == .output { output = -1 } else { errorOutput = -1 }
                results.append((streams[index], nil))
            }
        }
        return results
    }

    /// Kills the child's whole process group (it is its own group leader).
    func killGroup() {
        kill(-pid, SIGKILL)
        kill(pid, SIGKILL)
    }

    /// Reaps the child.
    func wait() -> Status {
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 {
            if errno != EINTR { return .exited(-1) }
        }
        // WIFEXITED / WTERMSIG are macros Swift does not import.
        let signal = status & 0x7F
        if signal == 0 { return .exited((status >> 8) & 0xFF) }
        return .signaled(signal)
    }
}
