import Foundation

/// Runs blocking test code (polling with sleeps, waiting for processes) on a thread of its own.
///
/// Swift Testing runs tests in parallel on the cooperative pool, which has one thread per core (two
/// here). A test that sleeps on a cooperative thread starves every async test, including in-process
/// daemons that must answer within a timeout; under CI load that turned into spurious failures.
///
/// The body runs under a task-executor preference (SE-0417), not on a bare thread: it stays in the
/// test's task, so its task-locals (the test Swift Testing attributes an `#expect` to) come along,
/// and a failed expectation in it names its test rather than «unknown».
public enum Blocking {
    public static func run<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
        try await withTaskExecutorPreference(executor) { () async throws -> T in
            // A suspension first: the task resumes on the preferred executor, so the body never runs on the
            // cooperative thread that called it.
            await Task.yield()
            return try body()
        }
    }

    private static let executor = ThreadPerJob()

    /// Each job (a task's run up to its next suspension) on a new thread of its own.
    private final class ThreadPerJob: TaskExecutor {
        func enqueue(_ job: consuming ExecutorJob) {
            let job = UnownedJob(job)
            let executor = asUnownedTaskExecutor()
            let thread = Thread { job.runSynchronously(on: executor) }
            thread.name = "test blocking work"
            thread.start()
        }
    }
}
