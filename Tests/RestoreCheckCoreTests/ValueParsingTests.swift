import Testing

@testable import RestoreCheckCore

@Suite("Durations and sizes as operators write them")
struct ValueParsingTests {
    @Test(arguments: [
        ("90s", 90.0), ("15m", 900), ("26h", 93_600), ("7d", 604_800), ("1h30m", 5400), ("500ms", 0.5),
        ("2w", 1_209_600), (" 4h ", 14_400), ("1.5h", 5400),
    ])
    func parsesDurations(text: String, seconds: Double) {
        #expect(TimeSpan(parsing: text)?.seconds == seconds)
    }

    @Test(arguments: ["", "90", "h", "26x", "-5m", "1h 30m", "5 minutes", "1e9999h"])
    func rejectsBadDurations(text: String) {
        #expect(TimeSpan(parsing: text) == nil)
    }

    @Test(arguments: [
        ("4096", Int64(4096)), ("512MiB", 512 << 20), ("2GiB", 2 << 30), ("10GB", 10_000_000_000), ("1KiB", 1024),
        ("3 MiB", 3 << 20), ("1TiB", 1 << 40), ("7B", 7),
    ])
    func parsesSizes(text: String, bytes: Int64) {
        #expect(ByteCount(parsing: text)?.bytes == bytes)
    }

    @Test(arguments: ["", "GiB", "2.5GiB", "-1MiB", "12XB", "99999999999TiB"])
    func rejectsBadSizes(text: String) {
        #expect(ByteCount(parsing: text) == nil)
    }

    @Test func formatsForTables() {
        #expect(TimeSpan.format(93_600) == "1d2h")
        #expect(TimeSpan.format(3 * 86_400 + 10) == "3d0h")
        #expect(TimeSpan.format(1.25) == "1.3s")
        #expect(TimeSpan.format(45) == "45s")
        #expect(ByteCount.format(512) == "512 B")
        #expect(ByteCount.format(1536) == "1.5 KiB")
        #expect(ByteCount.format(5 << 30) == "5.0 GiB")
    }
}
