import Foundation

/// The confidence statement behind coverage: with `n` distinct files of `N` verified and none
/// failing, at most what share of the files would not restore?
///
/// Exact, not approximated: if `K` of the `N` files were bad, the chance that `n` files drawn without
/// replacement are all good is the hypergeometric `P(0) = C(N−K, n) / C(N, n)`. The bound is the
/// largest `K` for which that chance is still at least 5 %; any more bad files would have shown up
/// in the sample 95 % of the time. (For `N` much larger than `n` this is the familiar
/// `1 − 0.05^(1/n)`, about `3/n`, the "rule of three".) It assumes the verified files are a uniform
/// random sample of the manifest, which the rotation keeps: it draws uniformly among the files not
/// yet verified in the window.
public enum CoverageBound {
    /// The bound as a share of `total` (0 when every file was verified), at confidence `1 − alpha`.
    public static func failingShare(verified: Int, of total: Int, alpha: Double = 0.05) -> Double {
        guard total > 0 else { return 0 }
        let n = min(verified, total)
        guard n < total else { return 0 }
        guard n > 0 else { return 1 }
        // A hair of tolerance: at exact equality (1 of 20 files verified, 19 bad: P = 1/20) the sum of
        // logs must not fall below log(0.05) by rounding alone.
        let threshold = log(alpha) - 1e-12
        func logAllGood(_ bad: Int) -> Double {
            if bad > total - n { return -.infinity }
            var sum = 0.0
            for i in 0..<n { sum += log(Double(total - bad - i)) - log(Double(total - i)) }
            return sum
        }
        // The chance falls as `bad` grows: the largest `bad` that keeps it at or above the threshold.
        var low = 0
        var high = total - n
        while low < high {
            let middle = (low + high + 1) / 2
            if logAllGood(middle) >= threshold { low = middle } else { high = middle - 1 }
        }
        return Double(low) / Double(total)
    }
}
