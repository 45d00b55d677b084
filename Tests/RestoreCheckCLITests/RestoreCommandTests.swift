import Foundation
import Glibc
import RestoreCheckCore
import RestoreCheckTestSupport
import Testing

/// `restorecheck restore` as an operator runs it on the bad day: real archives and repositories
/// made by real tools, restored into a directory and compared with the source tree they were made
/// from (contents with `diff -r`, and modes, times, links, sparse holes and owners with `find`).
@Suite("restorecheck restore")
struct RestoreCommandTests {
    func restorecheck(_ arguments: [String]) throws -> Shell.Result {
        try Shell.execute(BuiltBinary.path, arguments)
    }

    /// A source tree with what a careful `tar -x` keeps: modes, old times, an empty read-only
    /// directory, a relative symlink, a hard link, a sparse file and (as root) a foreign owner.
    func richTree(in temp: TemporaryDirectory) throws -> String {
        try Shell.run(
            """
            mkdir -p src/docs src/empty src/deep/a/b
            echo 'quarterly figures' > src/docs/report.txt && chmod 640 src/docs/report.txt
            head -c 300000 /dev/urandom > src/deep/a/b/blob.bin && chmod 755 src/deep/a/b/blob.bin
            ln -s ../docs/report.txt src/deep/link-to-report && ln src/docs/report.txt src/docs/report-hardlink.txt
            truncate -s 8M src/sparse.img && echo tail >> src/sparse.img
            printf 'x' > src/owned.txt && if [ "$(id -u)" = 0 ]; then chown 1234:5678 src/owned.txt; fi
            touch -h -d '2019-06-01 12:00:00' src/deep/link-to-report
            find src -type f -exec touch -d '2020-01-02 03:04:05' {} +
            chmod 555 src/empty && touch -d '2018-03-04 05:06:07' src/empty src/deep/a
            """, in: temp.path)
        return temp.url("src")
    }

    /// Every entry below `root` as `name type mode mtime links owner link-target`, sorted. Times
    /// in whole seconds: GNU and ustar headers hold no more (and a restore sets no more).
    func metadata(_ root: String, owners: Bool = true) throws -> [String] {
        let format = owners ? "%P %y %m %Ts %n %U:%G %l\\n" : "%P %y %m %Ts %n %l\\n"
        let listed = try Shell.run("find . -mindepth 1 -printf '\(format)' | sort", in: root).stdout
        return listed.split(separator: "\n").map(String.init)
    }

    func config(_ temp: TemporaryDirectory, archives: String, manifest: String? = nil, extra: String = "", file: String = "rc.yaml") throws -> String {
        try temp.write(
            file,
            """
            scratch_dir: \(temp.url("scratch"))
            state_dir: \(temp.url("state"))
            targets:
              - name: fileserver
                tenant: acme
                archives: \(archives)
            \(manifest.map { "    manifest: \"\($0)\"" } ?? "")
                rpo: 3650d
                rto: 1h
            \(extra)
            """)
    }

    @Test("tar, cpio, zip and 7z restore the source tree", arguments: [
        BackupSet.Kind.gnuTarGzip, .gnuTarXz, .bsdtarPax, .cpioNewc, .zipDeflate, .sevenZip,
    ])
    func eachFormatRestoresTheSourceTree(kind: BackupSet.Kind) async throws {
        try await Blocking.run {
            let temp = TemporaryDirectory("restore-\(kind.fileExtension)")
            let source = try richTree(in: temp)
            let archive = temp.url("backup.\(kind.fileExtension)")
            try Shell.run("find . -type f -print0 | sort -z | xargs -0 sha256sum > \"$OUT.sha256\"", in: source, environment: ["OUT": archive])
            // GNU tar is asked to keep the sparse file sparse, zip to store the symlink as one (-y);
            // every other command line is the suite's.
            let command = switch kind {
            case .gnuTarGzip: "tar --sparse -czf \"$OUT\" ."
            case .zipDeflate: "zip -qry \"$OUT\" ."
            default: kind.command
            }
            try Shell.run(command, in: source, environment: ["OUT": archive])
            let config = try config(temp, archives: archive, manifest: "{archive}.sha256")
            let restored = try restorecheck(["restore", "fileserver", "--config", config, "--to", temp.url("out"), "--point", "newest"])
            #expect(restored.status == 0, "\(restored.stdout)\n\(restored.stderr)")
            #expect(restored.stdout.contains("WARNING: this restore point was not verified"), "--point newest of an untested point says so")
            #expect(restored.stdout.contains("result: COMPLETE and verified"), "\(restored.stdout)")
            let diff = try Shell.execute("/usr/bin/diff", ["-r", "--no-dereference", source, temp.url("out")])
            #expect(diff.status == 0, "\(kind): \(diff.stdout)")
            #expect(try Shell.run("find . -name '*.partial' -o -name '*.restorecheck-*'", in: temp.url("out")).stdout.isEmpty)
            // Metadata as each format keeps it: tar and cpio keep everything a careful `tar -x` does.
            if [.gnuTarGzip, .gnuTarXz, .bsdtarPax].contains(kind) {
                #expect(try metadata(temp.url("out"), owners: geteuid() == 0) == metadata(source, owners: geteuid() == 0))
            }
            if kind == .gnuTarGzip {
                let blocks = try Shell.run("du -k out/sparse.img | cut -f1", in: temp.path).stdout.trimmingCharacters(in: .whitespacesAndNewlines)
                #expect((Int(blocks) ?? .max) < 64, "the 8 MiB sparse file stays sparse (\(blocks) KiB allocated)")
            }
        }
    }

    @Test func aHostileArchiveRestoresNothingOutsideTheDirectory() async throws {
        try await Blocking.run {
            let temp = TemporaryDirectory("restore-hostile")
            let sentinel = temp.url("sentinel")
            try FileManager.default.createDirectory(atPath: sentinel, withIntermediateDirectories: true)
            for kind in [HostileArchive.Kind.traversal, .symlink, .hardlink, .special] {
                let archive = try HostileArchive.make(kind, .tar, sentinel: sentinel, in: temp)
                let config = try config(temp, archives: archive)
                let out = temp.url("out-\(kind.rawValue)")
                let restored = try restorecheck(["restore", "fileserver", "--config", config, "--to", out, "--point", "newest"])
                if kind == .special {
                    #expect(restored.status == 0, "devices and FIFOs are skipped, not failures: \(restored.stdout)")
                } else {
                    // 1: listed; 3: the hard-link archive is also cut short (archive_corrupt), so incomplete.
                    #expect(restored.status == (kind == .hardlink ? 3 : 1), "\(kind): unsafe entries are listed and the exit says so: \(restored.stdout)")
                    #expect(restored.stdout.contains("unsafe_entry"), "\(kind): \(restored.stdout)")
                }
                #expect(try FileManager.default.contentsOfDirectory(atPath: sentinel).isEmpty, "\(kind) wrote outside the directory")
                let devices = try Shell.run("find . -type b -o -type c -o -type p", in: out).stdout
                #expect(devices.isEmpty, "no device node or FIFO is created: \(devices)")
            }
            #expect(try String(contentsOfFile: "/etc/passwd", encoding: .utf8).contains("root:"))
        }
    }

    /// Two restore points: an older one that passed its test, a newer damaged one that failed.
    @Test func theNewestVerifiedPointIsChosenAndBeforePicksAPreIncidentOne() async throws {
        try await Blocking.run {
            let temp = TemporaryDirectory("restore-choice")
            let files = ["home/anna/Documents/plan.txt": Data("plan v1\n".utf8), "home/bob/notes.txt": Data("meeting at 10\n".utf8)]
            let old = try BackupSet.make(.gnuTar, in: temp, files: files, name: "fs-1")
            try Shell.run("touch -d '2026-11-20 01:00Z' fs-1.tar", in: temp.path)
            let config = try config(temp, archives: temp.url("fs-*.tar"), manifest: "{archive}.sha256")
            #expect(try restorecheck(["run", "--config", config]).status == 0)
            let new = try BackupSet.make(.gnuTar, in: temp, files: files, name: "fs-2")
            var bytes = try Data(contentsOf: URL(fileURLWithPath: new.archive))
            let range = try #require(bytes.range(of: Data("meeting at 10".utf8)))
            bytes[range.lowerBound] ^= 0x01
            try bytes.write(to: URL(fileURLWithPath: new.archive))
            try Shell.run("touch -d '2026-11-29 01:00Z' fs-2.tar", in: temp.path)
            #expect(try restorecheck(["run", "--config", config]).status == 1)

            let points = try restorecheck(["restore", "fileserver", "--config", config, "--list-points"])
            #expect(points.stdout.split(separator: "\n").count == 3, "\(points.stdout)")
            #expect(points.stdout.contains("fs-2.tar") && points.stdout.contains("failed") && points.stdout.contains("passed"))

            // Before any test passed there is nothing verified to restore: said, and nothing is left behind.
            let refused = try restorecheck(["restore", "fileserver", "--config", try self.config(temp, archives: new.archive, manifest: "{archive}.sha256", file: "only-new.yaml"), "--to", temp.url("none")])
            #expect(refused.status == 3 && refused.stderr.contains("no restore point passed its last test"), "\(refused.stderr)")
            #expect(!FileManager.default.fileExists(atPath: temp.url("none")), "the directory it made is removed again")
            let chosen = try restorecheck(["restore", "fileserver", "--config", config, "--to", temp.url("a")])
            #expect(chosen.status == 0, "\(chosen.stdout)\(chosen.stderr)")
            #expect(chosen.stdout.contains("restore point: \(old.archive)") && chosen.stdout.contains("passed its last test"))
            #expect(try String(contentsOfFile: temp.url("a/home/bob/notes.txt"), encoding: .utf8) == "meeting at 10\n")

            let before = try restorecheck(["restore", "fileserver", "--config", config, "--to", temp.url("b"), "--point", "newest", "--before", "2026-11-28T00:00Z"])
            #expect(before.status == 0 && before.stdout.contains("restore point: \(old.archive)"), "\(before.stdout)\(before.stderr)")
            // A date alone is its UTC midnight; --json carries the outcome, the tally and the exit code.
            let byDate = try restorecheck(["restore", "fileserver", "--config", config, "--to", temp.url("b2"), "--before", "2026-11-28", "--json"])
            let document = try #require(try JSONSerialization.jsonObject(with: Data(byDate.stdout.utf8)) as? [String: Any], "\(byDate.stdout)\(byDate.stderr)")
            #expect(byDate.status == 0 && document["exit_code"] as? Int == 0 && document["complete"] as? Bool == true)
            #expect((document["outcome"] as? [String: Any])?["archive"] as? String == old.archive)
            #expect((document["restored"] as? [String: Any])?["files"] as? Int == 2, "\(document)")
            let garbled = try restorecheck(["restore", "fileserver", "--config", config, "--to", temp.url("b3"), "--before", "last tuesday"])
            #expect(garbled.status == 2 && garbled.stderr.contains("not an ISO 8601 time"), "\(garbled.stderr)")

            // The damaged point restores when asked for by name: the bad file is kept aside, never under its name.
            let damaged = try restorecheck(["restore", "fileserver", "--config", config, "--to", temp.url("c"), "--point", new.archive])
            #expect(damaged.status == 1, "\(damaged.stdout)")
            #expect(damaged.stdout.contains("FAILED its last test") && damaged.stdout.contains("checksum_mismatch: home/bob/notes.txt"))
            #expect(!FileManager.default.fileExists(atPath: temp.url("c/home/bob/notes.txt")))
            #expect(FileManager.default.fileExists(atPath: temp.url("c/home/bob/notes.txt.restorecheck-mismatch")))
            #expect(try String(contentsOfFile: temp.url("c/home/anna/Documents/plan.txt"), encoding: .utf8) == "plan v1\n")

            // Every restore is in the history, with its origin, and the evidence chain verifies.
            let history = try restorecheck(["history", "fileserver", "--config", config, "--json"])
            let object = try #require(try JSONSerialization.jsonObject(with: Data(history.stdout.utf8)) as? [String: Any])
            let runs = try #require(object["runs"] as? [[String: Any]])
            #expect(runs.filter { $0["origin"] as? String == "restore" }.count == 4, "\(runs.map { $0["origin"] ?? "" })")
            let evidence = try restorecheck(["evidence", "verify", "--config", config])
            #expect(evidence.status == 0, "\(evidence.stdout)\(evidence.stderr)")
            // The tenant's report lists the restores of the period.
            let report = try restorecheck(["report", "--config", config, "--tenant", "acme", "--format", "markdown"])
            let restores = report.stdout.components(separatedBy: "### Restores performed").last ?? ""
            #expect(restores.components(separatedBy: "| fileserver |").count - 1 == 4, "\(report.stdout)")
            let json = try restorecheck(["report", "--config", config, "--tenant", "acme", "--format", "json"])
            let summary = try #require(((try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [String: Any])?["targets"] as? [[String: Any]])?.first)
            #expect((summary["tests"] as? [String: Any])?["run"] as? Int == 2, "the two tests, not the restores: \(summary)")
            // A restore is not a test of the point: the verified point is still the older one.
            let again = try restorecheck(["restore", "fileserver", "--config", config, "--to", temp.url("d")])
            #expect(again.stdout.contains("restore point: \(old.archive)"), "\(again.stdout)")
            // Nor a test of the target: status (and the monitoring check, and the scheduler) still see
            // the newest test, which failed, not the restores after it that passed.
            let status = try restorecheck(["status", "--config", config, "--json"])
            let targets = try #require((try JSONSerialization.jsonObject(with: Data(status.stdout.utf8)) as? [String: Any])?["targets"] as? [[String: Any]])
            #expect(targets.first?["status"] as? String == "failed" && targets.first?["origin"] as? String == "run", "\(status.stdout)")
        }
    }

    @Test func includeRestoresOneFolderAndIntoExistingKeepsWhatIsThere() async throws {
        try await Blocking.run {
            let temp = TemporaryDirectory("restore-include")
            let set = try BackupSet.make(.zipDeflate, in: temp)
            let config = try config(temp, archives: set.archive, manifest: "{archive}.sha256")
            let listing = try Shell.run("find . -type f | sort", in: set.source).stdout.split(separator: "\n").map { String($0.dropFirst(2)) }
            let folder = try #require(listing.first { $0.contains("/") }.map { String($0[..<$0.firstIndex(of: "/")!]) })
            let restored = try restorecheck(["restore", "fileserver", "--config", config, "--to", temp.url("one"), "--point", "newest", "--include", folder])
            #expect(restored.status == 0, "\(restored.stdout)\(restored.stderr)")
            let got = try Shell.run("find . -type f | sort", in: temp.url("one")).stdout.split(separator: "\n").map { String($0.dropFirst(2)) }
            #expect(got == listing.filter { $0.hasPrefix(folder + "/") }, "only \(folder)/ comes back")
            #expect(restored.stdout.contains("outside --include not restored"))

            // Not empty: refused without --into-existing; with it, an existing file is kept as it is.
            let refused = try restorecheck(["restore", "fileserver", "--config", config, "--to", temp.url("one"), "--point", "newest"])
            #expect(refused.status == 2 && refused.stderr.contains("not empty"), "\(refused.stderr)")
            let mine = temp.url("one/\(got[0])")
            try Data("the operator's own edit\n".utf8).write(to: URL(fileURLWithPath: mine))
            let beside = try restorecheck(["restore", "fileserver", "--config", config, "--to", temp.url("one"), "--point", "newest", "--into-existing"])
            #expect(beside.status == 0, "\(beside.stdout)\(beside.stderr)")
            #expect(beside.stdout.contains("already existed and were kept"))
            #expect(try String(contentsOfFile: mine, encoding: .utf8) == "the operator's own edit\n")
            #expect(try Shell.run("find . -type f | wc -l", in: temp.url("one")).stdout.trimmingCharacters(in: .whitespacesAndNewlines) == String(listing.count))
            let replaced = try restorecheck(["restore", "fileserver", "--config", config, "--to", temp.url("one"), "--point", "newest", "--into-existing", "--overwrite"])
            #expect(replaced.status == 0)
            #expect(try Shell.execute("/usr/bin/diff", ["-r", set.source, temp.url("one")]).status == 0)
        }
    }

    @Test func anInterruptedRestoreLeavesNoHalfWrittenFileUnderAFinalName() async throws {
        try await Blocking.run {
            let temp = TemporaryDirectory("restore-int")
            try Shell.run(
                """
                mkdir -p src && echo first > src/a-small.txt && head -c 268435456 /dev/urandom > src/b-large.bin && echo last > src/c-small.txt
                cd src && find . -type f -print0 | sort -z | xargs -0 sha256sum > ../backup.tar.sha256 && tar -cf ../backup.tar a-small.txt b-large.bin c-small.txt
                """, in: temp.path)
            let config = try config(temp, archives: temp.url("backup.tar"), manifest: "{archive}.sha256")
            let process = Process()
            process.executableURL = URL(fileURLWithPath: BuiltBinary.path)
            process.arguments = ["restore", "fileserver", "--config", config, "--to", temp.url("out"), "--point", "newest"]
            let stderr = Pipe()
            process.standardOutput = FileHandle.nullDevice
            process.standardError = stderr
            try process.run()
            // Caught mid-way through the large file, then Ctrl-C.
            let (worker, _) = try RunningWorker.pause(reading: temp.url("backup.tar"), afterReading: 64 << 20)
            kill(process.processIdentifier, SIGINT)
            worker.resume()
            process.waitUntilExit()
            let message = String(decoding: stderr.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
            #expect(process.terminationStatus == 130, "\(message)")
            #expect(message.contains("interrupted") && message.contains("partial file(s) removed"), "\(message)")
            let left = try Shell.run("find . -type f | sort", in: temp.url("out")).stdout
            #expect(left == "./a-small.txt\n", "only the file completed before Ctrl-C stands, under its name: \(left)")
            #expect(try String(contentsOfFile: temp.url("out/a-small.txt"), encoding: .utf8) == "first\n")
        }
    }

    @Test func resticAndBorgTargetsRestoreThroughTheirOwnTools() async throws {
        try await Blocking.run {
            let temp = TemporaryDirectory("restore-repo")
            try Shell.run(
                """
                mkdir -p src/docs && echo hello > src/docs/readme.txt && head -c 1048576 /dev/urandom > src/data.bin
                find src -type f | sort | xargs sha256sum > manifest.sha256 && echo 'correct horse' > pw
                export RESTIC_PASSWORD_FILE="$PWD/pw" BORG_PASSCOMMAND="cat $PWD/pw" BORG_BASE_DIR="$PWD/borg-home"
                restic init -q --repo restic-repo && restic --repo restic-repo --no-cache backup -q src
                borg init -e repokey borg-repo && borg create borg-repo::nightly-1 src
                """, in: temp.path)
            for tool in ["restic", "borg"] {
                let yaml = try temp.write(
                    "\(tool).yaml",
                    """
                    scratch_dir: \(temp.url("scratch"))
                    state_dir: \(temp.url("state-\(tool)"))
                    targets:
                      - name: files
                        tenant: acme
                        \(tool): { repository: \(temp.url("\(tool)-repo")), password_file: \(temp.url("pw")) }
                        manifest: \(temp.url("manifest.sha256"))
                        rpo: 1d
                        rto: 1h
                    """)
                #expect(try restorecheck(["run", "--config", yaml]).status == 0)
                let out = temp.url("out-\(tool)")
                let restored = try restorecheck(["restore", "files", "--config", yaml, "--to", out])
                #expect(restored.status == 0, "\(tool): \(restored.stdout)\(restored.stderr)")
                #expect(restored.stdout.contains("verified against the manifest: 2 file(s)"), "\(tool): \(restored.stdout)")
                let found = try Shell.run("find . -name data.bin", in: out).stdout.trimmingCharacters(in: .whitespacesAndNewlines)
                #expect(!found.isEmpty, "\(tool) restored the snapshot into the directory")
                #expect(try Shell.execute("/usr/bin/cmp", [temp.url("src/data.bin"), out + "/" + found]).status == 0)
                // One folder: the tool is asked for the snapshot's files under it, and only they come back.
                let folder = temp.url("folder-\(tool)")
                let one = try restorecheck(["restore", "files", "--config", yaml, "--to", folder, "--include", "src/docs"])
                #expect(one.status == 0, "\(tool): \(one.stdout)\(one.stderr)")
                #expect(one.stdout.contains("verified against the manifest: 1 file(s)"), "\(tool): \(one.stdout)")
                let files = try Shell.run("find . -type f", in: folder).stdout.split(separator: "\n")
                #expect(files.count == 1 && files[0].hasSuffix("src/docs/readme.txt"), "\(tool): \(files)")
            }
        }
    }

    /// `--xattrs`: `user.` attributes come back; without the flag, or for another namespace without
    /// owners, they are counted as not applied.
    @Test func extendedAttributesComeBackWithXattrs() async throws {
        try await Blocking.run {
            let temp = TemporaryDirectory("restore-xattr")
            try Shell.run(
                """
                mkdir -p src/docs && echo a > src/docs/a.txt
                python3 -c "import os; os.setxattr('src/docs/a.txt', 'user.origin', b'scanner 3'); os.setxattr('src/docs', 'user.dept', b'finance')"
                cd src && find . -type f -print0 | sort -z | xargs -0 sha256sum > ../x.tar.sha256 && tar --xattrs -cf ../x.tar .
                """, in: temp.path)
            let config = try config(temp, archives: temp.url("x.tar"), manifest: "{archive}.sha256")
            let with = try restorecheck(["restore", "fileserver", "--config", config, "--to", temp.url("with"), "--point", "newest", "--xattrs"])
            #expect(with.status == 0 && with.stdout.contains("2 extended attribute(s) applied"), "\(with.stdout)\(with.stderr)")
            let read = try Shell.run(
                "python3 -c \"import os; print(os.getxattr('with/docs/a.txt', 'user.origin').decode(), os.getxattr('with/docs', 'user.dept').decode())\"",
                in: temp.path)
            #expect(read.stdout == "scanner 3 finance\n")
            let without = try restorecheck(["restore", "fileserver", "--config", config, "--to", temp.url("without"), "--point", "newest"])
            #expect(without.stdout.contains("2 extended attribute(s) not applied"), "\(without.stdout)")
            let none = try Shell.run("python3 -c \"import os; print(os.listxattr('without/docs/a.txt'))\"", in: temp.path)
            #expect(none.stdout == "[]\n")
        }
    }

    /// Entries that reuse a name: the last one wins, as on disk after `tar -x`; a file that meets a
    /// directory of its name is listed as not restored, and the rest of the archive still comes back.
    @Test func aLaterEntryOfTheSameNameWins() async throws {
        try await Blocking.run {
            let temp = TemporaryDirectory("restore-names")
            try Shell.run(
                """
                python3 - <<'PY'
                import io, tarfile
                def add(t, name, kind=tarfile.REGTYPE, data=b"", link=""):
                    info = tarfile.TarInfo(name); info.type = kind; info.linkname = link; info.size = len(data); info.mode = 0o644
                    t.addfile(info, io.BytesIO(data) if data else None)
                with tarfile.open("names.tar", "w", format=tarfile.GNU_FORMAT) as t:
                    add(t, "a", tarfile.SYMTYPE, link="elsewhere")
                    add(t, "a", data=b"the file wins\\n")
                    add(t, "b", data=b"replaced by a link\\n")
                    add(t, "b", tarfile.SYMTYPE, link="a")
                    add(t, "c", tarfile.DIRTYPE)
                    add(t, "c", data=b"a file where a directory is\\n")
                    add(t, "d.txt", data=b"after all of them\\n")
                PY
                """, in: temp.path)
            let config = try config(temp, archives: temp.url("names.tar"))
            let restored = try restorecheck(["restore", "fileserver", "--config", config, "--to", temp.url("out"), "--point", "newest"])
            #expect(restored.stdout.contains("scratch_error: c: not restored"), "\(restored.stdout)\(restored.stderr)")
            #expect(restored.status == 1, "restored to the end with one file listed: \(restored.stdout)")
            #expect(try String(contentsOfFile: temp.url("out/a"), encoding: .utf8) == "the file wins\n")
            #expect(try FileManager.default.destinationOfSymbolicLink(atPath: temp.url("out/b")) == "a")
            #expect(try String(contentsOfFile: temp.url("out/d.txt"), encoding: .utf8) == "after all of them\n")
            #expect(try Shell.run("find . -name '*.partial'", in: temp.url("out")).stdout.isEmpty)
        }
    }
}
