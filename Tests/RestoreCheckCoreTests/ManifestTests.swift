import Testing

@testable import RestoreCheckCore

@Suite("Manifests from sha256sum, shasum and BSD tools")
struct ManifestTests {
    let hexA = String(repeating: "a", count: 64)
    let hexB = String(repeating: "b", count: 64)

    func name(_ text: String) -> EntryName { try! EntryName.validate(Array(text.utf8)).get() }

    @Test func parsesGNUTextBinaryAndBSDForms() throws {
        let text = """
            # taken at backup time
            \(hexA)  ./etc/hostname
            \(hexB) *home/alice/photo.jpg
            SHA256 (./srv/a (copy) = b.txt) = \(hexA.uppercased())

            """
        let manifest = try Manifest(parsing: Array(text.utf8), file: "m.sha256")
        #expect(manifest.count == 3)
        #expect(manifest[name("etc/hostname")] == hexA)
        #expect(manifest[name("home/alice/photo.jpg")] == hexB)
        #expect(manifest[name("srv/a (copy) = b.txt")] == hexA)
    }

    @Test func unescapesSha256sumEscapedNamesAndStripsLeadingSlash() throws {
        let text = "\\\(hexA)  dir/new\\nline\\\\back\n\(hexB)  /srv/data/a\r\n"
        let manifest = try Manifest(parsing: Array(text.utf8), file: "m")
        #expect(manifest[name("dir/new\nline\\back")] == hexA)
        #expect(manifest[name("srv/data/a")] == hexB)
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
}
