/// When a restored file's bytes are `suspicious_content`: they look like ciphertext where the
/// file's name promises something else. The rule and its thresholds live here and only here (README
/// "Content checks" documents them and their sources).
///
/// Random-like: Shannon entropy (Miller-Madow corrected) of at least 7.95 bits/byte *and* a
/// chi-square statistic no higher than the uniform distribution's 99.99th percentile at 255 degrees
/// of freedom (~348). Entropy alone cannot tell ciphertext from compressed data (both ~7.99 bits on
/// large samples); compressed data is measurably non-uniform, ciphertext is not, which is what the
/// chi-square test sees. A threshold at p = 0.0001 makes 1 in 10,000 encrypted files look
/// non-random: ransomware encrypts thousands, so the test still fails; a genuine file never reaches
/// it because text is far from uniform and structured formats carry their signature.
public enum ContentRule {
    /// Files smaller than this are skipped: too few bytes for either statistic to mean much.
    public static let minimumSize: Int64 = 1024
    public static let entropyThreshold = 7.95
    public static let chiSquareThreshold = 348.0

    /// Why a file's content is suspicious, with the numbers.
    public struct Suspicion: Sendable, Hashable, CustomStringConvertible {
        public var expectation: ContentExpectation
        public var statistics: ByteStatistics

        public var description: String {
            let numbers = "entropy \(String(format: "%.3f", statistics.entropy)) bits/byte, chi-square \(String(format: "%.0f", statistics.chiSquare)) over the first \(ByteCount.format(Int64(statistics.sampled)))"
            switch expectation {
            case .text: return "a text file whose bytes are random-like (\(numbers)): encrypted or overwritten"
            case .structured(let format):
                return "named as \(format) but starts with no known file signature and its bytes are random-like (\(numbers)): encrypted or overwritten"
            case .unchecked: return numbers
            }
        }
    }

    /// The verdict for a file of `size` bytes whose first bytes are `head` and last bytes `tail`;
    /// `statistics` is only computed when the cheaper tests have not decided.
    package static func judge(
        _ expectation: ContentExpectation, size: Int64, head: ArraySlice<UInt8>, tail: ArraySlice<UInt8> = [],
        statistics: () -> ByteStatistics
    ) -> Suspicion? {
        guard size >= minimumSize else { return nil }
        switch expectation {
        case .unchecked: return nil
        case .structured: if FileSignature.matches(head, tail: tail) != nil { return nil }
        case .text: break
        }
        let measured = statistics()
        guard isRandomLike(measured) else { return nil }
        return Suspicion(expectation: expectation, statistics: measured)
    }

    /// The first bytes a file's histogram is probed at; see `isClearlyNotRandom`.
    public static let probeSize = 4096
    /// Far beyond anything uniform bytes produce (their chi-square is ~255 ± 23 at any size; 1,000
    /// has a probability below 10⁻¹⁰⁰): a prefix this far from uniform keeps the whole window from
    /// looking random too (4 KiB of text before 1 MiB of ciphertext already adds ~130 to the
    /// window's chi-square), so the histogram stops there. Text scores tens of thousands.
    public static func isClearlyNotRandom(_ prefix: ByteStatistics) -> Bool { prefix.chiSquare > 1_000 }

    public static func isRandomLike(_ statistics: ByteStatistics) -> Bool {
        statistics.entropy >= entropyThreshold && statistics.chiSquare <= chiSquareThreshold
    }
}
