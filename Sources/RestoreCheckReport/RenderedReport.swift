import Foundation
import RestoreCheckCore
import Synchronization

/// A rendered report as the pieces it was made of, written one after another: a 20,000-test report
/// (~17 MB of HTML) is never also held as one joined string and a copy of it.
public struct RenderedReport: Sendable {
    public var pieces: [String]

    /// The whole text (tests, small reports; a served or written report goes piece by piece).
    public var text: String { pieces.joined() }

    public var byteCount: Int { pieces.reduce(0) { $0 + $1.utf8.count } }

    /// Writes the report to `path` atomically (`AtomicFile`), piece by piece.
    public func write(to path: String) throws(AtomicFile.Failure) {
        try AtomicFile.write(path, pieces: pieces)
    }
}

/// Runs `body` for each index and returns the results in order: on all cores when `parallel`
/// (the evidence of a 20,000-test report renders in chunks this way), else one after another (the
/// daemon, which keeps a core free for `/metrics` while a report renders).
func renderInParallel(_ count: Int, parallel: Bool = true, _ body: @Sendable (Int) -> String) -> [String] {
    guard parallel, count > 1 else { return (0..<count).map(body) }
    let results = Mutex<[Int: String]>([:])
    DispatchQueue.concurrentPerform(iterations: count) { index in
        let text = body(index)
        results.withLock { $0[index] = text }
    }
    return results.withLock { results in (0..<count).map { results[$0] ?? "" } }
}

extension Array {
    /// Consecutive slices of at most `size` elements.
    func chunks(of size: Int) -> [ArraySlice<Element>] {
        stride(from: 0, to: count, by: size).map { self[$0..<Swift.min($0 + size, count)] }
    }
}
