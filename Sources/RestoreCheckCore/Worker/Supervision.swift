import Foundation

/// The one loop every supervised child runs under: the restore worker (`WorkerSupervisor`), backup
/// tools and validation commands (`ToolRun`). Its output is read as it comes (200 ms polls, so a
/// cancellation is seen within one); a wall-clock deadline, an optional no-progress watchdog and
/// the test's cancellation each kill the child's whole process group; times are monotonic
/// (`Clock`), so a wall-clock step (NTP, a VM resumed) neither fires nor hides a deadline.
struct Supervision {
    /// Seconds from the start to the kill.
    var deadline: Double
    /// Seconds without a sign of life (see `run`) before the kill; nil: no watchdog.
    var stall: Double?

    /// Why the child was killed.
    enum Stop: Equatable {
        case deadline, stall, cancelled
    }

    struct Ended {
        var status: SpawnedChild.Status
        /// Nil: the child ended by itself.
        var stop: Stop?
        var seconds: Double
    }

    /// Supervises `child` until it ends or is stopped. `output` gets each piece of stdout and stderr
    /// as it comes and says whether it was a sign of life (the worker's: a whole line). After a
    /// stop nothing more is read: a helper that escaped the group and holds a pipe cannot hold the
    /// supervisor too.
    func run(_ child: SpawnedChild, cancellation: CancellationFlag, output: (SpawnedChild.Stream, Data) -> Bool) -> Ended {
        let start = Clock.now
        var lastSign = start
        var open = 2
        var stop: Stop?
        while open > 0 {
            for (stream, data) in child.poll(timeoutMilliseconds: 200) {
                guard let data else {
                    open -= 1
                    continue
                }
                if output(stream, data) { lastSign = Clock.now }
            }
            if cancellation.isCancelled {
                stop = .cancelled
            } else if Clock.seconds(since: start) > deadline {
                stop = .deadline
            } else if let stall, Clock.seconds(since: lastSign) > stall {
                stop = .stall
            }
            if stop != nil {
                child.killGroup()
                break
            }
        }
        let status = child.wait()
        return Ended(status: status, stop: stop, seconds: Clock.seconds(since: start))
    }
}

/// Splits a stream's pieces into lines as they come: lines are read in place and the consumed
/// prefix dropped once per piece (dropping it line by line would move the rest of the buffer for
/// every line). The one home of that rule for the worker's protocol and the tools' listings.
struct LineBuffer {
    private var pending = Data()

    mutating func append(_ piece: Data, line: (Data) -> Void) {
        pending.append(piece)
        var lineStart = pending.startIndex
        while let newline = pending[lineStart...].firstIndex(of: UInt8(ascii: "\n")) {
            line(pending[lineStart..<newline])
            lineStart = pending.index(after: newline)
        }
        pending.removeSubrange(pending.startIndex..<lineStart)
    }

    /// The last line, when the stream ended without a newline.
    mutating func finish(line: (Data) -> Void) {
        if !pending.isEmpty { line(pending) }
        pending = Data()
    }
}
