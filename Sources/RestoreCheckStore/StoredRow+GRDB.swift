import GRDB
import RestoreCheckCore

extension Row {
    /// The row as every store hands it to the shared rules (`StoredValues`, `EvidenceRecord`).
    var stored: StoredRow {
        StoredRow(
            map { column, value in
                let stored: StoredValue =
                    switch value.storage {
                    case .null: .null
                    case .int64(let integer): .integer(integer)
                    case .double(let real): .real(real)
                    case .string(let text): .text(text)
                    case .blob(let data): .blob(Array(data))
                    }
                return (name: column, value: stored)
            })
    }
}
