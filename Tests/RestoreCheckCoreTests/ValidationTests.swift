import Foundation
import RestoreCheckTestSupport
import Testing

@testable import RestoreCheckCore
@testable import RestoreCheckWorker

/// Built-in application checks on restored files (`validate:`): a checksum proves the bytes came back
/// as written; these prove the database and dumps in them are whole. Every file is made by the real
/// tool (sqlite3, a real PostgreSQL's pg_dump, gzip/xz/zstd, python3's json), then damaged the way
/// real failures damage them, archived by GNU tar with a manifest taken after the damage: every
/// checksum matches, and only the check tells.
@Suite("Application checks (validate:)")
struct ValidationTests {
    static let rules = [
        ValidationRule(match: "backups/*", check: .archive),
        ValidationRule(match: "**/*.sqlite", check: .sqlite), ValidationRule(match: "db/*.dump", check: .pgDump),
        ValidationRule(match: "db/*.sql", check: .sqlDump), ValidationRule(match: "**/*.gz", check: .gzip),
        ValidationRule(match: "**/*.xz", check: .xz), ValidationRule(match: "**/*.zst", check: .zstd),
        ValidationRule(match: "**/*.json", check: .json), ValidationRule(match: "**/*.xml", check: .xml),
    ]

    /// `good/` holds whole files, `bad/` the same kinds damaged; returns the two archives.
    static func backups(_ temp: TemporaryDirectory) throws -> (good: String, bad: String) {
        let postgres = try TemporaryPostgres.start(in: temp.url("pg"))
        defer { postgres.stop() }
        try postgres.run("createdb", "shop")
        try postgres.run("psql", "-q -d shop -c \"CREATE TABLE orders(id int, item text); INSERT INTO orders SELECT g, md5(g::text) FROM generate_series(1, 20000) g;\"")
        try postgres.run("pg_dump", "-Fc -d shop -f \"$DIR/shop.dump\"")
        try postgres.run("pg_dump", "-Fp -d shop -f \"$DIR/shop.sql\"")
        try postgres.run("pg_dumpall", "-f \"$DIR/cluster.sql\"")
        try Shell.run(
            """
            mkdir -p good/db good/app good/logs good/backups bad/db bad/app bad/logs bad/backups
            cp "$PG/shop.dump" "$PG/shop.sql" "$PG/cluster.sql" good/db/
            sqlite3 good/app/app.sqlite "CREATE TABLE t(x); WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 5000) INSERT INTO t SELECT printf('row %d', i) FROM n;"
            # A database copied mid-transaction with its hot rollback journal (a tiny cache makes
            # SQLite write changed pages into the file before the commit): recoverable, as SQLite
            # rolls the journal back when the pair is opened read-write.
            python3 -c 'import shutil, sqlite3
            c = sqlite3.connect("live.sqlite", isolation_level=None)
            c.execute("PRAGMA journal_mode=DELETE"); c.execute("PRAGMA cache_size=2")
            c.execute("CREATE TABLE t(x)")
            for i in range(3000): c.execute("INSERT INTO t VALUES (?)", ("row %d %0200d" % (i, i),))
            c.execute("BEGIN"); c.execute("UPDATE t SET x = x || x")
            shutil.copy("live.sqlite", "good/app/hot.sqlite"); shutil.copy("live.sqlite-journal", "good/app/hot.sqlite-journal")'
            seq 1 100000 > big.txt
            gzip -c big.txt > good/logs/a.log.gz; xz -c big.txt > good/logs/b.log.xz; zstd -q -c big.txt > good/logs/c.log.zst
            python3 -c 'import json; print(json.dumps({"orders": list(range(1000))}))' > good/app/config.json
            python3 -c 'import xml.etree.ElementTree as T
            r = T.Element("layout"); [T.SubElement(r, "panel", id=str(i)).__setattr__("text", "p%d" % i) for i in range(3000)]
            T.ElementTree(r).write("good/app/layout.xml", encoding="utf-8", xml_declaration=True)'
            # Backups kept inside the backup: a nightly tar.gz (GNU tar) and a zip of exports (Info-ZIP).
            mkdir -p nested && seq 1 200000 > nested/orders.csv && cp good/app/config.json nested/ && head -c 300000 /dev/urandom > nested/blob.bin
            tar -C nested -czf good/backups/nightly.tar.gz . && (cd nested && zip -q -r ../good/backups/exports.zip .)

            # A pg_dump and a plain dump cut short (a full disk), a SQLite file with a damaged header and
            # one cut in half (copied mid-write), compressed logs truncated or with a flipped byte,
            # JSON cut off.
            head -c $(( $(stat -c %s good/db/shop.dump) / 2 )) good/db/shop.dump > bad/db/shop.dump
            head -c $(( $(stat -c %s good/db/shop.sql) / 2 )) good/db/shop.sql > bad/db/shop.sql
            # pg_dumpall cut right after one database's dump: that database's trailer is in the tail.
            python3 -c 'd = open("good/db/cluster.sql").read(); i = d.index("-- PostgreSQL database dump complete"); open("bad/db/cluster.sql", "w").write(d[:d.index("\\n--\\n", i) + 4])'
            cp good/app/app.sqlite bad/app/header.sqlite
            printf 'this is not the header' | dd of=bad/app/header.sqlite conv=notrunc status=none
            head -c $(( $(stat -c %s good/app/app.sqlite) / 2 )) good/app/app.sqlite > bad/app/half.sqlite
            head -c -20 good/logs/a.log.gz > bad/logs/a.log.gz
            # A gzip whose trailer CRC-32 is damaged (libarchive's own filter never checks it; ISA-L does).
            cp good/logs/a.log.gz bad/logs/d.log.gz
            python3 -c 'd = bytearray(open("bad/logs/d.log.gz", "rb").read()); d[-6] ^= 1; open("bad/logs/d.log.gz", "wb").write(d)'
            cp good/logs/b.log.xz bad/logs/b.log.xz && printf '\\x00' | dd of=bad/logs/b.log.xz bs=1 seek=2000 conv=notrunc status=none
            head -c -9 good/logs/c.log.zst > bad/logs/c.log.zst
            head -c 500 good/app/config.json > bad/app/config.json
            head -c 40000 good/app/layout.xml > bad/app/layout.xml
            # The nightly cut short (a full disk); one byte of a member's deflated data flipped in the zip
            # (bit rot: the member no longer inflates).
            head -c $(( $(stat -c %s good/backups/nightly.tar.gz) - 4000 )) good/backups/nightly.tar.gz > bad/backups/nightly.tar.gz
            cp good/backups/exports.zip bad/backups/exports.zip
            offset=$(python3 -c 'import zipfile; z = zipfile.ZipFile("good/backups/exports.zip"); i = z.getinfo("./orders.csv") if "./orders.csv" in z.namelist() else z.getinfo("orders.csv"); print(i.header_offset + 30 + len(i.filename) + len(i.extra) + 100)')
            printf '\\xff' | dd of=bad/backups/exports.zip bs=1 seek=$offset conv=notrunc status=none
            for set in good bad; do (cd $set && find . -type f | sort | xargs sha256sum) > $set.tar.sha256 && tar -C $set -cf $set.tar .; done
            """, in: temp.path, environment: ["PG": postgres.directory])
        return (temp.url("good.tar"), temp.url("bad.tar"))
    }

    static func check(_ archive: String, rules: [ValidationRule] = rules, sample: SampleSpec = SampleSpec(size: .all), limits: RestoreLimits = RestoreLimits(), in temp: TemporaryDirectory) async throws -> Outcome {
        try await ArchiveCheck.run(archive, sample: sample, in: temp) {
            $0.validate = rules
            $0.limits = limits
        }
    }

    @Test func wholeFilesPassAndDamagedOnesFailNamingFileAndValidator() async throws {
        let temp = TemporaryDirectory("validate")
        let (good, bad) = try await Blocking.run { try Self.backups(temp) }

        let passed = try await Self.check(good, in: temp)
        #expect(passed.status == .passed, "\(passed.findings)")
        #expect(passed.filesValidated == 12)
        #expect(passed.notes.contains { $0.hasPrefix("validate: 12 file(s) checked in ") })
        let validation = try #require(passed.validationSeconds)
        #expect(validation > 0 && (passed.projectedFullRestoreSeconds ?? 0) >= validation, "counted in the projection")

        // Without the checks (today), every damaged file passes: its checksum matches the manifest.
        let blind = try await Self.check(bad, rules: [], in: temp)
        #expect(blind.status == .passed, "\(blind.findings)")

        let failed = try await Self.check(bad, in: temp)
        #expect(failed.status == .failed)
        #expect(failed.reasons == [.validationFailed])
        let byPath = Dictionary(uniqueKeysWithValues: failed.findings.map { ($0.path, $0.detail ?? "") })
        #expect(Set(byPath.keys) == [
            "db/shop.dump", "db/shop.sql", "db/cluster.sql", "app/header.sqlite", "app/half.sqlite", "logs/a.log.gz", "logs/b.log.xz", "logs/c.log.zst", "logs/d.log.gz",
            "app/config.json", "app/layout.xml", "backups/nightly.tar.gz", "backups/exports.zip",
        ])
        #expect(byPath["db/shop.dump"]?.hasPrefix("pg_dump: pg_restore could not read the dump to its end: pg_restore: error:") == true, "\(byPath)")
        #expect(byPath["db/shop.sql"]?.hasPrefix("sql_dump: no completion trailer") == true)
        #expect(byPath["db/cluster.sql"]?.hasPrefix("sql_dump: a pg_dumpall cluster dump without '-- PostgreSQL database cluster dump complete'") == true, "\(byPath)")
        #expect(byPath["app/header.sqlite"]?.hasPrefix("sqlite: SQLite: file is not a database") == true, "\(byPath)")
        #expect(byPath["app/half.sqlite"]?.hasPrefix("sqlite: ") == true)
        #expect(byPath["logs/a.log.gz"]?.hasPrefix("gzip: gzip stream damaged: ") == true, "\(byPath)")
        #expect(byPath["logs/d.log.gz"] == "gzip: gzip stream damaged: gzip CRC-32 or size check failed (ISA-L status -6)", "\(byPath)")
        #expect(byPath["logs/b.log.xz"]?.hasPrefix("xz: xz stream damaged: ") == true, "\(byPath)")
        #expect(byPath["logs/c.log.zst"]?.hasPrefix("zstd: zstd stream damaged: ") == true, "\(byPath)")
        #expect(byPath["app/config.json"]?.hasPrefix("json: not well-formed JSON") == true, "\(byPath)")
        #expect(byPath["app/layout.xml"]?.hasPrefix("xml: not well-formed XML: line ") == true, "\(byPath)")
        #expect(byPath["backups/nightly.tar.gz"]?.hasPrefix("archive: member ") == true, "\(byPath)")
        #expect(byPath["backups/exports.zip"]?.hasPrefix("archive: member 1 (orders.csv): ZIP decompression failed") == true, "\(byPath)")

        // `pg_dump` also takes pg_dump's plain format, by its trailer.
        let validators = Validators()
        #expect(validators.validate(.pgDump, temp.url("good/db/shop.sql"), context: ValidationContext(limits: RestoreLimits())) == nil)
        #expect(validators.validate(.pgDump, temp.url("bad/db/shop.sql"), context: ValidationContext(limits: RestoreLimits()))?.detail.hasPrefix("no completion trailer") == true)
    }

    /// Hostile files inside the backup: a 1 GiB-expanding gzip and a tar.gz of a 1 GiB file stop at the
    /// test's ratio limit; a "billion laughs" XML and a nested archive that is not one are findings;
    /// the worker survives all of them and reports each by name.
    @Test func nestedBombsAreLimitsAndHostileFilesFindingsNeverACrash() async throws {
        let temp = TemporaryDirectory("validate-bomb")
        try await Blocking.run { try Shell.run(
            """
            mkdir -p src/logs src/backups src/app && head -c 1G /dev/zero | gzip -c > src/logs/huge.log.gz
            truncate -s 1G zeros.img && tar -czf src/backups/disk.tar.gz zeros.img && rm zeros.img
            head -c 5000 /dev/urandom > src/backups/not-an-archive.tar
            python3 -c '
            s = "<?xml version=\\"1.0\\"?>\\n<!DOCTYPE lolz [\\n<!ENTITY lol \\"lol\\">\\n"
            for i in range(1, 10): s += "<!ENTITY lol%d \\"%s\\">\\n" % (i, ("&lol%s;" % ("" if i == 1 else i - 1)) * 10)
            open("src/app/laughs.xml", "w").write(s + "]>\\n<lolz>&lol9;</lolz>\\n")'
            (cd src && find . -type f | sort | xargs sha256sum) > bomb.tar.sha256 && tar -C src -cf bomb.tar .
            """, in: temp.path) }
        var limits = RestoreLimits()
        limits.maxRatio = 100
        let outcome = try await Self.check(temp.url("bomb.tar"), limits: limits, in: temp)
        let byPath = Dictionary(uniqueKeysWithValues: outcome.findings.map { ($0.path, ($0.reason, $0.detail ?? "")) })
        #expect(byPath["logs/huge.log.gz"]?.0 == .limitExceeded)
        #expect(byPath["logs/huge.log.gz"]?.1 == "gzip: expands more than 100× (limits.max_ratio): a decompression bomb")
        #expect(byPath["backups/disk.tar.gz"]?.0 == .limitExceeded)
        #expect(byPath["backups/disk.tar.gz"]?.1 == "archive: member 1 (zeros.img): expands more than 100× (limits.max_ratio): a decompression bomb")
        #expect(byPath["backups/not-an-archive.tar"]?.0 == .validationFailed)
        #expect(byPath["backups/not-an-archive.tar"]?.1.hasPrefix("archive: not an archive this worker reads: ") == true, "\(byPath)")
        #expect(byPath["app/laughs.xml"]?.0 == .validationFailed)
        #expect(byPath["app/laughs.xml"]?.1 == "xml: not well-formed XML: Detected an entity reference loop", "\(byPath)")
        #expect(outcome.findings.count == 4 && outcome.filesValidated == 4, "\(outcome.findings)")
    }

    @Test func onlyRestoredVerifiedFilesMatchingARuleAreChecked() async throws {
        let temp = TemporaryDirectory("validate-sample")
        try Shell.run(
            """
            mkdir -p src && for i in $(seq 1 30); do echo '{"ok": true' > src/f-$i.json; done
            (cd src && sha256sum *) > s.tar.sha256 && tar -C src -cf s.tar .
            """, in: temp.path)
        let sampled = try await Self.check(temp.url("s.tar"), sample: SampleSpec(size: .files(3)), in: temp)
        #expect(sampled.filesValidated == 3 && sampled.findings.count == 3, "the three sampled, broken files")
        let unmatched = try await Self.check(temp.url("s.tar"), rules: [ValidationRule(match: "db/*.json", check: .json)], in: temp)
        #expect(unmatched.status == .passed && unmatched.filesValidated == 0)
        #expect(unmatched.notes.contains("validate: no restored file matched a rule (include: restores the files a check needs in every test)"))
        let config = try temp.write(
            "rc.yaml",
            """
            scratch_dir: \(temp.url("scratch"))
            state_dir: \(temp.url("state"))
            targets:
              - { name: t, tenant: acme, archives: \(temp.url("s.tar")), rpo: 1d, rto: 1h,
                  validate: [ { match: "**/*.json", check: json }, { match: db/*.dump, check: pg_dump },
                              { match: db/*.db, command: [ /usr/bin/true, "{file}" ], timeout: 1m } ] }

            """)
        if geteuid() == 0 {
            // As root, commands run as uid 65534, which cannot search this 0700 test directory.
            let refused = try Shell.execute(BuiltBinary.path, ["check-config", "--config", config])
            #expect(refused.stdout.contains("(timeout 1m0s): SANDBOX UNAVAILABLE, commands are refused: restorecheck runs as root"), "\(refused.stdout)")
        }
        chmod(temp.path, 0o711)
        let shown = try Shell.execute(BuiltBinary.path, ["check-config", "--config", config])
        #expect(shown.stdout.contains(
            "    validate **/*.json with json\n    validate db/*.dump with pg_dump\n    validate db/*.db with command /usr/bin/true {file} (timeout 1m0s)\n"),
            "\(shown.stdout)")
    }

    @Test func globs() {
        func matches(_ pattern: String, _ name: String) -> Bool {
            guard case .success(let entry) = EntryName.validate(Array(name.utf8)) else { return false }
            return EntryGlob(pattern).matches(entry)
        }
        #expect(matches("**/*.sqlite", "a.sqlite") && matches("**/*.sqlite", "x/y/a.sqlite"))
        #expect(!matches("**/*.sqlite", "a.sqlite-wal"))
        #expect(matches("db/*.dump", "db/shop.dump") && !matches("db/*.dump", "db/old/shop.dump") && !matches("db/*.dump", "x/db/a.dump"))
        #expect(matches("./db/?.sql", "db/a.sql") && !matches("db/?.sql", "db/ab.sql"))
        #expect(matches("srv/**", "srv/a/b/c") && matches("**", "anything/at/all"))
        #expect(matches("a/**/z.txt", "a/z.txt") && matches("a/**/z.txt", "a/b/c/z.txt") && !matches("a/**/z.txt", "b/z.txt"))
    }
}
