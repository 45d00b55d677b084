import Foundation
import GRDB
import RestoreCheckCore

/// Links runs into the tamper-evident chain in SQLite (the hash's rule: `EvidenceRecord`).
///
/// Retention deletes whole prefixes of the chain and writes the last deleted link to
/// `evidence_anchor`, so `verify` can tell retention from deletion.
enum EvidenceChain {
    /// Links a run that just reached its end state, inside the recording transaction.
    static func link(_ db: Database, runID: Int64) throws {
        let head = try Row.fetchOne(db, sql: "SELECT chain_seq, entry_hash FROM run WHERE chain_seq IS NOT NULL ORDER BY chain_seq DESC LIMIT 1")
        let anchor = try Row.fetchOne(db, sql: "SELECT chain_seq, entry_hash FROM evidence_anchor WHERE id = 1")
        let previous: (seq: Int64, hash: String?) =
            if let head { (head["chain_seq"], head["entry_hash"]) } else if let anchor { (anchor["chain_seq"], anchor["entry_hash"]) } else { (0, nil) }
        let previousBytes = previous.hash.flatMap(Hex.decode) ?? EvidenceRecord.genesis
        let hash = EvidenceRecord.entryHash(previous: previousBytes, record: try canonicalRecord(db, runID: runID))
        try db.execute(
            sql: "UPDATE run SET chain_seq = ?, prev_hash = ?, entry_hash = ? WHERE id = ?",
            arguments: [previous.seq + 1, Hex.encode(previousBytes), hash, runID])
    }

    /// The canonical record of a stored run and its findings.
    static func canonicalRecord(_ db: Database, runID: Int64) throws -> [UInt8] {
        guard let row = try Row.fetchOne(db, sql: "SELECT * FROM run WHERE id = ?", arguments: [runID]) else {
            throw DatabaseError(message: "run \(runID) is not in the history")
        }
        let findings = try Row.fetchAll(db, sql: "SELECT * FROM finding WHERE run_id = ? ORDER BY rowid", arguments: [runID])
        return EvidenceRecord.canonical(run: row.stored, findings: findings.map(\.stored))
    }
}
