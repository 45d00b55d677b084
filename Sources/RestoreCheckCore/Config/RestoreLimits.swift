/// Ceilings on one restore test, enforced by the worker (bytes, entries, ratio) and its supervisor
/// (wall time, no-progress, memory). Hitting one is the finding `limit_exceeded`, never a silent pass.
///
/// The defaults are sized for a real file server (hundreds of GiB, millions of files), while a
/// decompression bomb (1 GiB of zeros compresses ~1000:1 under gzip and far more under xz/zstd) hits
/// `max_ratio` within the first few hundred MiB.
public struct RestoreLimits: Sendable, Hashable, Codable {
    /// Bytes written (or hashed, for sparse holes) per test.
    public var maxBytes: Int64 = 1 << 40
    /// Archive entries (headers) read per test.
    public var maxEntries: Int = 10_000_000
    /// Uncompressed/compressed ratio above which the archive is treated as a bomb; checked once
    /// `ratioGraceBytes` have been decoded, so a small highly compressible file does not trip it.
    public var maxRatio: Double = 1000
    public var ratioGraceBytes: Int64 = 64 << 20
    /// Wall-clock ceiling for one test, enforced by killing the worker (`timeout`).
    public var timeout: TimeSpan = TimeSpan(seconds: 6 * 3600)
    /// No progress event for this long also means `timeout` (a parser stuck in a loop).
    public var stallTimeout: TimeSpan = TimeSpan(seconds: 300)
    /// Address-space ceiling of the worker (`RLIMIT_AS`).
    public var memoryBytes: Int64 = 2 << 30
    /// Size of each private tmpfs (`/tmp`, `/dev/shm`) of a sandbox: half of `memoryBytes`. A tmpfs
    /// is RAM no `RLIMIT_AS` counts, and an unsized one may take half the host's: a restored script
    /// filled 1,800 MiB under a 512 MiB limit. So a command holds at most twice `memoryBytes`.
    public var sandboxTmpfsBytes: Int64 { memoryBytes / 2 }
    /// Processes and threads a validation command may run (`RLIMIT_NPROC` in its sandbox, counted
    /// per host uid, so commands running at once share it): a fork bomb stops here.
    public var processes: Int = 512

    public init() {}
}
