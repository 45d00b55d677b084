import Foundation
import Glibc
import RestoreCheckTestSupport
import Testing

@testable import RestoreCheckCore

/// Verdicts on what everyday tools produce, through the spawned worker as in production. Each case
/// guards both ways: a healthy backup must pass (a false failure trains operators to ignore alerts)
/// and the same shape with a real defect must not.
@Suite("Verdicts on archives and manifests made by real tools")
struct RealToolVerdictTests {
    func check(_ temp: TemporaryDirectory, _ archive: String, manifest: String? = "{archive}.sha256", worker: String = BuiltBinary.path) async throws -> Outcome {
        let runner = CheckRunner(scratchBase: temp.url("scratch"), supervisor: WorkerSupervisor(executable: worker))
        let target = Target(
            name: "t", tenant: "x", archiveGlob: archive, manifestTemplate: manifest,
            rpo: TimeSpan(seconds: 86_400), rto: TimeSpan(seconds: 86_400), sample: SampleSpec(size: .all))
        let outcome = try #require(await runner.check(target, seed: 1))
        #expect(temp.listing().filter { $0.hasPrefix("scratch/") }.isEmpty, "scratch left behind")
        return outcome
    }

    /// A source tree with a file hard-linked under three names, and one more file.
    func hardLinkedSource(_ temp: TemporaryDirectory) throws {
        try Shell.run(
            "mkdir src && cd src && echo 'hello world' > a && ln a b && ln a c && echo other > d && sha256sum a b c d > ../m.sha256",
            in: temp.path)
    }

    static let hardLinkWriters = [
        "printf 'a\\nb\\nc\\nd\\n' | cpio --quiet -o -H newc",  // data with the last link, earlier ones size 0
        "printf 'a\\nb\\nc\\nd\\n' | cpio --quiet -o -H odc",  // data with every link
        "bsdtar --format newc -cf - a b c d",
        "tar -cf - a b c d",  // link headers after the data
        "bsdtar --format pax -cf - a b c d",
        "printf 'a\\nb\\nc\\nd\\n' | cpio --quiet -o -H newc | gzip",
    ]

    @Test("hard links restore as one file with the group's data", arguments: hardLinkWriters)
    func hardLinksPass(writer: String) async throws {
        let temp = TemporaryDirectory("hl")
        try hardLinkedSource(temp)
        try Shell.run("cd src && \(writer) > ../backup.bin && cp ../m.sha256 ../backup.bin.sha256", in: temp.path)
        let outcome = try await check(temp, temp.url("backup.bin"))
        #expect(outcome.status == .passed, "\(writer): \(outcome.summary) \(outcome.findings)")
        #expect(outcome.filesVerified == 4, "every name is verified against the group's data: \(outcome.summary)")
    }

    @Test("a hard link the manifest lists with other content is a mismatch", arguments: [hardLinkWriters[0], hardLinkWriters[3]])
    func hardLinkWithOtherContentFails(writer: String) async throws {
        let temp = TemporaryDirectory("hlbad")
        try hardLinkedSource(temp)
        // The manifest says `b` holds "other"; the archive makes `b` a link to `a`: a restore gives
        // `b` a's content, which is not what was promised.
        try Shell.run(
            """
            cd src && \(writer) > ../backup.bin
            other=$(printf 'other\\n' | sha256sum | cut -d' ' -f1)
            sed "s/^[0-9a-f]*  b$/$other  b/" ../m.sha256 > ../backup.bin.sha256
            grep -q "^$other  b$" ../backup.bin.sha256
            """, in: temp.path)
        let outcome = try await check(temp, temp.url("backup.bin"))
        #expect(outcome.status == .failed, "\(outcome.summary)")
        #expect(outcome.reasons == [.checksumMismatch], "\(outcome.reasons)")
        #expect(outcome.findings.map(\.path) == ["b"], "\(outcome.findings)")
    }

    @Test func aBrokenHardLinkGroupIsCaughtThroughItsLinks() async throws {
        let temp = TemporaryDirectory("hlcorrupt")
        try hardLinkedSource(temp)
        // The data itself is altered after the manifest: every name of the group is wrong.
        try Shell.run("cd src && echo 'HELLO WORLD' > a && tar -cf ../backup.tar a b c d && cp ../m.sha256 ../backup.tar.sha256", in: temp.path)
        let outcome = try await check(temp, temp.url("backup.tar"))
        #expect(outcome.reasons == [.checksumMismatch])
        #expect(Set(outcome.findings.map(\.path)) == ["a", "b", "c"], "\(outcome.findings)")
    }

    @Test func absoluteNamesFromGNUTarPAreRestoredStripped() async throws {
        let temp = TemporaryDirectory("abs")
        try Shell.run(
            """
            mkdir -p src/data && echo one > src/data/one.txt && echo two > src/data/two.txt
            tar -P -cf backup.tar "$PWD/src/data/one.txt" "$PWD/src/data/two.txt"
            sha256sum "$PWD/src/data/one.txt" "$PWD/src/data/two.txt" > backup.tar.sha256
            listing=$(tar -tPf backup.tar) && [ "${listing:0:1}" = / ]
            """, in: temp.path)
        let outcome = try await check(temp, temp.url("backup.tar"))
        #expect(outcome.status == .passed, "\(outcome.summary) \(outcome.findings)")
        #expect(outcome.filesVerified == 2)
        #expect(outcome.notes.contains { $0.contains("2 entry name(s) began with '/'") }, "\(outcome.notes)")
    }

    @Test("manifests with a byte-order mark, UTF-8 and UTF-16", arguments: ["utf8-bom", "UTF-16LE", "UTF-16BE"])
    func manifestsWithAByteOrderMark(encoding: String) async throws {
        let temp = TemporaryDirectory("bom")
        // Windows tools write these (PowerShell's Out-File, Notepad): names with non-ASCII letters too.
        let convert =
            encoding == "utf8-bom"
            ? "{ printf '\\357\\273\\277'; cat m.txt; }"
            : "{ printf '\\357\\273\\277'; cat m.txt; } | iconv -f UTF-8 -t \(encoding)"
        try Shell.run(
            """
            mkdir src && cd src && echo eins > 'Bericht März.txt' && echo zwei > plain.txt
            sha256sum 'Bericht März.txt' plain.txt | sed 's/$/\\r/' > ../m.txt && tar -cf ../backup.tar .
            cd .. && \(convert) > backup.tar.sha256
            """, in: temp.path)
        let outcome = try await check(temp, temp.url("backup.tar"))
        #expect(outcome.status == .passed, "\(encoding): \(outcome.summary) \(outcome.notes)")
        #expect(outcome.filesVerified == 2)
        // The same manifest against altered content must still fail: the mark is not a way to pass.
        try Shell.run("cd src && echo drei > 'Bericht März.txt' && tar -cf ../backup.tar .", in: temp.path)
        let altered = try await check(temp, temp.url("backup.tar"))
        #expect(altered.reasons == [.checksumMismatch], "\(encoding): \(altered.summary)")
        #expect(altered.findings.map(\.path) == ["Bericht März.txt"])
    }

    @Test func lzipAndLzmaAreRead() async throws {
        let temp = TemporaryDirectory("lz")
        try Shell.run(
            """
            mkdir src && echo lzip > src/f.txt && (cd src && sha256sum f.txt > ../m.sha256)
            tar --lzip -cf backup.tar.lz -C src f.txt && cp m.sha256 backup.tar.lz.sha256
            tar --lzma -cf backup.tar.lzma -C src f.txt && cp m.sha256 backup.tar.lzma.sha256
            """, in: temp.path)
        for name in ["backup.tar.lz", "backup.tar.lzma"] {
            let outcome = try await check(temp, temp.url(name))
            #expect(outcome.status == .passed, "\(name): \(outcome.summary)")
        }
    }

    @Test func aCodecTheSystemLibarchiveLacksIsUnsupportedNotCorrupt() async throws {
        let temp = TemporaryDirectory("codec")
        // 7-Zip's Deflate64 codec: p7zip writes it, libarchive 3.6 cannot decode it.
        try Shell.run(
            "mkdir src && echo data > src/f.txt && (cd src && sha256sum f.txt > ../backup.7z.sha256 && 7z a -bd -bso0 -m0=Deflate64 ../backup.7z f.txt)",
            in: temp.path)
        let outcome = try await check(temp, temp.url("backup.7z"))
        #expect(outcome.status == .error, "restorecheck cannot read it; the backup is not known bad: \(outcome.summary)")
        #expect(outcome.reasons == [.unsupportedFormat], "\(outcome.reasons)")
        #expect(outcome.summary.contains("codec"), "\(outcome.summary)")
    }

    @Test("formats restorecheck does not read are named, not called corrupt", arguments: ["RAR", "ISO 9660 image", "Microsoft Cabinet"])
    func unreadFormatsAreUnsupported(format: String) async throws {
        let temp = TemporaryDirectory("fmt")
        // The format's own signature ahead of junk: what libarchive would see of the real thing with
        // its reader disabled.
        let header =
            switch format {
            case "RAR": "sys.stdout.buffer.write(b'Rar!\\x1a\\x07\\x01\\x00' + os.urandom(4096))"
            case "ISO 9660 image": "sys.stdout.buffer.write(bytes(0x8001) + b'CD001\\x01' + bytes(4096))"
            default: "sys.stdout.buffer.write(b'MSCF' + bytes(4) + os.urandom(4096))"
            }
        try Shell.run("python3 -c \"import os, sys; \(header)\" > backup.bin", in: temp.path)
        let outcome = try await check(temp, temp.url("backup.bin"), manifest: nil)
        #expect(outcome.status == .error, "\(outcome.summary)")
        #expect(outcome.reasons == [.unsupportedFormat], "\(outcome.reasons)")
        #expect(outcome.summary.contains(format), "\(outcome.summary)")
    }

    /// Bytes overwritten inside a tar.gz (made reproducibly, so the damage lands the same way each
    /// run): the tar reader meets a broken header and libarchive says "Damaged tar archive". The
    /// pass stops there with those words: no "INTERNAL ERROR … in state 'header'" from reading the
    /// half-read entry's data, and no "unsafe_entry: empty name" for it.
    @Test func aDamagedTarGzStopsAtTheDamageWithLibarchivesMessage() async throws {
        let temp = TemporaryDirectory("tgz-damage")
        try await Blocking.run { try Shell.run(
            """
            mkdir src && for i in $(seq 1 50); do seq 1 $((i * 2000)) > src/f$i.txt; done
            (cd src && sha256sum f*.txt > ../m.sha256)
            tar --sort=name --mtime=2026-01-01 --owner=0 --group=0 --numeric-owner -C src -cf - . | gzip -n > good.tar.gz
            cp good.tar.gz bad.tar.gz && printf '\\377\\377\\377\\377\\377\\377' | dd of=bad.tar.gz bs=1 seek=20000 conv=notrunc status=none
            cp m.sha256 good.tar.gz.sha256 && cp m.sha256 bad.tar.gz.sha256
            """, in: temp.path) }
        let good = try await check(temp, temp.url("good.tar.gz"))
        #expect(good.status == .passed, "\(good.summary)")
        let bad = try await check(temp, temp.url("bad.tar.gz"))
        #expect(bad.status == .failed && bad.reasons.contains(.archiveCorrupt), "\(bad.summary)")
        #expect(!bad.reasons.contains(.unsafeEntry), "\(bad.findings)")
        let corrupt = bad.findings.filter { $0.reason == .archiveCorrupt }
        #expect(corrupt.count == 1 && corrupt[0].detail?.contains("Damaged tar archive") == true, "\(bad.findings)")
        #expect(!"\(bad.findings)".contains("INTERNAL ERROR"), "\(bad.findings)")
    }

    /// `zstd --long=31` declares a 2 GiB window, above the 128 MiB libarchive's zstd filter decodes
    /// (and offers no option to raise). The archive and a `.zst` under `check: zstd` are
    /// `unsupported_format` naming the window, never corrupt; `--long` at its default (27) is read.
    @Test func aZstdLongWindowIsUnsupportedNamingTheWindowNotCorrupt() async throws {
        let temp = TemporaryDirectory("zstd-long")
        try await Blocking.run { try Shell.run(
            """
            mkdir -p src/logs && seq 1 200000 > src/orders.csv && seq 1 50000 | zstd -q --long=31 -o src/logs/app.log.zst
            (cd src && sha256sum orders.csv logs/app.log.zst > ../m.sha256)
            tar -C src -cf - . | zstd -q --long=31 -o long31.tar.zst && cp m.sha256 long31.tar.zst.sha256
            tar -C src -cf - . | zstd -q --long -o long27.tar.zst && cp m.sha256 long27.tar.zst.sha256
            tar -C src -cf inner.tar . && cp m.sha256 inner.tar.sha256
            """, in: temp.path) }
        let read = try await check(temp, temp.url("long27.tar.zst"))
        #expect(read.status == .passed, "\(read.summary)")
        let long = try await check(temp, temp.url("long31.tar.zst"))
        #expect(long.status == .error && long.reasons == [.unsupportedFormat], "\(long.summary)")
        #expect(long.summary.contains("a zstd frame with a 2048 MiB window"), "\(long.summary)")

        let validated = try await ValidationTests.check(
            temp.url("inner.tar"), rules: [ValidationRule(match: "**/*.zst", check: .zstd)], in: temp)
        #expect(validated.status == .error && validated.reasons == [.unsupportedFormat], "\(validated.findings)")
        #expect(validated.findings.first?.detail?.contains("2048 MiB window") == true, "\(validated.findings)")
    }

    /// Formats restorecheck recognises but does not read, each made by its real tool: named as what
    /// they are (`unsupported_format`, an error), never "corrupt". `compress` (.Z) is read: libarchive
    /// has the filter. A split archive's volume is judged by its name and its siblings, whichever
    /// volume the glob picks.
    @Test(
        "recognised formats are named, not called corrupt",
        arguments: [
            ("backup.tar.bz3", "tar -C src -cf - . | bzip3 > backup.tar.bz3", "bzip3"),
            ("backup.tar.br", "tar -C src -cf - . | brotli -c > backup.tar.br", "brotli-compressed file"),
            ("backup.tar.gpg", "tar -C src -cf - . | gpg --batch --yes --homedir gnupg --passphrase x --pinentry-mode loopback --symmetric -o backup.tar.gpg",
             "OpenPGP-encrypted file (gpg)"),
            ("split.zip", "(cd src && zip -q -s 64k -r ../split.zip .)", "the last volume of a split zip"),
            ("split.z01", "(cd src && zip -q -s 64k -r ../split.zip .)", "volume 01 of a split zip"),
            ("vol.7z.001", "(cd src && 7z a -bd -bso0 -v64k ../vol.7z .)", "volume 001 of an archive split into volumes"),
        ])
    func recognisedFormatsAreNamedNotCorrupt(archive: String, make: String, named: String) async throws {
        let temp = TemporaryDirectory("unread")
        try await Blocking.run { try Shell.run(
            """
            mkdir -p src gnupg && chmod 700 gnupg && for i in $(seq 1 12); do head -c 30000 /dev/urandom | base64 > src/f$i.txt; done
            \(make)
            """, in: temp.path) }
        let outcome = try await check(temp, temp.url(archive), manifest: nil)
        #expect(outcome.status == .error && outcome.reasons == [.unsupportedFormat], "\(outcome.summary)")
        #expect(outcome.summary.contains(named), "\(outcome.summary)")
    }

    /// Zip names without the UTF-8 flag: Explorer's "Send to → Compressed folder" writes them in
    /// CP437 (emulated here with Python's zipfile, since Explorer does not run here: made-by MS-DOS,
    /// no flag, CP437 bytes), Info-ZIP on Linux as raw UTF-8 (the real tool). Both match a UTF-8
    /// manifest; a changed byte in the Explorer zip still fails.
    @Test func zipNamesInCP437AndUnflaggedUTF8MatchTheManifest() async throws {
        let temp = TemporaryDirectory("zip-cp437")
        try await Blocking.run { try Shell.run(
            """
            mkdir src && printf 'hallo\n' > 'src/Grüße.txt' && printf 'menu\n' > 'src/Café menü.txt'
            (cd src && sha256sum * > ../m.sha256) && (cd src && zip -q ../infozip.zip *)
            python3 -c 'import zipfile
            zipfile.ZipInfo._encodeFilenameFlags = lambda self: (self.filename.encode("cp437"), self.flag_bits & ~0x800)
            with zipfile.ZipFile("explorer.zip", "w") as z:
                for n in ["Grüße.txt", "Café menü.txt"]:
                    i = zipfile.ZipInfo.from_file("src/" + n, n); i.create_system = 0; i.compress_type = zipfile.ZIP_DEFLATED
                    z.writestr(i, open("src/" + n, "rb").read())'
            for z in infozip explorer; do cp m.sha256 $z.zip.sha256; done
            python3 -c 'import zipfile
            zipfile.ZipInfo._encodeFilenameFlags = lambda self: (self.filename.encode("cp437"), self.flag_bits & ~0x800)
            with zipfile.ZipFile("changed.zip", "w") as z:
                for n, data in [("Grüße.txt", b"hallo\\n"), ("Café menü.txt", b"MENU\\n")]:
                    i = zipfile.ZipInfo(n); i.create_system = 0
                    z.writestr(i, data)'
            cp m.sha256 changed.zip.sha256
            """, in: temp.path) }
        let names = try Shell.run("unzip -Z1 explorer.zip | od -c | head -2", in: temp.path).stdout
        #expect(!names.contains("ü"), "the emulated Explorer zip holds CP437 bytes, not UTF-8: \(names)")
        for archive in ["infozip.zip", "explorer.zip"] {
            let outcome = try await check(temp, temp.url(archive))
            #expect(outcome.status == .passed && outcome.filesVerified == 2, "\(archive): \(outcome.summary) \(outcome.findings)")
        }
        let changed = try await check(temp, temp.url("changed.zip"))
        #expect(changed.status == .failed && changed.reasons == [.checksumMismatch], "\(changed.summary)")
        #expect(changed.findings.map(\.path) == ["Café menü.txt"], "\(changed.findings)")
    }

    @Test func compressDotZIsRead() async throws {
        let temp = TemporaryDirectory("compress")
        try await Blocking.run { try Shell.run(
            "mkdir src && seq 1 50000 > src/a.txt && (cd src && sha256sum a.txt > ../m.sha256) && tar -C src -cf - . | compress -c > backup.tar.Z && cp m.sha256 backup.tar.Z.sha256",
            in: temp.path) }
        let outcome = try await check(temp, temp.url("backup.tar.Z"))
        #expect(outcome.status == .passed && outcome.filesVerified == 1, "\(outcome.summary)")
        #expect(outcome.archiveFormat?.contains("compress") == true, "\(outcome.archiveFormat ?? "")")
    }

    @Test func unknownBytesAreStillCorrupt() async throws {
        let temp = TemporaryDirectory("junk")
        try Shell.run("head -c 65536 /dev/urandom > backup.tar", in: temp.path)
        let outcome = try await check(temp, temp.url("backup.tar"), manifest: nil)
        #expect(outcome.status == .failed, "\(outcome.summary)")
        #expect(outcome.reasons == [.archiveCorrupt])
    }

    @Test func aFIFOOrLinkWhereTheManifestListsAFileIsAFinding() async throws {
        let temp = TemporaryDirectory("types")
        try Shell.run(
            """
            mkdir src && cd src && echo content > real.txt && echo secret > /tmp/rc-outside-$$.txt
            sha256sum real.txt > ../backup.tar.sha256
            # What the backup job listed as files...
            echo "$(printf 'pipe data\\n' | sha256sum | cut -d' ' -f1)  queue" >> ../backup.tar.sha256
            sha256sum /tmp/rc-outside-$$.txt | sed "s|/tmp/rc-outside-$$.txt|config.txt|" >> ../backup.tar.sha256
            sha256sum real.txt | sed 's/real.txt/alias.txt/' >> ../backup.tar.sha256
            # ...the archive holds as a FIFO, a link leaving the tree, and a link to a listed file.
            mkfifo queue && ln -s /tmp/rc-outside-$$.txt config.txt && ln -s real.txt alias.txt
            tar -cf ../backup.tar real.txt queue config.txt alias.txt && rm -f /tmp/rc-outside-$$.txt
            """, in: temp.path)
        let outcome = try await check(temp, temp.url("backup.tar"))
        #expect(outcome.status == .failed)
        #expect(outcome.reasons == [.entryMissing], "\(outcome.reasons)")
        #expect(Set(outcome.findings.map(\.path)) == ["queue", "config.txt"], "\(outcome.findings)")
        #expect(outcome.findings.first { $0.path == "queue" }?.detail?.contains("fifo") == true)
        #expect(outcome.filesVerified == 1)
    }

    @Test func aHardLinkThroughASymlinkOrOutOfTheTreeIsUnsafe() async throws {
        let temp = TemporaryDirectory("hlsym")
        try Shell.run(
            """
            python3 - <<'PY'
            import io, tarfile
            def add(t, name, type_=tarfile.REGTYPE, link="", data=b""):
                i = tarfile.TarInfo(name); i.type = type_; i.linkname = link; i.size = len(data)
                t.addfile(i, io.BytesIO(data))
            with tarfile.open("backup.tar", "w") as t:
                add(t, "ok.txt", data=b"ok\\n")
                add(t, "d", tarfile.SYMTYPE, "/etc")
                add(t, "d/passwd-copy", data=b"x\\n")
                add(t, "via-link", tarfile.LNKTYPE, "d/passwd")
                add(t, "abs", tarfile.LNKTYPE, "/etc/passwd")
            PY
            """, in: temp.path)
        let outcome = try await check(temp, temp.url("backup.tar"), manifest: nil)
        #expect(outcome.reasons == [.unsafeEntry], "\(outcome.reasons): \(outcome.findings)")
        #expect(Set(outcome.findings.map(\.path)) == ["d/passwd-copy", "via-link", "abs"], "\(outcome.findings)")
        #expect(outcome.filesVerified == 1)
    }

    @Test func aWorkerThatCannotSetItsLimitsDoesNotRun() async throws {
        try #require(getuid() == 0, "dropping CAP_SYS_RESOURCE needs root")
        let temp = TemporaryDirectory("rlimit")
        let set = try BackupSet.make(.gnuTar, in: temp)
        // The real worker, under a hard CPU limit below the one it sets and without the capability to
        // raise it: setrlimit(RLIMIT_CPU) fails with EPERM.
        let wrapper = try FakeWorker.install(
            "#!/bin/sh\nexec prlimit --cpu=1000:1000 setpriv --bounding-set -sys_resource --inh-caps -sys_resource \"\(BuiltBinary.path)\" \"$@\"\n",
            named: "confined-worker", in: temp)
        let outcome = try await check(temp, set.archive, worker: wrapper)
        #expect(outcome.status == .error, "\(outcome.summary)")
        #expect(outcome.reasons == [.internalError], "\(outcome.reasons)")
        #expect(outcome.summary.contains("RLIMIT_CPU") && outcome.summary.contains("not read unconfined"), "\(outcome.summary)")
        #expect(outcome.filesVerified == 0)
    }

    @Test func aHeapCorruptionAbortIsACrashNotALimit() async throws {
        let temp = TemporaryDirectory("abort")
        let set = try BackupSet.make(.gnuTar, in: temp)
        // glibc's own words when libarchive corrupts the heap; they contain "alloc".
        let fake = try FakeWorker.install(FakeWorker.abortsWithHeapCorruption, named: "aborting-worker", in: temp)
        let outcome = try await check(temp, set.archive, worker: fake)
        #expect(outcome.status == .error, "a crash inside the verifier never blames the backup: \(outcome.summary)")
        #expect(outcome.reasons == [.workerCrashed], "\(outcome.reasons)")
        #expect(outcome.summary.contains("SIGABRT"))
    }
}
