import Foundation

/// A helper program run to completion with its output read as it comes: a deadline (and the
/// test's cancellation) that kills its whole process group, and stderr kept (the first 4 KiB) for
/// the outcome's detail. The one home of that rule for backup tools (`RepositoryRestore`) and
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
        let deadline = Date().addingTimeInterval(timeout.seconds)
        var errors = Data()
        var open = 2
        var result = Result(status: nil, errorOutput: "", timedOut: false, cancelled: false)
        while open > 0 {
            if Date() >= deadline || cancellation.isCancelled {
                result.timedOut = !cancellation.isCancelled
                result.cancelled = cancellation.isCancelled
                child.killGroup()
                break
            }
            for (stream, data) in child.poll(timeoutMilliseconds: 200) {
                guard let data else {
                    open -= 1
                    continue
                }
                if stream == .error { keep(data, in: &errors) }
                output(stream, data)
            }
        }
        result.status = child.wait()
        result.errorOutput = text(errors)
        return result
    }

    static func keep(_ data: Data, in errors: inout Data) {
        if errors.count < errorLimit { errors.append(data.prefix(errorLimit - errors.count)) }
    }

    static func text(_ data: Data) -> String {
        String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
    }
}
