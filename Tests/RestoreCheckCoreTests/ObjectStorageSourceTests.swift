import Foundation
import ObjectStorage
@testable import RestoreCheckCore
import RestoreCheckTestSupport
import Testing

/// Archives in a bucket tested where they live: real archives from real tools, put into a real
/// S3-compatible server on loopback (rclone, which checks signatures; moto), read through the
/// whole test path (`CheckRunner`, the worker as a subprocess).
@Suite("object storage source", .timeLimit(.minutes(10)))
struct ObjectStorageSourceTests {
    static func check(_ target: Target, in temp: TemporaryDirectory) async throws -> Outcome {
        let runner = CheckRunner(scratchBase: temp.url("scratch"), supervisor: WorkerSupervisor(executable: BuiltBinary.path))
        return try #require(await runner.check(target, seed: 1))
    }

    /// A target reading `key` from `bucket` at `endpoint`, with the manifest next to the archive.
    static func target(_ endpoint: String, credentials: String?, bucket: String = "backups", key: String = "nightly/*.tar", manifest: Bool = true) -> Target {
        var location = S3Bucket(endpoint: endpoint, bucket: bucket)
        location.pathStyle = true
        location.credentialsFile = credentials
        var target = Target(
            name: "offsite", tenant: "acme", archiveGlob: "s3://\(bucket)/\(key)", manifestTemplate: manifest ? "{archive}.sha256" : nil,
            rpo: TimeSpan(seconds: 86_400), rto: TimeSpan(seconds: 3600), sample: SampleSpec(size: .all))
        target.objectStorage = ObjectStorageTarget(bucket: location, keyGlob: key)
        return target
    }

    /// Puts a backup set's archive and manifest under `nightly/`; the archive's key.
    static func upload(_ set: BackupSet, to server: S3TestServer, name: String) throws -> String {
        let key = "nightly/\(name)"
        try server.put(bucket: "backups", [key: set.archive, "\(key).sha256": set.manifest])
        return key
    }

    @Test(arguments: [BackupSet.Kind.gnuTarGzip, .gnuTarZstd, .cpioNewc, .zipDeflate, .sevenZip])
    func anArchiveInABucketPassesAgainstItsManifestReadWhereItLives(kind: BackupSet.Kind) async throws {
        let temp = TemporaryDirectory("s3-pass")
        let server = try await Blocking.run { try S3TestServer(.rclone, root: temp.url("store")) }
        let set = try BackupSet.make(kind, in: temp)
        let key = try Self.upload(set, to: server, name: "fileserver.\(kind.fileExtension)")
        let outcome = try await Self.check(
            Self.target(server.endpoint, credentials: try server.credentialsFile(in: temp), key: "nightly/*.\(kind.fileExtension)"), in: temp)
        #expect(outcome.status == .passed, "\(kind): \(outcome.summary) \(outcome.findings)")
        #expect(outcome.verification == .manifest && outcome.filesVerified == BackupSet.defaultFiles.count, "\(outcome.filesVerified)")
        #expect(outcome.archive?.hasPrefix("s3://backups/\(key)#") == true, "the key and its ETag: \(outcome.archive ?? "")")
        #expect(outcome.manifest == "s3://backups/\(key).sha256")
        #expect(outcome.restorePointSource == "object_last_modified")
        let size = try #require(try FileManager.default.attributesOfItem(atPath: set.archive)[.size] as? Int)
        #expect(outcome.notes.contains { $0.hasPrefix("read from object storage") && $0.contains("of \(size) bytes") }, "\(outcome.notes)")
        #expect(!"\(outcome)".contains(S3TestServer.secretKey))
        // The whole object once, and the format's first bytes once more.
        #expect(outcome.sourceRead?.objectBytes == Int64(size) && outcome.sourceRead?.bytesFetched == Int64(size + min(size, 8)),
                "\(String(describing: outcome.sourceRead))")
        #expect(outcome.sourceRead?.spooled == [.zipDeflate, .sevenZip].contains(kind))
        guard [.zipDeflate, .sevenZip].contains(kind) else { return }
        // A sample of a zip or 7z is read at random through range requests instead.
        var sampleTarget = Self.target(server.endpoint, credentials: try server.credentialsFile(in: temp), key: "nightly/*.\(kind.fileExtension)")
        sampleTarget.sample = SampleSpec(size: .files(2))
        let sampled = try await Self.check(sampleTarget, in: temp)
        #expect(sampled.status == .passed && sampled.filesVerified == 2, "\(kind): \(sampled.summary) \(sampled.findings)")
        #expect(sampled.sourceRead?.spooled == false && sampled.notes.contains { $0.contains("read at random") }, "\(sampled.notes)")
    }

    /// What the bucket holds decides the verdict: a damaged object fails, a file that differs from
    /// the manifest fails naming it, and the newest object by LastModified is the one tested.
    @Test func damageAndMismatchFailAndTheNewestObjectIsTheRestorePoint() async throws {
        let temp = TemporaryDirectory("s3-fail")
        let server = try await Blocking.run { try S3TestServer(.moto, root: temp.url("store")) }
        var files = BackupSet.defaultFiles
        files["srv/share/big.bin"] = Data((0..<3_000_000).map { _ in UInt8.random(in: 0...255) })
        let set = try BackupSet.make(.gnuTarGzip, in: temp, files: files)
        try await Blocking.run {
            try Shell.run("cp '\(set.archive)' damaged.tar.gz && printf '\\377\\377\\377\\377' | dd of=damaged.tar.gz bs=1 seek=1500000 conv=notrunc status=none", in: temp.path)
            try Shell.run("sed 's/^[0-9a-f]\\{8\\}/00000000/' '\(set.manifest)' > lying.sha256 && grep -c . lying.sha256", in: temp.path)
        }
        let credentials = try server.credentialsFile(in: temp)
        try server.put(bucket: "backups", ["damaged/a.tar.gz": temp.url("damaged.tar.gz"), "damaged/a.tar.gz.sha256": set.manifest])
        let damaged = try await Self.check(Self.target(server.endpoint, credentials: credentials, key: "damaged/*.tar.gz"), in: temp)
        // Where gzip's damage shows depends on the bytes hit: a stream error, or a file that differs.
        #expect(damaged.status == .failed && !Set(damaged.reasons).isDisjoint(with: [.archiveCorrupt, .checksumMismatch]), "\(damaged.summary) \(damaged.findings)")

        try server.put(bucket: "backups", ["lying/a.tar.gz": set.archive, "lying/a.tar.gz.sha256": temp.url("lying.sha256")])
        let lying = try await Self.check(Self.target(server.endpoint, credentials: credentials, key: "lying/*.tar.gz"), in: temp)
        #expect(lying.status == .failed && lying.reasons == [.checksumMismatch], "\(lying.summary)")
        #expect(lying.findings.contains { $0.path == "etc/hostname" && $0.reason == .checksumMismatch }, "\(lying.findings)")

        // Uploaded after the damaged copy under a name that sorts first: LastModified, not the name, decides.
        try server.put(bucket: "backups", ["damaged/0-newer.tar.gz": set.archive, "damaged/0-newer.tar.gz.sha256": set.manifest])
        let newest = try await Self.check(Self.target(server.endpoint, credentials: credentials, key: "damaged/*.tar.gz"), in: temp)
        #expect(newest.status == .passed && newest.archive?.hasPrefix("s3://backups/damaged/0-newer.tar.gz#") == true, "\(newest.archive ?? "") \(newest.summary)")
    }

    /// The store's faults are errors, never the backup's failure: wrong credentials, a missing
    /// bucket, nothing matching, a store that stops answering mid-stream, an object replaced mid-test.
    @Test func theStoresFaultsAreErrorsNamedNeverAFailedBackup() async throws {
        let temp = TemporaryDirectory("s3-faults")
        let server = try await Blocking.run { try S3TestServer(.rclone, root: temp.url("store")) }
        var files = BackupSet.defaultFiles
        files["srv/share/big.bin"] = Data((0..<20_000_000).map { _ in UInt8.random(in: 0...255) })
        let set = try BackupSet.make(.gnuTar, in: temp, files: files)
        _ = try Self.upload(set, to: server, name: "fileserver.tar")
        let credentials = try server.credentialsFile(in: temp)

        let wrong = try await Self.check(Self.target(server.endpoint, credentials: try server.credentialsFile(in: temp, secret: "not-the-secret")), in: temp)
        #expect(wrong.status == .error && wrong.reasons == [.sourceUnavailable] && wrong.summary.contains("access denied"), "\(wrong.summary)")
        #expect(!"\(wrong)".contains("not-the-secret"))

        let bucketless = try await Self.check(Self.target(server.endpoint, credentials: credentials, bucket: "gone"), in: temp)
        #expect(bucketless.status == .error && bucketless.reasons == [.sourceUnavailable] && bucketless.summary.contains("no such bucket"), "\(bucketless.summary)")

        let nothing = try await Self.check(Self.target(server.endpoint, credentials: credentials, key: "weekly/*"), in: temp)
        #expect(nothing.status == .failed && nothing.reasons == [.noArchive] && nothing.summary == "no object matches s3://backups/weekly/*", "\(nothing.summary)")

        // The peek and the first of three parts arrive; every later request is a 503.
        let dying = try S3FaultProxy(upstream: server, faults: ["fail_from": 3], in: temp)
        let cut = try await Self.check(Self.target(dying.endpoint, credentials: credentials), in: temp)
        #expect(cut.status == .error && cut.reasons == [.sourceUnavailable], "not archive_corrupt: \(cut.summary) \(cut.findings)")
        #expect(cut.summary.contains("did not answer after retries") && cut.summary.contains("503"), "\(cut.summary)")
        #expect((cut.sourceRead?.retries ?? 0) >= 4, "the egress of a failed test is counted too: \(String(describing: cut.sourceRead))")

        var newer = files
        newer["etc/hostname"] = Data("fileserver-2\n".utf8)
        let replacement = try BackupSet.make(.gnuTar, in: temp, files: newer, name: "replacement")
        let replacing = try S3FaultProxy(
            upstream: server, faults: ["replace": [replacement.archive, temp.url("store/backups/nightly/fileserver.tar")]], in: temp)
        let replaced = try await Self.check(Self.target(replacing.endpoint, credentials: credentials), in: temp)
        #expect(replaced.status == .error && replaced.reasons == [.sourceUnavailable], "\(replaced.summary)")
        #expect(replaced.summary.contains("replaced during the test"), "\(replaced.summary)")
    }

    /// A zip's sample reads the zip at random: the worker's libarchive seeks and each read is a
    /// ranged GET, so 20 files of 1,000 cost the central directory, the local headers and the 20
    /// members (a few percent, counted by a proxy in front of the store), and the bytes that come
    /// back are the manifest's. Damage in a sampled member fails the test naming it; a store that
    /// stops answering mid-sample is an error, never a failed backup.
    @Test func aZipSampleReadsTheIndexAndTheSampledMembersOnly() async throws {
        let temp = TemporaryDirectory("s3-zip-sample")
        let server = try await Blocking.run { try S3TestServer(.rclone, root: temp.url("store")) }
        // 1,000 files of 64 KiB of random bytes (stored: deflate cannot shrink them), as zip writes them.
        try await Blocking.run {
            try Shell.run(
                """
                python3 -c 'import os
                for i in range(1000):
                    os.makedirs(f"data/d{i // 100}", exist_ok=True)
                    open(f"data/d{i // 100}/f{i}.bin", "wb").write(os.urandom(65536))'
                cd data && zip -q -r ../big.zip . && find . -type f | sed 's|^./||' | sort | xargs sha256sum > ../big.zip.sha256
                cd .. && cp big.zip damaged.zip && python3 -c 'data = open("data/d0/f0.bin", "rb").read(64)
                zip = bytearray(open("damaged.zip", "rb").read())
                at = zip.index(data) + 1000
                zip[at] ^= 0xff
                open("damaged.zip", "wb").write(zip)'
                """, in: temp.path)
        }
        try server.put(bucket: "backups", [
            "zip/big.zip": temp.url("big.zip"), "zip/big.zip.sha256": temp.url("big.zip.sha256"),
            "damaged/big.zip": temp.url("damaged.zip"), "damaged/big.zip.sha256": temp.url("big.zip.sha256"),
        ])
        let size = Int64(try #require(try FileManager.default.attributesOfItem(atPath: temp.url("big.zip"))[.size] as? Int))
        let credentials = try server.credentialsFile(in: temp)
        let counting = try S3FaultProxy(upstream: server, in: temp)
        var target = Self.target(counting.endpoint, credentials: credentials, key: "zip/*.zip")
        target.sample = SampleSpec(size: .files(20))
        let sampled = try await Self.check(target, in: temp)
        #expect(sampled.status == .passed && sampled.filesVerified == 20, "\(sampled.summary) \(sampled.findings)")
        let read = try #require(sampled.sourceRead)
        #expect(read.objectBytes == size && !read.spooled, "\(read)")
        // 20 members of 1,000 are 2 %; the headers and reads that run past a member's end add a little.
        #expect(read.bytesFetched < size / 10, "read \(read.bytesFetched) of \(size) bytes")
        #expect(Int64(counting.stats.bodyBytes) >= read.bytesFetched - 8 && counting.stats.bodyBytes < size / 10,
                "the proxy saw \(counting.stats) of \(size)")
        #expect(sampled.notes.contains { $0.hasPrefix("read from object storage (zip/7z sample: read at random") }, "\(sampled.notes)")

        var damagedTarget = Self.target(server.endpoint, credentials: credentials, key: "damaged/*.zip")
        damagedTarget.sample = SampleSpec(size: .files(20), include: ["d0/f0.bin"])
        let damaged = try await Self.check(damagedTarget, in: temp)
        #expect(damaged.status == .failed && damaged.findings.contains { $0.path == "d0/f0.bin" }, "\(damaged.summary) \(damaged.findings)")

        // Listing, HEAD, manifest and peek pass; the sample's 40th range and every later one is a 503.
        let dying = try S3FaultProxy(upstream: server, faults: ["fail_from": 40], in: temp)
        var dyingTarget = Self.target(dying.endpoint, credentials: credentials, key: "zip/*.zip")
        dyingTarget.sample = SampleSpec(size: .files(20))
        let cut = try await Self.check(dyingTarget, in: temp)
        #expect(cut.status == .error && cut.reasons == [.sourceUnavailable], "not archive_corrupt: \(cut.summary) \(cut.findings)")
        #expect(cut.summary.contains("did not answer after retries"), "\(cut.summary)")
    }

    /// `egress_budget`: tests run while the month's reads fit the budget, each test's bytes are
    /// counted, and the one that would exceed it is deferred (an error, not a failed backup).
    @Test func aTestThatWouldExceedTheMonthsEgressBudgetIsDeferred() async throws {
        let temp = TemporaryDirectory("s3-budget")
        let server = try await Blocking.run { try S3TestServer(.rclone, root: temp.url("store")) }
        let set = try BackupSet.make(.gnuTarGzip, in: temp)
        _ = try Self.upload(set, to: server, name: "fileserver.tar.gz")
        let size = Int64(try #require(try FileManager.default.attributesOfItem(atPath: set.archive)[.size] as? Int))
        var target = Self.target(server.endpoint, credentials: try server.credentialsFile(in: temp), key: "nightly/*.tar.gz")
        // Room for two tests (each reads the object and its first 8 bytes again), not three.
        target.egressBudget = 2 * (size + 8) + 100
        target.egressLedgerPath = temp.url("state/egress/offsite")
        let first = try await Self.check(target, in: temp)
        #expect(first.status == .passed && first.sourceRead?.budgetRemainingBytes == size + 8 + 100, "\(String(describing: first.sourceRead))")
        let second = try await Self.check(target, in: temp)
        #expect(second.status == .passed && second.sourceRead?.budgetRemainingBytes == 100)
        #expect(try EgressLedger(path: temp.url("state/egress/offsite")).used(in: Date()) == 2 * (size + 8))
        let third = try await Self.check(target, in: temp)
        #expect(third.status == .error && third.reasons == [.egressBudgetExceeded], "\(third.summary)")
        #expect(third.summary.hasPrefix("deferred: this test would read") && third.summary.contains("egress budget are used (it resets on "),
                "\(third.summary)")
        #expect(third.sourceRead == nil && third.filesVerified == 0, "nothing was read")
        #expect(try EgressLedger(path: temp.url("state/egress/offsite")).used(in: Date()) == 2 * (size + 8))
        // A new month starts from nothing.
        #expect(try EgressLedger(path: temp.url("state/egress/offsite")).used(in: Date().addingTimeInterval(32 * 86_400)) == 0)
    }

    /// An object's LastModified is its backup time, and the verdicts issue's future rule applies
    /// (rclone serves a file's mtime as LastModified). A missing manifest object: integrity only.
    @Test func aFutureLastModifiedMissesTheRPOAndAMissingManifestIsIntegrityOnly() async throws {
        let temp = TemporaryDirectory("s3-time")
        let server = try await Blocking.run { try S3TestServer(.rclone, root: temp.url("store")) }
        let set = try BackupSet.make(.gnuTarZstd, in: temp)
        try server.put(bucket: "backups", ["future/a.tar.zst": set.archive, "future/a.tar.zst.sha256": set.manifest, "bare/a.tar.zst": set.archive])
        try await Blocking.run { try Shell.run("touch -d '+10 years' '\(temp.url("store/backups/future/a.tar.zst"))'") }
        let credentials = try server.credentialsFile(in: temp)
        let future = try await Self.check(Self.target(server.endpoint, credentials: credentials, key: "future/*.tar.zst"), in: temp)
        #expect(future.status == .failed && future.reasons == [.rpoExceeded], "\(future.summary)")
        #expect(future.notes.contains { $0.contains("in the future") } || future.findings.contains { $0.detail?.contains("in the future") == true },
                "\(future.notes) \(future.findings)")

        let bare = try await Self.check(Self.target(server.endpoint, credentials: credentials, key: "bare/*.tar.zst"), in: temp)
        #expect(bare.reasons == [.manifestMissing] && bare.verification == .integrityOnly, "\(bare.summary)")
        #expect(bare.notes.contains("manifest s3://backups/bare/a.tar.zst.sha256 not found: verified for integrity only"), "\(bare.notes)")
    }
}
