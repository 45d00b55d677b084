@testable import ObjectStorage
import Testing

@testable import RestoreCheckCore

/// The RTO projection's arithmetic, on reports whose rates are known exactly (no archive, no clock).
/// How close it lands to a real full restore is measured by `make bench`, not asserted here: timings
/// on a shared machine would make such a test flaky.
@Suite("RTO projection: each cost charged the way a full restore pays it")
struct RestoreProjectionTests {
    /// A 20-file sample of an archive of 1,000 files and 10 GB, with no costs measured yet.
    func sample() -> WorkerReport {
        var report = WorkerReport()
        report.regularFiles = 1000
        report.totalFileBytes = 10_000_000_000
        report.filesRestoredAll = 20
        report.bytesRestoredAll = 1_000_000
        report.elapsedSeconds = 1
        return report
    }

    @Test func aLeastSquaresLineIsRecovered() throws {
        var fit = LinearFit()
        for x in [1_000.0, 8_000, 64_000, 500_000] { fit.add(x: x, y: 50e-6 + 2e-9 * x) }
        let line = try #require(fit.line)
        #expect(abs(line.intercept - 50e-6) < 1e-12)
        #expect(abs(line.slope - 2e-9) < 1e-18)
        var two = LinearFit()
        two.add(x: 1, y: 1)
        two.add(x: 2, y: 2)
        #expect(two.line == nil, "two points are not enough to trust a slope")
        var flat = LinearFit()
        for _ in 0..<5 { flat.add(x: 4096, y: 1e-5) }
        #expect(flat.line == nil, "all files of one size show no slope")
    }

    @Test func directoriesArePaidPerDirectoryNotPerFile() throws {
        var report = sample()
        // The sample's 20 files landed in 50 new directories: 15 of its 20 ms of file time.
        report.fileOverheadSeconds = 0.020
        report.directorySeconds = 0.015
        report.directoriesCreated = 50
        report.directoryEntries = 100
        report.dataSeconds = 0
        report.elapsedSeconds = 0.020
        let projected = try #require(RestoreProjection.fullRestoreSeconds(report))
        // files 1000 × (5 ms / 20) = 0.25 s; directories 100 × (15 ms / 50) = 30 ms; no data time.
        // Per file, as before, it was 1000 × 1 ms = 1 s.
        #expect(abs(projected - 0.28) < 1e-9, "\(projected)")
        // An archive without directory entries still has at least the directories the sample made.
        report.directoryEntries = 0
        #expect(abs(try #require(RestoreProjection.fullRestoreSeconds(report)) - 0.265) < 1e-9)
    }

    @Test func aFileIsCreatedAtItsWarmCostNotItsColdSampledOne() throws {
        var report = sample()
        report.fileOverheadSeconds = 20 * 66e-6  // created cold, between runs of skipped entries
        let cold = try #require(RestoreProjection.restoreSeconds(report))
        report.warmCreateSeconds = 9e-6  // back to back after the pass
        let warm = try #require(RestoreProjection.restoreSeconds(report))
        #expect(abs((cold - warm) - 1000 * (66e-6 - 9e-6)) < 1e-9, "every file charged the warm cost")
        report.warmCreateSeconds = 100e-6  // a warm cost above the sampled one changes nothing
        #expect(abs(try #require(RestoreProjection.restoreSeconds(report)) - cold) < 1e-12)
    }

    @Test func aFileDataCostIsNotChargedPerByte() throws {
        var report = sample()
        // Small files: 50 µs each whatever the size, then 2 ns per byte.
        for x in [1_000.0, 4_000, 16_000, 64_000, 250_000] { report.dataFit.add(x: x, y: 50e-6 + 2e-9 * x) }
        report.dataSeconds = 5 * 50e-6 + 2e-9 * 335_000
        report.bytesRestoredAll = 335_000
        report.elapsedSeconds = report.dataSeconds
        let projected = try #require(RestoreProjection.fullRestoreSeconds(report))
        // 1000 × 50 µs + 1e10 × 2 ns = 0.05 + 20 s. Charged per byte, the 50 µs would have made
        // the bytes cost (0.92 ms / 0.335 MB) ≈ 2.7 ns each: 27 s.
        #expect(abs(projected - 20.05) < 1e-6, "\(projected)")
    }

    /// A zip's sample read through range requests: the pass waited on the store for most of its
    /// time; that wait is the source's to project (the whole object's fetch), not the archive's
    /// fixed cost, which a full restore would otherwise pay again on top.
    @Test func waitsForObjectStorageAreNotTheArchivesFixedCost() throws {
        var report = sample()
        let local = try #require(RestoreProjection.restoreSeconds(report))
        report.elapsedSeconds += 17.9  // 9,999 local headers and the sampled data, each a round trip
        report.storeWaitSeconds = 17.9
        #expect(abs(try #require(RestoreProjection.restoreSeconds(report)) - local) < 1e-9)
        // The source adds the fetch: 100 parts of 8 MiB, four in flight, at the fitted line.
        var stats = FetchStatistics()
        for bytes in [2048, 4096, 8 << 20] {  // 1.5 ms latency, 500 MB/s
            stats.record(.init(delivered: Int64(bytes), error: nil, readerLeft: false, firstByteSeconds: 0.001, seconds: 0.0015 + Double(bytes) * 2e-9))
        }
        let line = try #require(stats.transferLine)
        // Sums of squares of 8 MiB reads: equal to about one part in a million.
        #expect(abs(line.latency - 0.0015) < 1e-6 && abs(line.secondsPerByte / 2e-9 - 1) < 1e-6, "\(line)")
        let fetch = ObjectStorageSource.wholeFetchSeconds(800 << 20, from: stats)
        #expect(abs(fetch / (25 * (0.0015 + Double(8 << 20) * 2e-9)) - 1) < 1e-6, "\(fetch)")
    }

    /// A sample of files of about one size cannot tell a byte's cost from a file's: one of five
    /// 20-40-byte files delayed 1 s by a stalled core fitted 0.1 s a byte, and an archive of 552
    /// files holding 3 MB projected days against a 1 h RTO. Seen once in a loaded CI run.
    @Test func aDelayedTinyFileDoesNotMakeEveryByteCostASecond() throws {
        var report = WorkerReport()
        report.regularFiles = 552
        report.totalFileBytes = 3_200_000
        report.filesRestoredAll = 5
        report.bytesRestoredAll = 150
        for (bytes, seconds) in [(20.0, 50e-6), (25, 50e-6), (30, 50e-6), (35, 50e-6), (40, 1.0)] { report.dataFit.add(x: bytes, y: seconds) }
        report.dataSeconds = 1.0002
        report.elapsedSeconds = 1.01
        let projected = try #require(RestoreProjection.restoreSeconds(report))
        // Per file: the five files' mean (0.2 s), 552 times; per byte: at most 20 ns.
        #expect(projected < 200, "\(projected) s")
        #expect(projected > 552 * 0.19, "the delay is still charged, per file: \(projected) s")
        // Spread sizes do identify a slope, even a steep one: it is kept.
        var spread = WorkerReport()
        spread.regularFiles = 552
        spread.totalFileBytes = 3_200_000
        spread.filesRestoredAll = 5
        spread.bytesRestoredAll = 1_000_000
        for bytes in [1_000.0, 100_000, 200_000, 300_000, 399_000] { spread.dataFit.add(x: bytes, y: 1e-6 * bytes) }
        spread.dataSeconds = 1
        spread.elapsedSeconds = 1
        #expect(try #require(RestoreProjection.restoreSeconds(spread)) > 3.1, "1 µs a byte over 3.2 MB")
    }

    @Test func theSkipRateStandsForTheDecoderOfAStream() throws {
        var report = sample()
        report.dataSeconds = 0.005  // 5 ns per byte on the few sampled bytes
        report.skipDecodedBytes = 1_000_000_000
        report.skipSeconds = 2  // 2 ns per byte over most of the stream
        report.elapsedSeconds = 2.005
        let projected = try #require(RestoreProjection.fullRestoreSeconds(report))
        #expect(abs(projected - 20) < 1e-6, "1e10 bytes at the skip rate: \(projected)")
    }

    @Test("the two threads overlap: max(decoder thread, (decoder + hash/write threads) / 2)", arguments: [
        (decode: 2e-9, hashWrite: 1e-9, perByte: 2e-9),
        (decode: 1e-9, hashWrite: 3e-9, perByte: 2e-9),
    ])
    func threadsOverlap(decode: Double, hashWrite: Double, perByte: Double) throws {
        var report = sample()
        report.dataSeconds = decode * 1_000_000
        report.elapsedSeconds = report.dataSeconds
        report.sinkSeconds = hashWrite * 1_000_000
        report.sinkBytes = 1_000_000
        let projected = try #require(RestoreProjection.fullRestoreSeconds(report))
        #expect(abs(projected - 1e10 * perByte) < 1e-6, "\(projected)")
    }

    @Test func filesHeldUncompressedAreProjectedApart() throws {
        var report = sample()
        // Sampled text inflates at 4 ns per byte; 4 of the 10 GB are stored media, none sampled:
        // they cost the decoder nothing to inflate, only the hash/write thread's 5 ns per byte.
        report.dataSeconds = 4e-9 * 1_000_000
        report.elapsedSeconds = report.dataSeconds
        report.sinkSeconds = 5e-9 * 1_000_000
        report.sinkBytes = 1_000_000
        report.incompressibleBytes = 4_000_000_000
        let projected = try #require(RestoreProjection.fullRestoreSeconds(report))
        // decoder 6e9 × 4 ns = 24 s, hash/write 1e10 × 5 ns = 50 s: (24 + 50) / 2. Inflated at the
        // text's rate the media would have made it (40 + 50) / 2.
        #expect(abs(projected - 37) < 1e-6, "\(projected)")
    }

    @Test func manySmallFilesAreCreatedWhileTheOtherThreadHashes() throws {
        var report = WorkerReport()
        report.regularFiles = 200_000
        report.totalFileBytes = 1_000_000_000
        report.filesRestoredAll = 20
        report.bytesRestoredAll = 100_000
        report.fileOverheadSeconds = 20 * 10e-6  // 10 µs to create a file
        report.skipDecodedBytes = 1_000_000_000
        report.skipSeconds = 0.5  // the stream decodes at 0.5 ns per byte
        report.sinkSeconds = 3e-9 * 100_000  // hash and write at 3 ns per byte
        report.sinkBytes = 100_000
        report.elapsedSeconds = report.fileOverheadSeconds + report.skipSeconds
        let projected = try #require(RestoreProjection.fullRestoreSeconds(report))
        // decoder thread: 200,000 × 10 µs + 1e9 × 0.5 ns = 2.5 s; hash/write 3 s: (2.5 + 3) / 2.
        // Creating files on top of the bytes' shared cost, as before, was 2 + 1.75 = 3.75 s: the
        // 200,000-file bench case over-projected 1.47-1.65×.
        #expect(abs(projected - 2.75) < 1e-6, "\(projected)")
    }

    @Test func classifiesUncompressedFilesBySpan() {
        #expect(RestoreProjection.isIncompressible(declared: 100 << 20, archiveBytes: 100 << 20 + 100))
        #expect(!RestoreProjection.isIncompressible(declared: 100 << 20, archiveBytes: 40 << 20), "compressed 2.5:1")
        #expect(!RestoreProjection.isIncompressible(declared: 64 << 10, archiveBytes: 256 << 10), "too small to judge by block-sized reads")
    }

    @Test func projectionChargesEveryFileAndByteAtMeasuredRates() throws {
        var report = sample()
        report.bytesRestoredAll = 100_000_000
        report.fileOverheadSeconds = 0.02  // 1 ms per file
        report.dataSeconds = 0.5  // 5 ns per byte (200 MB/s)
        report.skipSeconds = 30  // decoding the rest of a tar.gz: replaced, not added
        report.elapsedSeconds = 31
        let projected = try #require(RestoreProjection.fullRestoreSeconds(report))
        // overhead 31 − 0.02 − 0.5 − 30 = 0.48; files 1000 × 1 ms = 1; bytes 1e10 × 5e-9 = 50
        #expect(abs(projected - 51.48) < 1e-9)
    }

    @Test func fullRestoreProjectsItsOwnTime() throws {
        var report = WorkerReport()
        report.regularFiles = 10
        report.totalFileBytes = 1000
        report.filesRestoredAll = 10
        report.bytesRestoredAll = 1000
        report.fileOverheadSeconds = 1
        report.dataSeconds = 2
        report.elapsedSeconds = 3.5
        #expect(RestoreProjection.fullRestoreSeconds(report) == 3.5)
    }

    @Test func noProjectionWithoutMeasurement() {
        var report = WorkerReport()
        report.regularFiles = 5
        #expect(RestoreProjection.fullRestoreSeconds(report) == nil)
        report.fatal = Finding(path: "a", reason: .archiveCorrupt)
        #expect(RestoreProjection.fullRestoreSeconds(report) == nil)
    }
}
