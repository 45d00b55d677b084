import Foundation
import Glibc

/// Stand-ins for the restore worker, for the supervisor's failure paths that a real archive cannot
/// trigger on cue. Named fakes: they replace only the worker process, never what is being tested
/// (the supervisor's deadline, watchdog, crash handling and clean-up).
public enum FakeWorker {
    /// A worker that reads its request and then hangs without a word. It writes its pid next to
    /// itself (`<script>.pid`) so a test can kill it after killing its parent.
    public static let hangs = "#!/bin/sh\necho $$ > \"$0.pid\"\ncat >/dev/null\nexec sleep 600\n"

    /// Kills a hanging fake worker installed at `path`, if it is still running.
    public static func killHanging(at path: String) {
        guard let text = try? String(contentsOfFile: path + ".pid", encoding: .utf8), let pid = Int32(text.trimmingCharacters(in: .whitespacesAndNewlines)) else { return }
        kill(pid, SIGKILL)
    }
    /// A worker that dies of a segmentation fault.
    public static let segfaults = "#!/bin/sh\ncat >/dev/null\necho 'parser exploded' >&2\nkill -SEGV $$\n"
    /// A worker that aborts as glibc does on heap corruption, with glibc's message (which contains
    /// "alloc": a stderr search once took it for out-of-memory).
    public static let abortsWithHeapCorruption = "#!/bin/sh\ncat >/dev/null\necho 'malloc(): corrupted top size' >&2\nkill -ABRT $$\n"
    /// A worker that reports progress every 0.2 s, in the real protocol's framing, and never finishes.
    public static let progressesForever = #"""
        #!/bin/sh
        cat >/dev/null
        while :; do echo '{"progress":{"_0":{"archiveBytesRead":1,"bytesRestored":1,"entries":1}}}'; sleep 0.2; done
        """#
    /// A worker that exits without a report.
    public static let exitsEarly = "#!/bin/sh\necho 'cannot do it' >&2\nexit 7\n"

    /// Writes `script` as an executable file in `directory` and returns its path.
    ///
    /// Written by a short-lived `sh`, not by this process: tests spawn processes in parallel, and a
    /// fork that inherits a write descriptor of the script makes its exec fail with ETXTBSY ("Text
    /// file busy"), which once failed CI.
    public static func install(_ script: String, named name: String, in directory: TemporaryDirectory) throws -> String {
        let path = directory.url(name)
        let result = try Shell.execute("/bin/sh", ["-c", "cat > \"$1\" && chmod 755 \"$1\"", "sh", path], input: Data(script.utf8))
        guard result.status == 0 else { throw Shell.Failure(command: "install \(path)", result: result) }
        return path
    }
}
