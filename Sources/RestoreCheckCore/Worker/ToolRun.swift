import Foundation

/// A helper program run to completion under `Supervision` (a deadline and the test's cancellation
/// that kill its whole process group), with stderr kept (the first 4 KiB) for the outcome's detail. The one home of that rule for backup tools (`RepositoryRestore`) and
/// validation commands (`SandboxedCommand`). The group is the child's own (`SpawnedChild`), so a
/// program that forks helpers (borg's ssh, a validator's server) dies whole.
struct ToolRun {
    /// How the run ended.
    struct Result {
        var status: SpawnedChild.Status?
        var errorOutput: String
        var timedOut: Bool
        var cancelled: Bool
        var succeeded: Bool { status == .exited(0) && !timedOut && !cancelled }
    }

    static let errorLimit = 4096

    /// Runs `executable` (with `input` on its stdin, then closed, and `inherit` as its fds 3, 4, …)
    /// and hands each piece of its stdout and stderr, as they come, to `output`.
    static func capture(
        _ executable: String, _ arguments: [String], environment: [String], input: Data = Data(), inherit: [Int32] = [], timeout: TimeSpan,
        cancellation: CancellationFlag, output: (SpawnedChild.Stream, Data) -> Void
    ) -> Result {
        let child: SpawnedChild
        do { child = try SpawnedChild.spawn(executable: executable, arguments: arguments, environment: environment, inherit: inherit) } catch {
            return Result(status: nil, errorOutput: "cannot start \(executable): \(error)", timedOut: false, cancelled: false)
        }
        child.writeInput(input)
        var errors = Data()
        let ended = Supervision(deadline: timeout.seconds).run(child, cancellation: cancellation) { stream, data in
            if stream == .error { keep(data, in: &errors) }
            output(stream, data)
            return true
        }
        return Result(status: ended.status, errorOutput: text(errors), timedOut: ended.stop == .deadline, cancelled: ended.stop == .cancelled)
    }

    static func keep(_ data: Data, in errors: inout Data) {
        if errors.count < errorLimit { errors.append(data.prefix(errorLimit - errors.count)) }
    }

    static func text(_ data: Data) -> String {
        String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
    }
}
