import Foundation

/// Processes a test expects to be gone (a killed tool's children, a sandbox's sleepers): counted by
/// `pgrep -f`, polled until none is left or the deadline passes, never after a fixed sleep (a
/// loaded machine reaps more slowly; an idle one should not wait).
public enum Survivors {
    /// How many processes still match `pattern` (an extended regex for `pgrep -f`; write one
    /// character as a class, `sleep 61[7]`, so the pattern does not match the pgrep itself) once
    /// none is left, or at `seconds`.
    public static func remaining(matching pattern: String, within seconds: Double = 20) -> Int {
        let deadline = Date().addingTimeInterval(seconds)
        while true {
            let count = (try? Shell.execute("/bin/sh", ["-c", "pgrep -f \"$P\" | wc -l"], environment: ["P": pattern]))
                .flatMap { Int($0.stdout.trimmingCharacters(in: .whitespacesAndNewlines)) } ?? -1
            if count == 0 || Date() >= deadline { return count }
            usleep(100_000)
        }
    }
}
