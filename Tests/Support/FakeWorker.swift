import Foundation

/// Stand-ins for the restore worker, for the supervisor's failure paths that a real archive cannot
/// trigger on cue. Named fakes: they replace only the worker process, never what is being tested
/// (the supervisor's deadline, watchdog, crash handling and clean-up).
public enum FakeWorker {
    /// A worker that reads its request and then hangs without a word.
    public static let hangs = "#!/bin/sh\ncat >/dev/null\nexec sleep 600\n"
    /// A worker that dies of a segmentation fault.
    public static let segfaults = "#!/bin/sh\ncat >/dev/null\necho 'parser exploded' >&2\nkill -SEGV $$\n"
    /// A worker that exits without a report.
    public static let exitsEarly = "#!/bin/sh\necho 'cannot do it' >&2\nexit 7\n"

    /// Writes `script` as an executable file in `directory` and returns its path.
    public static func install(_ script: String, named name: String, in directory: TemporaryDirectory) throws -> String {
        let path = try directory.write(name, script)
        chmod(path, 0o755)
        return path
    }
}
