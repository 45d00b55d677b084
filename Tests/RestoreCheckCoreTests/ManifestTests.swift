import Foundation
import RestoreCheckTestSupport
import Testing

@testable import RestoreCheckCore

@Suite("Manifests from sha256sum, shasum and BSD tools")
struct ManifestTests {
    let hexA = String(repeating: "a", count: 64)
    let hexB = String(repeating: "b", count: 64)

    func name(_ text: String) throws -> EntryName { try EntryName.validate(Array(text.utf8)).get() }

    @Test func parsesGNUTextBinaryAndBSDForms() throws {
        let text = """
            # taken at backup time
            \(hexA)  ./etc/hostname
            \(hexB) *home/alice/photo.jpg
            SHA256 (./srv/a (copy) = b.txt) = \(hexA.uppercased())

            """
        let manifest = try Manifest(parsing: Array(text.utf8), file: "m.sha256")
        #expect(manifest.count == 3)
        #expect(try manifest[name("etc/hostname")] == hexA)
        #expect(try manifest[name("home/alice/photo.jpg")] == hexB)
        #expect(try manifest[name("srv/a (copy) = b.txt")] == hexA)
    }

    @Test func unescapesSha256sumEscapedNamesAndStripsLeadingSlash() throws {
        let text = "\\\(hexA)  dir/new\\nline\\\\back\n\(hexB)  /srv/data/a\r\n"
        let manifest = try Manifest(parsing: Array(text.utf8), file: "m")
        #expect(try manifest[name("dir/new\nline\\back")] == hexA)
        #expect(try manifest[name("srv/data/a")] == hexB)
    }

    @Test func readsSha256sumTagLinesForNamesItEscaped() throws {
        // coreutils' own output: `--tag` marks a name holding a backslash or a newline with a
        // leading `\` and escapes it; such lines were rejected, and the test ran integrity-only.
        let temp = TemporaryDirectory("tag-escaped")
        try Shell.run("mkdir d && printf one > 'd/back\\slash' && printf two > \"d/new$(printf '\\nline')\" && sha256sum --tag d/* > m", in: temp.path)
        let text = try String(contentsOfFile: temp.url("m"), encoding: .utf8)
        #expect(text.hasPrefix("\\SHA256 (d/back\\\\slash) = "), "\(text)")
        let manifest = try Manifest(contentsOfFile: temp.url("m"))
        #expect(manifest.count == 2)
        #expect(try manifest[name("d/back\\slash")] == "7692c3ad3540bb803c020b3aee66cd8887123234ea0c6e7143c0add73ff431ed")
        #expect(try manifest[name("d/new\nline")] == "3fc4ccfe745870e2c0d99f71f30ff0656c8dedd41cc1d7d3d376b0dbe685e2f3")
    }

    @Test func readsAPowerShellManifest() throws {
        // Not run here (no PowerShell on Debian): the text `Get-FileHash | % { "$($_.Hash)  $(Resolve-Path
        // -Relative $_.Path)" } | Out-File -Encoding utf8` writes: a byte-order mark, upper-case hex,
        // `.\` paths with Windows separators, CRLF.
        let text = "\u{FEFF}\(hexA.uppercased())  .\\Documents\\Q3 report.docx\r\n\(hexB.uppercased())  .\\top.txt\r\n"
        let temp = TemporaryDirectory("powershell")
        let path = try temp.write("m.sha256", text)
        let manifest = try Manifest(contentsOfFile: path)
        #expect(manifest.count == 2)
        #expect(try manifest[name("Documents/Q3 report.docx")] == hexA)
        #expect(try manifest[name("top.txt")] == hexB)
        let plain = try Manifest(parsing: Array("\(hexA)  a\\b\n".utf8), file: "m")
        #expect(try plain[name("a\\b")] == hexA, "elsewhere a backslash is part of a Linux name")
    }

    @Test(arguments: ["", "# taken where the data was not mounted\n\n", "\u{FEFF}\r\n"])
    func aManifestThatListsNoFileIsAnError(text: String) {
        #expect {
            try Manifest(parsing: Array(text.utf8), file: "m.sha256")
        } throws: { error in
            (error as? Manifest.ParseError)?.message.hasPrefix("lists no file") == true
        }
    }

    @Test(arguments: [
        ("\(String(repeating: "a", count: 63))  x", 1, "expected '<64 hex digits>"),
        ("\(String(repeating: "g", count: 64))  x", 1, "expected '<64 hex digits>"),
        ("\(String(repeating: "a", count: 64)) x y", 1, "two spaces"),
        ("# ok\n\(String(repeating: "a", count: 64))  ../escape", 2, "'..' component"),
        ("SHA256 (x) = abc", 1, "not 64 hex digits"),
        ("MD5 (x) = \(String(repeating: "a", count: 32))", 1, "expected '<64 hex digits>"),
    ])
    func reportsTheLineOfAGarbledEntry(text: String, line: Int, message: String) {
        #expect {
            try Manifest(parsing: Array(text.utf8), file: "m.sha256")
        } throws: { error in
            let error = error as! Manifest.ParseError
            return error.line == line && error.file == "m.sha256" && error.message.contains(message)
        }
    }

    @Test func rejectsConflictingDuplicatesButAcceptsRepeats() throws {
        let repeated = "\(hexA)  a\n\(hexA)  ./a\n"
        #expect(try Manifest(parsing: Array(repeated.utf8), file: "m").count == 1)
        let conflicting = "\(hexA)  a\n\(hexB)  ./a\n"
        #expect(throws: Manifest.ParseError.self) { try Manifest(parsing: Array(conflicting.utf8), file: "m") }
    }

    @Test func aFileIsReadInChunksWithLinesAcrossChunkBoundaries() throws {
        // 256 KiB reads: 6,000 lines of ~90 bytes cross several chunk boundaries, and the last line
        // has no newline. Streaming must give the same index as parsing the whole text at once.
        let temp = TemporaryDirectory("chunks")
        var text = (0..<6000).map { "\(hexA)  dir/file-\($0)-\(String(repeating: "x", count: $0 % 17)).txt" }.joined(separator: "\n")
        text += "\n\(hexB)  no-newline-at-end"
        let path = temp.url("m.sha256")
        try Data(text.utf8).write(to: URL(fileURLWithPath: path))
        let streamed = try Manifest(contentsOfFile: path)
        let whole = try Manifest(parsing: Array(text.utf8), file: path)
        #expect(streamed.count == 6001)
        #expect(whole.count == 6001)
        #expect(try streamed[name("dir/file-5999-\(String(repeating: "x", count: 5999 % 17)).txt")] == hexA)
        #expect(try streamed[name("no-newline-at-end")] == hexB)
        var names: [String] = []
        try Manifest.forEachEntry(inFile: path) { entry, _ in
            names.append(entry.description)
            return true
        }
        #expect(names.count == 6001)
        #expect(names.first == "dir/file-0-.txt")
        #expect(names.last == "no-newline-at-end")
        #expect(try Manifest.entryCapacity(of: path) == 6001, "sized by its lines, the last one unterminated")
    }

    @Test func capacityIsBoundedByWhatTheFileCanHold() throws {
        // Reserved before parsing, so blank lines must not count: 200,000 of them could hold at
        // most 200,000 / 67 entries.
        let temp = TemporaryDirectory("capacity")
        let blank = temp.url("blank.sha256")
        try Data(repeating: 0x0A, count: 200_000).write(to: URL(fileURLWithPath: blank))
        #expect(try Manifest.entryCapacity(of: blank) == 200_000 / Manifest.shortestEntryLine + 1)
        #expect {
            try Manifest(contentsOfFile: blank)
        } throws: { error in
            (error as? Manifest.ParseError)?.description == "\(blank): lists no file (empty, or only blank lines and comments): nothing to verify against"
        }
        let empty = try temp.write("empty.sha256", "")
        #expect(try Manifest.entryCapacity(of: empty) == 0)
    }

    @Test func aBadLineDeepInAFileIsReportedWithItsNumber() throws {
        let temp = TemporaryDirectory("deep")
        let good = (0..<5000).map { "\(hexA)  f\($0)\n" }.joined()
        let path = temp.url("m.sha256")
        try Data((good + "not a checksum line\n").utf8).write(to: URL(fileURLWithPath: path))
        #expect {
            try Manifest(contentsOfFile: path)
        } throws: { error in
            (error as? Manifest.ParseError)?.line == 5001
        }
        #expect {
            try Manifest(contentsOfFile: temp.url("absent.sha256"))
        } throws: { error in
            (error as? Manifest.ParseError)?.description.contains("absent.sha256: cannot be read") == true
        }
    }
}
