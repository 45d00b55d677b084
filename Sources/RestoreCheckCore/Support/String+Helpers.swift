extension StringProtocol {
    /// The text without leading and trailing spaces, tabs and line breaks.
    func trimmingWhitespace() -> String {
        var view = Substring(self)
        while let first = view.first, first.isWhitespace { view = view.dropFirst() }
        while let last = view.last, last.isWhitespace { view = view.dropLast() }
        return String(view)
    }
}

extension Character {
    var isASCIIDigit: Bool { isASCII && isNumber }
}

extension Double {
    /// Fixed-point formatting without Foundation's locale machinery.
    func formatted(decimals: Int) -> String {
        guard isFinite else { return description }
        var factor = 1.0
        for _ in 0..<decimals { factor *= 10 }
        let scaled = (self * factor).rounded()
        let whole = Int64(scaled / factor)
        var fraction = Int64(abs(scaled.truncatingRemainder(dividingBy: factor)))
        guard decimals > 0 else { return "\(whole)" }
        var digits = ""
        for _ in 0..<decimals {
            digits = "\(fraction % 10)" + digits
            fraction /= 10
        }
        let sign = (self < 0 && whole == 0) ? "-" : ""
        return "\(sign)\(whole).\(digits)"
    }
}
