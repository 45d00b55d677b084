import Testing

@testable import RestoreCheckCore

@Suite("One-pass sampling")
struct ReservoirSamplerTests {
    /// Feeds `count` candidates and returns the final members, tracking that every evicted id had
    /// been admitted before (the worker deletes its file) and none is evicted twice.
    func feed(_ size: SampleSpec.Size, count: Int, seed: UInt64 = 42, bytes: (Int) -> Int64 = { _ in 100 }) -> Set<Int> {
        var sampler = ReservoirSampler(size: size, seed: seed)
        var live: Set<Int> = []
        for id in 0..<count {
            let decision = sampler.offer(id: id, bytes: bytes(id))
            for evicted in decision.evicted {
                #expect(live.remove(evicted) != nil, "evicted \(evicted) was not in the sample")
            }
            if decision.admit { live.insert(id) }
        }
        if ReservoirSampler.evicts(size) { #expect(Set(sampler.members) == live) }
        return live
    }

    @Test func filesKeepsExactlyK() {
        #expect(feed(.files(20), count: 1000).count == 20)
        #expect(feed(.files(20), count: 7).count == 7)
    }

    @Test func filesIsUniformAcrossPositions() {
        // 2,000 runs of 10-of-100: each position's inclusion rate should be near 10%.
        var hits = [Int](repeating: 0, count: 100)
        for seed in 0..<2000 {
            for id in feed(.files(10), count: 100, seed: UInt64(seed)) { hits[id] += 1 }
        }
        let firstHalf = hits[0..<50].reduce(0, +)
        let secondHalf = hits[50..<100].reduce(0, +)
        #expect(abs(firstHalf - secondHalf) < 600, "first half \(firstHalf), second half \(secondHalf) of 20000")
        #expect(hits.min()! > 120 && hits.max()! < 290, "per-position hits \(hits.min()!)…\(hits.max()!), expected ~200")
    }

    @Test func sameSeedSameSample() {
        #expect(feed(.files(5), count: 500, seed: 7) == feed(.files(5), count: 500, seed: 7))
        #expect(feed(.files(5), count: 500, seed: 7) != feed(.files(5), count: 500, seed: 8))
    }

    @Test func bytesStaysWithinBudget() {
        let sizes: (Int) -> Int64 = { Int64(($0 * 7919) % 1000 + 1) }
        let members = feed(.bytes(10_000), count: 2000, bytes: sizes)
        let total = members.reduce(Int64(0)) { $0 + sizes($1) }
        #expect(total <= 10_000)
        #expect(total > 5_000, "a budget sample should come close to its budget, got \(total)")
    }

    @Test func bytesTakesOneFileEvenIfLargerThanBudget() {
        #expect(feed(.bytes(10), count: 5, bytes: { _ in 1000 }).count == 1)
    }

    @Test func percentAndAll() {
        let tenPercent = feed(.percent(10), count: 10_000).count
        #expect((800...1200).contains(tenPercent))
        #expect(feed(.all, count: 321).count == 321)
    }
}
