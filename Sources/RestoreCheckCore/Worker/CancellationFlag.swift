import Synchronization

/// A flag a signal handler or a cancelled task sets, and the supervisor's loop reads.
///
/// A class so it can be shared; `Atomic` makes that safe without a lock.
public final class CancellationFlag: Sendable {
    private let value = Atomic<Bool>(false)

    public init() {}

    public func cancel() { value.store(true, ordering: .releasing) }

    public var isCancelled: Bool { value.load(ordering: .acquiring) }
}
