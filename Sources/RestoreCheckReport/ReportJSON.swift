import Foundation
import RestoreCheckCore
import Synchronization

/// The JSON contract written in pieces: the report is encoded with its two long arrays (`targets`,
/// with their chart series, and `evidence`) empty, and their elements, encoded in chunks on all
/// cores, are spliced in. The output equals encoding the whole `TenantReport` at once (same
/// encoder, sorted keys), but JSONEncoder never holds the intermediate tree of 20,000 tests
/// (~190 MiB of a 400-day, 50-target report).
enum ReportJSON {
    static let chunkSize = 500

    static func pieces(_ report: TenantReport, parallel: Bool = true) throws -> [String] {
        var frame = report
        frame.evidence = []
        frame.targets = []
        var text = String(decoding: try TenantReport.jsonEncoder().encode(frame), as: UTF8.self)
        let targets = try encodeInChunks(report.targets, of: 1, parallel: parallel)
        let evidence = try encodeInChunks(report.evidence, of: chunkSize, parallel: parallel)
        var pieces: [String] = []
        // Keys are sorted: "evidence" comes before "targets" in the frame.
        for (member, items) in [("evidence", evidence), ("targets", targets)] {
            let marker = "\"\(member)\":[]"
            guard let range = text.range(of: marker) else {
                throw EncodingError.invalidValue(member, .init(codingPath: [], debugDescription: "no \(member) member in the report"))
            }
            pieces.append(String(text[..<range.lowerBound]) + "\"\(member)\":[")
            for (index, item) in items.enumerated() { pieces.append(index == 0 ? item : "," + item) }
            text = "]" + String(text[range.upperBound...])
        }
        pieces.append(text + "\n")
        return pieces
    }

    /// Each chunk of `items` encoded as a JSON array without its brackets, in order.
    private static func encodeInChunks<Item: Encodable & Sendable>(_ items: [Item], of size: Int, parallel: Bool) throws -> [String] {
        let chunks = items.chunks(of: size)
        let failures = FirstFailure()
        let encoded = renderInParallel(chunks.count, parallel: parallel) { index in
            do {
                let text = String(decoding: try TenantReport.jsonEncoder().encode(Array(chunks[index])), as: UTF8.self)
                return String(text.dropFirst().dropLast())
            } catch {
                failures.record(error)
                return ""
            }
        }
        if let error = failures.error { throw error }
        return encoded
    }

    /// The first error of a parallel encode.
    final class FirstFailure: Sendable {
        private let first = Mutex<(any Error)?>(nil)
        func record(_ error: any Error) { first.withLock { if $0 == nil { $0 = error } } }
        var error: (any Error)? { first.withLock { $0 } }
    }
}
