import Foundation
import RestoreCheckTestSupport
import Testing

@testable import RestoreCheckCore

@Suite("Scratch directories")
struct ScratchDirectoryTests {
    @Test func isPrivateAndRemovedCompletely() throws {
        let temp = TemporaryDirectory("scratch")
        let scratch = try ScratchDirectory.create(under: temp.url("cache"), label: "acme")
        var status = stat()
        #expect(stat(scratch.path, &status) == 0)
        #expect(status.st_mode & 0o777 == 0o700)
        #expect(stat(temp.url("cache"), &status) == 0 && status.st_mode & 0o777 == 0o711, "the base is searchable, not listable")
        #expect(URL(fileURLWithPath: scratch.path).lastPathComponent.hasPrefix("restorecheck-acme-"))
        try temp.write("cache/\(URL(fileURLWithPath: scratch.path).lastPathComponent)/a/b/c.txt", "x")
        try scratch.remove()
        #expect(temp.listing() == ["cache"])
    }

    /// What root's validation sandboxes get (uid 65534): the whole tree, links themselves but never
    /// what they point to.
    @Test func handOverChownsTheTreeAndNeverFollowsALink() throws {
        guard geteuid() == 0 else { return }  // only root can give files away; CI runs as root
        let temp = TemporaryDirectory("handover")
        let sentinel = try temp.write("sentinel/keep.txt", "precious")
        let scratch = try ScratchDirectory.create(under: temp.url("cache"), label: "x")
        try temp.write("cache/\(URL(fileURLWithPath: scratch.path).lastPathComponent)/db/app.dump", "dump")
        try FileManager.default.createSymbolicLink(atPath: "\(scratch.path)/db/to-sentinel", withDestinationPath: sentinel)
        try scratch.handOver(to: 65534, group: 65534)
        func owner(_ path: String) -> uid_t {
            var status = stat()
            return lstat(path, &status) == 0 ? status.st_uid : 12345
        }
        #expect([scratch.path, "\(scratch.path)/db", "\(scratch.path)/db/app.dump", "\(scratch.path)/db/to-sentinel"].map(owner) == [65534, 65534, 65534, 65534])
        #expect(owner(sentinel) == 0, "the link's target keeps its owner")
        try scratch.remove()
    }

    @Test func removalNeverFollowsSymlinks() throws {
        let temp = TemporaryDirectory("links")
        let sentinel = try temp.write("sentinel/keep.txt", "precious")
        let scratch = try ScratchDirectory.create(under: temp.url("cache"), label: "x")
        try FileManager.default.createSymbolicLink(atPath: "\(scratch.path)/to-sentinel", withDestinationPath: temp.url("sentinel"))
        try FileManager.default.createSymbolicLink(atPath: "\(scratch.path)/to-root", withDestinationPath: "/")
        try FileManager.default.createDirectory(atPath: "\(scratch.path)/d", withIntermediateDirectories: true)
        try FileManager.default.createSymbolicLink(atPath: "\(scratch.path)/d/file-link", withDestinationPath: sentinel)
        try scratch.remove()
        #expect(!FileManager.default.fileExists(atPath: scratch.path))
        #expect(try String(contentsOfFile: sentinel, encoding: .utf8) == "precious")
        #expect(FileManager.default.fileExists(atPath: "/etc/hostname") || FileManager.default.fileExists(atPath: "/etc/passwd"))
    }

    /// Removal follows a chain of single directories (`srv/data`) to where the tree branches and
    /// splits the entries there between two threads: everything goes, and a link out is not followed.
    @Test func aBranchingTreeBelowAChainIsRemovedOnTwoThreads() async throws {
        try await Blocking.run {
            let temp = TemporaryDirectory("branching")
            let sentinel = try temp.write("sentinel/keep.txt", "precious")
            let scratch = try ScratchDirectory.create(under: temp.url("cache"), label: "tree")
            for directory in 0..<40 {
                let path = "\(scratch.path)/srv/data/d\(directory)/e"
                try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
                for file in 0..<25 { FileManager.default.createFile(atPath: "\(path)/f\(file)", contents: Data("x".utf8)) }
            }
            try FileManager.default.createSymbolicLink(atPath: "\(scratch.path)/srv/data/out", withDestinationPath: temp.url("sentinel"))
            try scratch.remove()
            #expect(!FileManager.default.fileExists(atPath: scratch.path))
            #expect(try String(contentsOfFile: sentinel, encoding: .utf8) == "precious")
        }
    }

    @Test func leftoversFromACrashAreFoundAndRemoved() throws {
        let temp = TemporaryDirectory("leftover")
        let a = try ScratchDirectory.create(under: temp.url("cache"), label: "a")
        let b = try ScratchDirectory.create(under: temp.url("cache"), label: "b")
        try temp.write("cache/\(URL(fileURLWithPath: a.path).lastPathComponent)/f", "x")
        try temp.write("cache/unrelated/keep", "x")
        let leftovers = ScratchDirectory.removeLeftovers(under: temp.url("cache"))
        #expect(Set(leftovers.removed) == [a.path, b.path])
        #expect(leftovers.failures.isEmpty)
        #expect(temp.listing() == ["cache", "cache/unrelated", "cache/unrelated/keep"])
    }

    /// A Latin-1 share restores names that are not UTF-8 (`caf\xE9`): removal walks raw bytes, so
    /// such a tree goes too, at the end of a test and as a leftover at start-up.
    @Test func namesThatAreNotUTF8AreRemoved() throws {
        let temp = TemporaryDirectory("latin1")
        let scratch = try ScratchDirectory.create(under: temp.url("cache"), label: "l")
        let leftover = try ScratchDirectory.create(under: temp.url("cache"), label: "m")
        for root in [scratch.path, leftover.path] {
            try Shell.run("mkdir \"$R/caf$(printf '\\351')\" && printf x > \"$R/caf$(printf '\\351')/r$(printf '\\374')ck.txt\"", environment: ["R": root])
            let names = try Shell.run("ls \"$R\" | od -An -c", environment: ["R": root]).stdout
            try #require(names.contains("351"), "the name on disk is the raw Latin-1 byte: \(names)")
        }
        try scratch.remove()
        #expect(!FileManager.default.fileExists(atPath: scratch.path))
        let leftovers = ScratchDirectory.removeLeftovers(under: temp.url("cache"))
        #expect(leftovers.removed == [leftover.path])
        #expect(leftovers.failures.isEmpty, "\(leftovers.failures)")
        #expect(temp.listing() == ["cache"])
    }

    @Test func creatingUnderAFileFails() throws {
        let temp = TemporaryDirectory("fail")
        let file = try temp.write("not-a-dir", "x")
        #expect(throws: ScratchDirectory.Failure.self) { try ScratchDirectory.create(under: file, label: "x") }
    }
}
