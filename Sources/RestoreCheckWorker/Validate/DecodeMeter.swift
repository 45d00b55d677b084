import RestoreCheckCore

/// The outer test's limits on what a validator decodes from one restored file (a single compressed
/// stream, a nested archive): `max_bytes`, and `max_ratio` against the file's own size once past the
/// grace bytes, so a nested bomb is `limit_exceeded`, never a crash or a full disk. It also calls the
/// heartbeat every 64 MiB, so the stall watchdog sees a long decode as alive.
struct DecodeMeter {
    let context: ValidationContext
    /// The restored file's size: the "compressed" side of the ratio.
    let fileSize: Int64
    private(set) var decoded: Int64 = 0
    private var nextHeartbeat: Int64 = Self.heartbeatBytes
    static let heartbeatBytes: Int64 = 64 << 20

    init(context: ValidationContext, fileAt path: String) {
        self.context = context
        if case .success(let status) = SystemCalls.fileStatus(path) { fileSize = Int64(status.st_size) } else { fileSize = 0 }
    }

    /// Counts `count` more decoded bytes; the limit crossed, if any.
    mutating func add(_ count: Int) -> String? {
        decoded += Int64(count)
        if decoded >= nextHeartbeat {
            nextHeartbeat += Self.heartbeatBytes
            context.alive()
        }
        let limits = context.limits
        if decoded > limits.maxBytes {
            return "decodes to more than limits.max_bytes (\(ByteCount.format(limits.maxBytes)))"
        }
        if decoded > limits.ratioGraceBytes, Double(decoded) > limits.maxRatio * Double(max(1, fileSize)) {
            return "expands more than \(Int(limits.maxRatio))× (limits.max_ratio): a decompression bomb"
        }
        return nil
    }
}
