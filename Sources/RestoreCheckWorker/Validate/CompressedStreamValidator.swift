import ArchiveKit
import Foundation
import RestoreCheckCore

/// `gzip`, `xz`, `zstd`: a single compressed file decoded to its end through libarchive's filters
/// (the same code that reads the archives, in the same worker), which check the stream's own
/// trailer. The decoded bytes are counted, not kept, under the test's limits (`DecodeMeter`).
struct CompressedStreamValidator: FileValidator {
    /// libarchive's filter name (`archive_filter_name`).
    let filter: String

    func validate(_ path: String, context: ValidationContext) -> (reason: OutcomeReason, detail: String)? {
        do {
            var reader = try ArchiveReader(compressedStreamAt: path)
            guard try reader.nextEntry() != nil, reader.filterNames.contains(filter) else {
                return (.validationFailed, "not a \(filter) stream")
            }
            var meter = DecodeMeter(context: context, fileAt: path)
            while let block = try reader.readBlock() {
                if let over = meter.add(block.bytes.count) { return (.limitExceeded, over) }
            }
            return nil
        } catch {
            return (OutcomeReason(archiveError: error, otherwise: .validationFailed), "\(filter) stream damaged: \(error.message)")
        }
    }
}
