import Foundation

/// A backup tool run to completion with its output read as it comes: a deadline that kills its
/// whole process group, and stderr kept (the first 4 KiB) for the outcome's detail. The tool's
/// process group is its own (`SpawnedChild`), so a tool that forks helpers (borg's ssh) dies whole.
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

    /// Runs `executable` and hands each piece of stdout to `output`.
    static func capture(
        _ executable: String, _ arguments: [String], environment: [String], timeout: TimeSpan, cancellation: CancellationFlag,
        output: (Data) -> Void
    ) -> Result {
        let child: SpawnedChild
        do { child = try SpawnedChild.spawn(executable: executable, arguments: arguments, environment: environment) } catch {
            return Result(status: nil, errorOutput: "cannot start \(executable): \(error)", timedOut: false, cancelled: false)
        }
        child.writeInput(Data())
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
                if stream == .output { output(data) } else { keep(data, in: &errors) }
            }
        }
        result.status = child.wait()
        result.errorOutput = text(errors)
        return result
    }

    /// Reads a streaming tool's stderr until it ends (on a thread of its own while the worker reads
    /// its stdout), keeping the first 4 KiB.
    static func drainErrors(of child: SpawnedChild) -> String {
        var errors = Data()
        while true {
            let pieces = child.poll(timeoutMilliseconds: 1000)
            var ended = false
            for (_, data) in pieces {
                if let data { keep(data, in: &errors) } else { ended = true }
            }
            if ended { break }
        }
        return text(errors)
    }

    static func keep(_ data: Data, in errors: inout Data) {
        if errors.count < errorLimit { errors.append(data.prefix(errorLimit - errors.count)) }
    }

    static func text(_ data: Data) -> String {
        String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
    }
}
