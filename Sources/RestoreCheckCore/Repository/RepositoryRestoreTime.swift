import Foundation

/// The measured time of a repository target's last full restore by its tool (kept in
/// `state_dir/restore-times/<target>.json`), and the one rule that projects a sampled test's full
/// restore from it.
///
/// Why a record: a tool restores a sample by seeking to its chunks, so a 20-file restore measures
/// the repository's opening (key derivation, index, trees), not its throughput; no rate can be read
/// off it. The full restore's own time, measured, is what the RTO is about. So a repository target's
/// sampled test is projected from the newest full restore of the same target, scaled by how much the
/// snapshot's data grew since; a sampled test with no full restore on record restores everything
/// instead (and records it).
struct RepositoryRestoreTime: Codable, Equatable {
    var seconds: Double
    var bytes: Int64
    var files: Int
    /// The snapshot it restored, for the note.
    var snapshot: String
    var recorded: Date

    /// The record at `path`, or nil when there is none (or it cannot be read: then a full restore
    /// measures afresh).
    static func load(_ path: String) -> RepositoryRestoreTime? {
        guard let bytes = try? StateFile.read(path) else { return nil }
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .iso8601
        return try? decoder.decode(Self.self, from: Data(bytes))
    }

    func write(to path: String) throws(StateFile.Failure) {
        let encoder = JSONEncoder()
        encoder.dateEncodingStrategy = .iso8601
        guard let data = try? encoder.encode(self) else { throw StateFile.Failure(message: "cannot encode the restore time") }
        try StateFile.write(path, [UInt8](data))
    }

    /// A full restore of the snapshot now: the recorded time scaled by how the snapshot grew (its
    /// bytes when the tool's listing counted them, else its files by the manifest's count), and never
    /// less than what restoring the sample alone took.
    func projected(files: Int, bytes: Int64?, sampleSeconds: Double) -> Double {
        let growth = bytes.map { Double(max($0, 1)) / Double(max(self.bytes, 1)) } ?? Double(max(files, 1)) / Double(max(self.files, 1))
        return max(sampleSeconds, seconds * growth)
    }

    /// The outcome's note on where the projection comes from.
    var note: String {
        "full restore projected from the last full restore of this target (\(snapshot), \(TimeSpan.format(seconds)) for \(ByteCount.format(bytes)), "
            + "\(ISO8601DateFormatter().string(from: recorded))), scaled by the snapshot's growth since"
    }
}
