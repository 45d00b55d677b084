import Foundation

/// Runs blocking work (a supervisor polling its worker, a tree of leftover scratch removed) on a
/// thread of its own and awaits its result.
///
/// Not on a cooperative thread (there are only as many as cores, two here, and the scheduler's loop
/// that feeds systemd's watchdog needs one) and not on `DispatchQueue.global()`, whose width is also
/// bounded by the core count: with `max_concurrent` above the number of cores, tests would queue
/// behind each other's blocked threads and miss their deadlines.
public enum DedicatedThread {
    public static func run<T: Sendable>(name: String, _ body: @escaping @Sendable () -> T) async -> T {
        await withCheckedContinuation { continuation in
            let thread = Thread { continuation.resume(returning: body()) }
            thread.name = name
            thread.start()
        }
    }
}
