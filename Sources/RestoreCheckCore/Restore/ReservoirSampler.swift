/// Picks the sample in one pass over an archive whose length is unknown until its end.
///
/// Every candidate gets a random key in [0, 1); the sample is the candidates with the smallest keys
/// (bottom-k sampling, equivalent to reservoir sampling). Because a tar.gz cannot be read twice
/// cheaply, a candidate is restored the moment it enters the reservoir and dropped (its file removed)
/// if a later candidate pushes it out. Expected restores for `files: k` out of n: k·(1 + ln(n/k)).
///
/// - `files: k`: the k smallest keys — a uniform random sample of k files.
/// - `bytes: B`: the smallest keys whose sizes sum to at most B (at least one file).
/// - `percent: p`: every candidate whose key is below p/100 — no eviction at all.
/// - `all`: everything.
package struct ReservoirSampler {
    private let size: SampleSpec.Size
    private var random: SplitMix64
    private var heap = MaxHeap()
    private var totalBytes: Int64 = 0
    /// `bytes` mode: keys at or above this can no longer get in (a smaller key did not fit).
    private var threshold = 1.0

    package init(size: SampleSpec.Size, seed: UInt64) {
        self.size = size
        self.random = SplitMix64(seed: seed)
    }

    /// Offers candidate `id` of `bytes` bytes. Returns whether to restore it, and the ids of
    /// earlier candidates that it displaced (their restored files must be dropped).
    package mutating func offer(id: Int, bytes: Int64) -> (admit: Bool, evicted: [Int]) {
        let key = random.nextUnit()
        switch size {
        case .all:
            return (true, [])
        case .percent(let percent):
            return (key * 100 < percent, [])
        case .files(let limit):
            if heap.count < limit {
                heap.push(.init(key: key, id: id, bytes: bytes))
                return (true, [])
            }
            guard let top = heap.top, key < top.key else { return (false, []) }
            let evicted = heap.pop()!
            heap.push(.init(key: key, id: id, bytes: bytes))
            return (true, [evicted.id])
        case .bytes(let budget):
            guard key < threshold else { return (false, []) }
            heap.push(.init(key: key, id: id, bytes: bytes))
            totalBytes += bytes
            var evicted: [Int] = []
            while totalBytes > budget, heap.count > 1, let largest = heap.pop() {
                totalBytes -= largest.bytes
                threshold = min(threshold, largest.key)
                evicted.append(largest.id)
            }
            if let index = evicted.firstIndex(of: id) {
                evicted.remove(at: index)
                return (false, evicted)
            }
            return (true, evicted)
        }
    }

    /// Ids currently in the sample, in the modes that evict (`files`, `bytes`). `all` and `percent`
    /// never take an admission back, so they remember nothing: a full verify of a million files must
    /// not hold a million heap entries.
    var members: [Int] { heap.elements.map(\.id) }

    /// Whether `size` can take an admission back (and so needs the worker to hold its candidates).
    package static func evicts(_ size: SampleSpec.Size) -> Bool {
        switch size {
        case .files, .bytes: true
        case .all, .percent: false
        }
    }
}

/// A small binary max-heap on `key`.
struct MaxHeap {
    struct Element {
        var key: Double
        var id: Int
        var bytes: Int64
    }
    private(set) var elements: [Element] = []

    var count: Int { elements.count }
    var top: Element? { elements.first }

    mutating func push(_ element: Element) {
        elements.append(element)
        var child = elements.count - 1
        while child > 0 {
            let parent = (child - 1) / 2
            guard elements[child].key > elements[parent].key else { break }
            elements.swapAt(child, parent)
            child = parent
        }
    }

    mutating func pop() -> Element? {
        guard !elements.isEmpty else { return nil }
        elements.swapAt(0, elements.count - 1)
        let top = elements.removeLast()
        var parent = 0
        while true {
            let left = 2 * parent + 1
            let right = left + 1
            var largest = parent
            if left < elements.count, elements[left].key > elements[largest].key { largest = left }
            if right < elements.count, elements[right].key > elements[largest].key { largest = right }
            guard largest != parent else { break }
            elements.swapAt(parent, largest)
            parent = largest
        }
        return top
    }
}

/// SplitMix64: tiny, fast, and reproducible across platforms for a given `--seed`.
struct SplitMix64: RandomNumberGenerator {
    private var state: UInt64
    init(seed: UInt64) { state = seed }

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// A uniform double in [0, 1) from the top 53 bits.
    mutating func nextUnit() -> Double { Double(next() >> 11) * 0x1.0p-53 }
}
