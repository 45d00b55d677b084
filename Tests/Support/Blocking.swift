import Foundation

/// Runs blocking test code (polling with sleeps, waiting for processes) on a thread of its own.
///
/// Swift Testing runs tests in parallel on the cooperative pool, which has one thread per core (two
/// here). A test that sleeps on a cooperative thread starves every async test, including in-process
/// daemons that must answer within a timeout; under CI load that turned into spurious failures.
public enum Blocking {
    public static func run<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { continuation in
            Thread { continuation.resume(with: Result { try body() }) }.start()
        }
    }
}
