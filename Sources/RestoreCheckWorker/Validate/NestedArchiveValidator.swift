import ArchiveKit
import RestoreCheckCore

/// `archive`: a backup inside the backup (the nightly `db.tar.gz` a file server keeps, a zip of
/// exports) read through once more by the same reader as the outer archive, in the same worker:
/// every member is decoded to its end, so libarchive checks what the format carries (zip's CRC-32 per
/// member, the filter's own trailer: gzip's CRC-32 and size, xz's check, zstd's checksum) and notices
/// a member cut short. Nothing is written: members are counted, not kept, under the outer test's
/// limits (`max_entries`, and `max_bytes` and `max_ratio` through `DecodeMeter`), and the worker's
/// memory limit. One level deep: members that are archives themselves are decoded, not opened.
///
/// Not judged: member names (nothing is extracted, so `../` cannot escape anything) and member
/// contents (no manifest exists for them). A plain tar has no checksum over its data: a tar cut
/// exactly at a member boundary reads as a shorter, whole archive; cut anywhere else, it fails.
struct NestedArchiveValidator: FileValidator {
    func validate(_ path: String, context: ValidationContext) -> (reason: OutcomeReason, detail: String)? {
        var member: String?
        do {
            var reader = try ArchiveReader(path: path)
            var meter = DecodeMeter(context: context, fileAt: path)
            var members = 0
            while let entry = try reader.nextEntry() {
                members += 1
                member = "member \(members) (\(String(decoding: entry.pathname, as: UTF8.self)))"
                if members > context.limits.maxEntries {
                    return (.limitExceeded, "more than \(context.limits.maxEntries) members (limits.max_entries)")
                }
                while let block = try reader.readBlock() {
                    if let over = meter.add(block.bytes.count) { return (.limitExceeded, "\(member ?? ""): \(over)") }
                }
            }
            return nil
        } catch {
            let place = member.map { "\($0): " } ?? "not an archive this worker reads: "
            return (OutcomeReason(archiveError: error, otherwise: .validationFailed), place + error.message)
        }
    }
}
