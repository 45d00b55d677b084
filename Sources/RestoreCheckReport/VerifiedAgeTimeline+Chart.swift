import Foundation
import RestoreCheckCore

extension VerifiedAgeTimeline {
    /// The age curve over `from..<to` as polylines: one per stretch with a verified restore point,
    /// with the drop at each step drawn as a vertical line.
    func agePolylines(from: Date, to: Date) -> [[ChartSeries.AgePoint]] {
        var lines: [[ChartSeries.AgePoint]] = []
        var current: [ChartSeries.AgePoint] = []
        for segment in segments(from: from, to: to) {
            guard let backup = segment.backup else {
                if !current.isEmpty { lines.append(current) }
                current = []
                continue
            }
            current.append(.init(time: segment.start, ageSeconds: segment.start.timeIntervalSince(backup)))
            current.append(.init(time: segment.end, ageSeconds: segment.end.timeIntervalSince(backup)))
        }
        if !current.isEmpty { lines.append(current) }
        return lines
    }
}
