import Foundation
import RestoreCheckTestSupport
import Testing

@testable import RestoreCheckCore
@testable import RestoreCheckWorker

@Suite("Committed fixtures (see Fixtures/README.md)")
struct FixtureTests {
    func fixture(_ name: String) throws -> String {
        try #require(Bundle.module.path(forResource: name, ofType: nil, inDirectory: "Fixtures"))
    }

    @Test(arguments: ["pax-utf8.tar", "odc.cpio", "lzma2.7z"])
    func passes(name: String) throws {
        let temp = TemporaryDirectory("fixture")
        let archive = try fixture(name)
        let run = try WorkerHarness.run(archive: archive, manifest: archive + ".sha256", scratchParent: temp)
        #expect(run.report.findings.isEmpty, "\(run.report.findings)")
        #expect(run.report.fatal == nil)
        #expect(run.report.filesVerified == 3)
        #expect(run.restored.contains("Büro/Ablage/brief.txt"))
    }

    @Test func badCRCZipIsCorruptAndIncomplete() async throws {
        try await Blocking.run {
            let temp = TemporaryDirectory("fixture")
            let archive = try fixture("bad-crc.zip")
            let run = try WorkerHarness.run(archive: archive, manifest: archive + ".sha256", scratchParent: temp)
            let byReason = Dictionary(grouping: run.report.findings, by: \.reason).mapValues { $0.map(\.path) }
            #expect(byReason[.archiveCorrupt] == ["etc/hostname"])
            #expect(byReason[.entryMissing] == ["Büro/Ablage/brief.txt"])
            #expect(run.report.filesVerified == 1)
        }
    }
}
