import Foundation

/// What the history says of each restore point a source lists: the verdict of the newest test of
/// that point, and the choice `restorecheck restore` makes from them. The one home of "the newest
/// verified restore point" as a *name* (`VerifiedRestorePoint` folds the same rule into a time).
public struct RestorePointVerdicts: Sendable {
    /// The newest test's status and end, by restore point name (`Outcome.archive`).
    private var latest: [String: (status: OutcomeStatus, finished: Date)] = [:]

    public init(history: [RunRecord]) {
        for record in history where record.origin != RestoreRunner.origin {
            guard let outcome = record.outcome, let archive = outcome.archive else { continue }
            if let known = latest[archive], known.finished >= outcome.finished { continue }
            latest[archive] = (outcome.status, outcome.finished)
        }
    }

    /// A listed point with its last test's verdict.
    public struct Listed: Sendable, Hashable {
        public var point: ListedRestorePoint
        /// Nil: never tested.
        public var lastTest: OutcomeStatus?
        public var testedAt: Date?

        /// "passed its last test (2026-12-01T02:00:00Z)", "was never tested", "failed its last test (…)".
        public var summary: String {
            guard let lastTest, let testedAt else { return "was never tested" }
            let when = ISO8601DateFormatter().string(from: testedAt)
            switch lastTest {
            case .passed: return "passed its last test (\(when))"
            case .failed: return "FAILED its last test (\(when))"
            case .error: return "could not be judged by its last test (error, \(when))"
            }
        }
    }

    public func annotate(_ points: [ListedRestorePoint]) -> [Listed] {
        points.map { point in
            let verdict = latest[point.display] ?? latest.first { RestorePointChoice.matches(point.display, [$0.key]) }?.value
            return Listed(point: point, lastTest: verdict?.status, testedAt: verdict?.finished)
        }
    }

    /// Why no point fits a request.
    public struct Refusal: Error, CustomStringConvertible, Sendable {
        public var description: String
    }

    /// The point a request takes from `listed` (newest first).
    public static func choose(_ wanted: RestoreRunner.Request.Point, before: Date?, from listed: [Listed]) -> Result<Listed, Refusal> {
        let timely = listed.filter { before == nil || $0.point.time < before! }
        guard !listed.isEmpty else { return .failure(Refusal(description: "the target has no restore point")) }
        guard !timely.isEmpty else {
            return .failure(Refusal(description: "no restore point was taken before \(ISO8601DateFormatter().string(from: before!))"))
        }
        switch wanted {
        case .newest:
            return .success(timely[0])
        case .named(let name):
            guard let found = timely.first(where: { $0.point.display == name || RestorePointChoice.matches($0.point.display, [name]) }) else {
                return .failure(Refusal(description: "no restore point is named \(name) (see --list-points)"))
            }
            return .success(found)
        case .verified:
            if let found = timely.first(where: { $0.lastTest == .passed }) { return .success(found) }
            return .failure(Refusal(description:
                "no restore point\(before == nil ? "" : " before that time") passed its last test (the newest \(timely[0].summary)); "
                + "--point newest restores the newest one anyway, unverified"))
        }
    }
}
