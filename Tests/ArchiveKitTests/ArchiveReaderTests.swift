import ArchiveKit
import Foundation
import Glibc
import RestoreCheckTestSupport
import Testing

@Suite("ArchiveReader over libarchive")
struct ArchiveReaderTests {
    init() { setlocale(LC_CTYPE, "C.UTF-8") }

    func entries(_ path: String) throws -> [(ArchiveEntry, [UInt8])] {
        var reader = try ArchiveReader(path: path)
        var result: [(ArchiveEntry, [UInt8])] = []
        while let entry = try reader.nextEntry() {
            var data: [UInt8] = []
            while let block = try reader.readBlock() { data += block.bytes }
            result.append((entry, data))
        }
        return result
    }

    @Test func readsEntriesAsValuesWithKindsSizesAndData() async throws {
        try await Blocking.run {
            let temp = TemporaryDirectory("ak")
            try Shell.run(
                "mkdir -p src/d && cd src && printf hello > d/a.txt && ln -s d/a.txt link && ln d/a.txt hard && tar -cf ../t.tar d link hard",
                in: temp.path)
            let all = try entries(temp.url("t.tar"))
            let byName = Dictionary(all.map { (String(decoding: $0.0.pathname, as: UTF8.self), $0) }, uniquingKeysWith: { a, _ in a })
            #expect(byName["d/"]?.0.kind == .directory)
            let file = try #require(byName["d/a.txt"])
            #expect(file.0.kind == .regular)
            #expect(file.0.declaredSize == 5)
            #expect(file.1 == Array("hello".utf8))
            #expect(byName["link"]?.0.kind == .symlink)
            #expect(byName["link"]?.0.linkTarget == Array("d/a.txt".utf8))
            #expect(byName["hard"]?.0.kind == .hardlink)
        }
    }

    @Test func reportsFormatAndFilters() async throws {
        try await Blocking.run {
            let temp = TemporaryDirectory("ak2")
            try Shell.run("mkdir src && echo x > src/f && tar -C src --zstd -cf t.tar.zst f && (cd src && zip -q ../z.zip f)", in: temp.path)
            var tar = try ArchiveReader(path: temp.url("t.tar.zst"))
            _ = try tar.nextEntry()
            // #expect cannot capture a ~Copyable value: read the properties first.
            let (tarFamily, tarFilters, tarFiltered) = (tar.formatFamily, tar.filterNames, tar.isFiltered)
            #expect(tarFamily == .tar)
            #expect(tarFilters == ["zstd"])
            #expect(tarFiltered)
            var zip = try ArchiveReader(path: temp.url("z.zip"))
            _ = try zip.nextEntry()
            let (zipFamily, zipFiltered) = (zip.formatFamily, zip.isFiltered)
            #expect(zipFamily == .zip)
            #expect(!zipFiltered)
        }
    }

    @Test func missingFileAndNonArchiveFailToOpenWithMessages() async throws {
        try await Blocking.run {
            #expect {
                _ = try ArchiveReader(path: "/nonexistent/x.tar")
            } throws: { error in
                (error as? ArchiveError)?.code == .openFailed && (error as? ArchiveError)?.errno == ENOENT
            }
            let temp = TemporaryDirectory("ak3")
            let text = try temp.write("notes.txt", String(repeating: "not an archive\n", count: 100))
            #expect {
                var reader = try ArchiveReader(path: text)
                _ = try reader.nextEntry()
            } throws: { error in
                guard let error = error as? ArchiveError else { return false }
                return (error.code == .corrupt || error.code == .openFailed) && !error.message.isEmpty
            }
        }
    }

    @Test func disabledFormatsAreNotRead() async throws {
        try await Blocking.run {
            // ISO 9660 is one of the readers left off on purpose. An ISO image starts with 32 KiB of zeros,
            // which the tar reader takes for an empty tar's end marker: no entry of it may be read.
            let temp = TemporaryDirectory("ak4")
            try Shell.run("mkdir src && echo x > src/f && bsdtar --format iso9660 -cf img.iso -C src f", in: temp.path)
            let read = (try? entries(temp.url("img.iso"))) ?? []
            #expect(read.isEmpty)
        }
    }
}
