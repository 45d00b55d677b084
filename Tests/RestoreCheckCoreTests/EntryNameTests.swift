import Testing

@testable import RestoreCheckCore

@Suite("Entry names: validated as bytes, never cleaned")
struct EntryNameTests {
    @Test(arguments: [
        ("etc/hostname", "etc/hostname"), ("./etc/hostname", "etc/hostname"), ("etc//hostname", "etc/hostname"),
        ("dir/", "dir"), ("./a/./b", "a/b"), ("Rechnungen Ünïcødé/r.txt", "Rechnungen Ünïcødé/r.txt"),
        ("a..b/c..", "a..b/c.."), ("...", "..."),
    ])
    func normalises(raw: String, normalised: String) throws {
        let name = try EntryName.validate(Array(raw.utf8)).get()
        #expect(name.description == normalised)
    }

    @Test(arguments: [
        ("../../x", EntryName.Rejection.parentReference), ("/etc/x", .absolute), ("a/../../b", .parentReference),
        ("..", .parentReference), ("..\\..\\x", .parentReference), ("a\\..\\b", .parentReference), ("C:\\x", .absolute),
        ("", .empty), ("./", .empty), ("//etc/x", .absolute),
    ])
    func rejectsEscapes(raw: String, rejection: EntryName.Rejection) {
        #expect(throws: rejection) { try EntryName.validate(Array(raw.utf8)).get() }
    }

    @Test func rejectsNulAndOverlongNames() {
        #expect(throws: EntryName.Rejection.nulByte) { try EntryName.validate([0x61, 0, 0x62]).get() }
        #expect(throws: EntryName.Rejection.componentTooLong) {
            try EntryName.validate(Array(String(repeating: "a", count: 256).utf8)).get()
        }
        let deep = Array(repeating: String(repeating: "d", count: 200), count: 21).joined(separator: "/")
        #expect(throws: EntryName.Rejection.tooLong) { try EntryName.validate(Array(deep.utf8)).get() }
        #expect((try? EntryName.validate(Array(String(repeating: "a", count: 255).utf8)).get()) != nil)
    }

    @Test func keepsInvalidUTF8AsBytes() throws {
        let latin1: [UInt8] = Array("caf".utf8) + [0xE9, 0x2F] + Array("x".utf8)  // "café/x" in Latin-1
        let name = try EntryName.validate(latin1).get()
        #expect(name.bytes == latin1)
        #expect(name.components.count == 2)
    }
}
