import Foundation
import Synchronization

/// One dedicated thread at the lowest CPU priority (nice 19) that runs submitted jobs one at a time.
///
/// For work that must not slow what the daemon answers: a report of 20,000 tests is ~0.5 s of CPU
/// and ~70 MiB, and `/metrics` and the scheduler share the machine's cores with it. One at a time
/// bounds the memory whatever the number of requests; the low priority lets the event loops run
/// first. Measured with `Benchmarks/report_bench.py` on 2 cores (noisy): `/metrics` p99 while
/// reports render in a loop was 2.2–4.0 ms at normal priority, 1.0–3.0 ms here; idle 0.8–0.9 ms;
/// the median scrape is 0.6 ms in every case.
public final class BackgroundWorker: Sendable {
    private let queue = JobQueue()

    public init(name: String) {
        let queue = self.queue
        let thread = Thread {
            // Best effort: an unprivileged process may always lower its own priority.
            _ = SystemCalls.setCurrentThreadNice(19)
            while let job = queue.next() { job() }
        }
        thread.name = name
        thread.start()
    }

    deinit { queue.close() }

    /// Runs `body` on the worker's thread when its turn comes, and returns its result.
    public func run<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { continuation in
            queue.push { continuation.resume(with: Result { try body() }) }
        }
    }

    /// The jobs waiting for the thread; `next()` blocks until one comes, nil once closed and drained.
    private final class JobQueue: Sendable {
        private let state = Mutex<(jobs: [@Sendable () -> Void], closed: Bool)>(([], false))
        private let ready = DispatchSemaphore(value: 0)

        func push(_ job: @escaping @Sendable () -> Void) {
            state.withLock { $0.jobs.append(job) }
            ready.signal()
        }

        func close() {
            state.withLock { $0.closed = true }
            ready.signal()
        }

        func next() -> (@Sendable () -> Void)? {
            while true {
                ready.wait()
                let (job, closed) = state.withLock { state -> ((@Sendable () -> Void)?, Bool) in
                    (state.jobs.isEmpty ? nil : state.jobs.removeFirst(), state.closed)
                }
                if let job { return job }
                if closed { return nil }
            }
        }
    }
}
