import Foundation

/// One value of a history row as every store reads it back: SQLite's and PostgreSQL's rows are
/// turned into this before anything decodes, hashes or verifies them, so the rules that read a row
/// (`StoredValues`), hash it (`EvidenceRecord`) and verify the chain (`EvidenceWalk`) have one home.
public enum StoredValue: Sendable, Hashable {
    case null
    case integer(Int64)
    case real(Double)
    case text(String)
    case blob([UInt8])

    public var isNull: Bool { if case .null = self { true } else { false } }
}

/// A row of the history: its columns in the store's order, by name.
public struct StoredRow: Sendable {
    public private(set) var columns: [(name: String, value: StoredValue)]

    public init(_ columns: [(name: String, value: StoredValue)]) {
        self.columns = columns
    }

    public subscript(_ name: String) -> StoredValue {
        columns.first { $0.name == name }?.value ?? .null
    }

    public func text(_ name: String) -> String? {
        if case .text(let text) = self[name] { text } else { nil }
    }

    public func integer(_ name: String) -> Int64? {
        switch self[name] {
        case .integer(let value): value
        case .real(let value) where value == value.rounded(): Int64(exactly: value)
        default: nil
        }
    }

    public func real(_ name: String) -> Double? {
        switch self[name] {
        case .real(let value): value
        case .integer(let value): Double(value)
        default: nil
        }
    }

    public func date(_ name: String) -> Date? {
        real(name).map(Date.init(timeIntervalSince1970:))
    }

    public func bool(_ name: String) -> Bool? {
        integer(name).map { $0 != 0 }
    }

    /// A column that must hold a value: an error naming the table and column when it does not.
    public func required<Value>(_ name: String, _ read: (String) -> Value?, in table: String) throws -> Value {
        guard let value = read(name) else { throw StoredValues.Missing(table: table, column: name) }
        return value
    }
}
