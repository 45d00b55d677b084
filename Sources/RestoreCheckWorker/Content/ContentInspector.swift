import RestoreCheckCore

/// The content check's per-file work on the restore sink's thread, in the same pass as the hash: the
/// first bytes (for signatures) and a byte histogram over the first `window` bytes; at the end of the
/// file, the verdict (`ContentRule`).
///
/// Most files settle early and cost next to nothing: a file named as a structured format stops
/// once its first bytes show a known signature, and any file stops once its first
/// `ContentRule.probeSize` bytes are clearly not uniform (`ContentRule.isClearlyNotRandom`). Measured
/// on the bench dataset before these two exits: +7-8 % on a full verify of tar.gz and tar.zst, the
/// histogram running over every text file whole and the first MiB of every document.
///
/// One per sink, reused file after file: no allocation per file.
struct ContentInspector: ~Copyable {
    /// The histogram covers at most this many bytes of each file. Ciphertext is uniform from the first
    /// byte, so a prefix decides as well as the whole file; the cap keeps the cost proportional to
    /// the number of files, not their size (README "Content checks" gives the measured cost).
    static let window = 1 << 20
    /// Bytes kept for signatures: PDF's header may sit anywhere in the first 1024.
    static let headSize = 1024
    /// The file's last bytes, kept for a zip's end-of-central-directory record (22 bytes plus a
    /// comment; 256 covers zips without a long comment).
    static let tailSize = 256

    private var histogram = ByteHistogram()
    private var head: [UInt8] = []
    private var tail: [UInt8] = []
    private var expectation: ContentExpectation?
    private var size: Int64 = 0
    /// The file is known not to be suspicious: nothing more to look at.
    private var settled = false

    init() {
        head.reserveCapacity(Self.headSize)
        tail.reserveCapacity(2 * Self.tailSize)
    }

    /// Starts a file; `expectation` nil means the check is off for it (no work at all).
    mutating func begin(_ expectation: ContentExpectation?) {
        self.expectation = expectation == .unchecked ? nil : expectation
        if histogram.count > 0 { histogram.reset() }  // most files are unchecked: no 4 KiB clear for them
        head.removeAll(keepingCapacity: true)
        tail.removeAll(keepingCapacity: true)
        size = 0
        settled = false
    }

    mutating func add(_ bytes: UnsafeRawBufferPointer) {
        size += Int64(bytes.count)
        guard let expectation, !settled else { return }
        if head.count < Self.headSize {
            head.append(contentsOf: bytes.prefix(Self.headSize - head.count))
            if case .structured = expectation, FileSignature.matches(head[...]) != nil {
                settled = true
                return
            }
        }
        keepTail(bytes.suffix(Self.tailSize))
        var rest = bytes[...]
        if histogram.count < ContentRule.probeSize {
            let probe = rest.prefix(ContentRule.probeSize - histogram.count)
            histogram.add(UnsafeRawBufferPointer(rebasing: probe))
            rest = rest.dropFirst(probe.count)
            if histogram.count == ContentRule.probeSize, ContentRule.isClearlyNotRandom(ByteStatistics(counts: histogram.counts)) {
                settled = true
                return
            }
        }
        let room = Self.window - histogram.count
        if room > 0, !rest.isEmpty { histogram.add(UnsafeRawBufferPointer(rebasing: rest.prefix(room))) }
    }

    private mutating func keepTail(_ bytes: some Collection<UInt8>) {
        tail.append(contentsOf: bytes)
        if tail.count > Self.tailSize { tail.removeFirst(tail.count - Self.tailSize) }
    }

    mutating func addZeros(_ count: Int64) {
        size += count
        guard expectation != nil, !settled else { return }
        if head.count < Self.headSize { head.append(contentsOf: repeatElement(0, count: min(Self.headSize - head.count, Int(clamping: count)))) }
        keepTail(repeatElement(0, count: min(Self.tailSize, Int(clamping: count))))
        let room = Self.window - histogram.count
        if room > 0 { histogram.addZeros(min(room, Int(clamping: count))) }
    }

    /// The verdict on the file just ended: nil when it looks like what its name promises.
    func verdict() -> ContentRule.Suspicion? {
        guard let expectation, !settled else { return nil }
        return ContentRule.judge(expectation, size: size, head: head[...], tail: tail[...], statistics: { ByteStatistics(counts: histogram.counts) })
    }
}
