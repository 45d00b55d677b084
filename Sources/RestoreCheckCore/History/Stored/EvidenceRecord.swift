import Foundation

/// The tamper-evident chain's hash, the same in every store: each finished run gets
/// `entry_hash = SHA-256(previous entry_hash || canonical record)` when it is recorded, in the order
/// runs finish (`chain_seq` 1, 2, 3...). The first entry's previous hash is 32 zero bytes. A
/// history copied from SQLite to PostgreSQL (`history migrate`) verifies with the same hashes.
///
/// The canonical record is one JSON object built from the stored row itself (so recording and
/// verifying share one definition):
/// - every column of the `run` row except the chain's own (`chain_seq`, `prev_hash`, `entry_hash`),
///   keys sorted by UTF-8 bytes, NULL columns left out (so a column added by a later migration does
///   not change the hashes of older runs), plus `findings`: the run's finding rows in recorded order,
///   each an object built the same way;
/// - no whitespace; strings with `"`, `\` and control characters escaped (`\u00XX`), other characters
///   as UTF-8; integers in decimal; reals in their shortest round-trip decimal form.
public enum EvidenceRecord {
    public static let genesis = [UInt8](repeating: 0, count: 32)
    public static let chainColumns: Set<String> = ["chain_seq", "prev_hash", "entry_hash"]
    /// The `finding` columns a record holds (a store's own ordering column is not one of them).
    public static let findingColumns = ["run_id", "path", "reason", "detail", "expected_sha256", "actual_sha256"]

    public static func entryHash(previous: [UInt8], record: [UInt8]) -> String {
        SHA256.hex(of: previous + record)
    }

    /// The canonical JSON of a `run` row and its `finding` rows in recorded order.
    public static func canonical(run: StoredRow, findings: [StoredRow]) -> [UInt8] {
        var out: [UInt8] = []
        object(run, findings: findings, into: &out)
        return out
    }

    private static func object(_ row: StoredRow, findings: [StoredRow]?, into out: inout [UInt8]) {
        let members = row.columns.filter { !chainColumns.contains($0.name) && !$0.value.isNull }
        var keys = members.map(\.name)
        if findings != nil { keys.append("findings") }
        keys.sort { Array($0.utf8).lexicographicallyPrecedes(Array($1.utf8)) }
        out.append(UInt8(ascii: "{"))
        for (index, key) in keys.enumerated() {
            if index > 0 { out.append(UInt8(ascii: ",")) }
            string(key, into: &out)
            out.append(UInt8(ascii: ":"))
            if key == "findings", let findings, !members.contains(where: { $0.name == "findings" }) {
                out.append(UInt8(ascii: "["))
                for (position, finding) in findings.enumerated() {
                    if position > 0 { out.append(UInt8(ascii: ",")) }
                    object(finding, findings: nil, into: &out)
                }
                out.append(UInt8(ascii: "]"))
            } else if let value = members.first(where: { $0.name == key })?.value {
                scalar(value, into: &out)
            }
        }
        out.append(UInt8(ascii: "}"))
    }

    private static func scalar(_ value: StoredValue, into out: inout [UInt8]) {
        switch value {
        case .null: out += Array("null".utf8)
        case .integer(let integer): out += Array(String(integer).utf8)
        case .real(let real): out += Array((real.isFinite ? real.description : "null").utf8)
        case .text(let text): string(text, into: &out)
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
