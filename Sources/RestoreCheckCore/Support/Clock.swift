import Glibc

/// Monotonic time in seconds (`CLOCK_MONOTONIC`), cheap enough to read per block.
package enum Clock {
    package static var now: UInt64 {
        var spec = timespec()
        clock_gettime(CLOCK_MONOTONIC, &spec)
        return UInt64(spec.tv_sec) * 1_000_000_000 + UInt64(spec.tv_nsec)
    }

    package static func seconds(since start: UInt64) -> Double { seconds(from: start, to: now) }

    package static func seconds(from start: UInt64, to end: UInt64) -> Double { Double(end &- start) / 1e9 }
}
