import Foundation
import GRDB
import RestoreCheckCore

/// The tamper-evident chain over recorded runs: each finished run gets
/// `entry_hash = SHA-256(previous entry_hash || canonical record)` when it is recorded, in the order
/// runs finish (`chain_seq` 1, 2, 3...). The first entry's previous hash is 32 zero bytes.
///
/// The canonical record is one JSON object, built by `canonicalRecord` from the stored row itself
/// (so recording and verifying share one definition):
/// - every column of the `run` row except the chain's own (`chain_seq`, `prev_hash`, `entry_hash`),
///   keys sorted by UTF-8 bytes, NULL columns left out (so a column added by a later migration does
///   not change the hashes of older runs), plus `findings`: the run's finding rows in recorded order,
///   each an object built the same way;
/// - no whitespace; strings with `"`, `\` and control characters escaped (`\u00XX`), other characters
///   as UTF-8; integers in decimal; reals in their shortest round-trip decimal form.
///
/// Retention deletes whole prefixes of the chain and writes the last deleted link to
/// `evidence_anchor`, so `verify` can tell retention from deletion.
enum EvidenceChain {
    static let genesis = [UInt8](repeating: 0, count: 32)
    static let chainColumns: Set<String> = ["chain_seq", "prev_hash", "entry_hash"]

    /// Links a run that just reached its end state, inside the recording transaction.
    static func link(_ db: Database, runID: Int64) throws {
        let head = try Row.fetchOne(db, sql: "SELECT chain_seq, entry_hash FROM run WHERE chain_seq IS NOT NULL ORDER BY chain_seq DESC LIMIT 1")
        let anchor = try Row.fetchOne(db, sql: "SELECT chain_seq, entry_hash FROM evidence_anchor WHERE id = 1")
        let previous: (seq: Int64, hash: String?) =
            if let head { (head["chain_seq"], head["entry_hash"]) } else if let anchor { (anchor["chain_seq"], anchor["entry_hash"]) } else { (0, nil) }
        let previousBytes = previous.hash.flatMap(Hex.decode) ?? genesis
        let hash = entryHash(previous: previousBytes, record: try canonicalRecord(db, runID: runID))
        try db.execute(
            sql: "UPDATE run SET chain_seq = ?, prev_hash = ?, entry_hash = ? WHERE id = ?",
            arguments: [previous.seq + 1, Hex.encode(previousBytes), hash, runID])
    }

    static func entryHash(previous: [UInt8], record: [UInt8]) -> String {
        SHA256.hex(of: previous + record)
    }

    /// The canonical JSON of a stored run and its findings (see the type's documentation).
    static func canonicalRecord(_ db: Database, runID: Int64) throws -> [UInt8] {
        guard let row = try Row.fetchOne(db, sql: "SELECT * FROM run WHERE id = ?", arguments: [runID]) else {
            throw DatabaseError(message: "run \(runID) is not in the history")
        }
        let findings = try Row.fetchAll(db, sql: "SELECT * FROM finding WHERE run_id = ? ORDER BY rowid", arguments: [runID])
        return canonicalRecord(run: row, findings: findings)
    }

    /// The canonical JSON of a `run` row (`SELECT *`) and its `finding` rows in recorded order.
    static func canonicalRecord(run row: Row, findings: [Row]) -> [UInt8] {
        var out: [UInt8] = []
        object(row, extra: findings, into: &out)
        return out
    }

    private static func object(_ row: Row, extra findings: [Row]?, into out: inout [UInt8]) {
        var members: [(String, DatabaseValue)] = []
        for (column, value) in row where !chainColumns.contains(column) && !value.isNull { members.append((column, value)) }
        var keys = members.map(\.0)
        if findings != nil { keys.append("findings") }
        keys.sort { Array($0.utf8).lexicographicallyPrecedes(Array($1.utf8)) }
        out.append(UInt8(ascii: "{"))
        for (index, key) in keys.enumerated() {
            if index > 0 { out.append(UInt8(ascii: ",")) }
            string(key, into: &out)
            out.append(UInt8(ascii: ":"))
            if key == "findings", let findings, !members.contains(where: { $0.0 == "findings" }) {
                out.append(UInt8(ascii: "["))
                for (position, finding) in findings.enumerated() {
                    if position > 0 { out.append(UInt8(ascii: ",")) }
                    object(finding, extra: nil, into: &out)
                }
                out.append(UInt8(ascii: "]"))
            } else if let value = members.first(where: { $0.0 == key })?.1 {
                scalar(value, into: &out)
            }
        }
        out.append(UInt8(ascii: "}"))
    }

    private static func scalar(_ value: DatabaseValue, into out: inout [UInt8]) {
        switch value.storage {
        case .null: out += Array("null".utf8)
        case .int64(let integer): out += Array(String(integer).utf8)
        case .double(let real): out += Array((real.isFinite ? real.description : "null").utf8)
        case .string(let text): string(text, into: &out)
        case .blob(let data): string(Hex.encode(data), into: &out)
        }
    }

    private static func string(_ text: String, into out: inout [UInt8]) {
        out.append(UInt8(ascii: "\""))
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "\""): out += Array("\\\"".utf8)
            case UInt8(ascii: "\\"): out += Array("\\\\".utf8)
            case 0..<0x20: out += Array(String(format: "\\u%04x", byte).utf8)
            default: out.append(byte)
            }
        }
        out.append(UInt8(ascii: "\""))
    }
}
