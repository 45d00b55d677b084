import Foundation
import RestoreCheckTestSupport
import Testing

/// An s3 target from the command line: `check-config` probes the bucket, `run` tests the object
/// where it lives, and the secret (here from the environment, as a systemd unit's credential
/// would put it) appears in no output, history or process argument.
@Suite("restorecheck with an s3 target", .timeLimit(.minutes(10)))
struct ObjectStorageCommandTests {
    @Test func checkConfigProbesTheBucketAndRunPassesWithoutShowingTheSecret() async throws {
        let temp = TemporaryDirectory("cli-s3")
        try await Blocking.run {
            let server = try S3TestServer(.rclone, root: temp.url("store"))
            let set = try BackupSet.make(.gnuTarXz, in: temp)
            try server.put(bucket: "acme-backups", ["fileserver/2026-12-01.tar.xz": set.archive, "fileserver/2026-12-01.tar.xz.sha256": set.manifest])
            let config = try temp.write(
                "restorecheck.yaml",
                """
                scratch_dir: scratch
                state_dir: state
                defaults: { rpo: 26h, rto: 4h, sample: { files: 5 } }
                targets:
                  - name: offsite
                    tenant: acme
                    s3: { endpoint: "\(server.endpoint)", bucket: acme-backups, key: "fileserver/*.tar.xz", path_style: true }
                    manifest: "{archive}.sha256"

                """)
            let environment = ["AWS_ACCESS_KEY_ID": S3TestServer.accessKey, "AWS_SECRET_ACCESS_KEY": S3TestServer.secretKey]
            let checked = try Shell.execute(BuiltBinary.path, ["check-config", "--config", config], environment: environment)
            #expect(checked.status == 0, "\(checked.stderr)")
            #expect(checked.stdout.contains("credentials from AWS_* in the environment: newest object s3://acme-backups/fileserver/2026-12-01.tar.xz#"),
                    "\(checked.stdout)")

            let run = try Shell.execute(BuiltBinary.path, ["run", "--config", config, "--json"], environment: environment)
            #expect(run.status == 0, "\(run.stdout) \(run.stderr)")
            #expect(run.stdout.contains("\"archive\" : \"s3://acme-backups/fileserver/2026-12-01.tar.xz#"), "\(run.stdout)")
            let history = try Shell.execute(BuiltBinary.path, ["history", "offsite", "--config", config, "--json"], environment: environment)
            #expect(history.stdout.contains("s3://acme-backups/fileserver/2026-12-01.tar.xz#"), "the object's identity is in the history")
            // The customer's report says how much of the stored object the test read, and the
            // report checks against the history with that line in it.
            let size = try #require(try FileManager.default.attributesOfItem(atPath: set.archive)[.size] as? Int)
            let report = try Shell.execute(BuiltBinary.path, ["report", "--config", config, "--tenant", "acme", "--format", "markdown"], environment: environment)
            #expect(report.stdout.contains("from object storage (100.0 %)") && report.stdout.contains("Backups in object storage"), "\(report.stdout)")
            let json = try Shell.execute(BuiltBinary.path, ["report", "--config", config, "--tenant", "acme", "--format", "json"], environment: environment)
            #expect(json.stdout.contains("\"object_bytes\":\(size)"), "\(json.stdout)")
            try json.stdout.write(toFile: temp.url("acme.json"), atomically: true, encoding: .utf8)
            let verified = try Shell.execute(
                BuiltBinary.path, ["evidence", "verify", "--config", config, "--report", temp.url("acme.json"), "--allow-unsigned"], environment: environment)
            #expect(verified.status == 0, "\(verified.stdout) \(verified.stderr)")
            try json.stdout.replacingOccurrences(of: "\"object_bytes\":\(size)", with: "\"object_bytes\":\(size * 50)")
                .write(toFile: temp.url("acme-edited.json"), atomically: true, encoding: .utf8)
            let edited = try Shell.execute(
                BuiltBinary.path, ["evidence", "verify", "--config", config, "--report", temp.url("acme-edited.json"), "--allow-unsigned"], environment: environment)
            #expect(edited.status != 0 && edited.stdout.contains("source_read"), "an edited read is named: \(edited.stdout) \(edited.stderr)")
            for output in [checked.stdout, checked.stderr, run.stdout, run.stderr, history.stdout, report.stdout, json.stdout] {
                #expect(!output.contains(S3TestServer.secretKey))
            }
            let stored = try Shell.run("grep -rlF '\(S3TestServer.secretKey)' state || true", in: temp.path)
            #expect(stored.stdout.isEmpty, "no secret in the history files: \(stored.stdout)")

            let missing = try Shell.execute(BuiltBinary.path, ["run", "--config", config], environment: [:].merging(["AWS_ACCESS_KEY_ID": ""]) { $1 })
            #expect(missing.status == 3, "no credentials: an error, exit 3: \(missing.stdout)")
        }
    }

    /// `restorecheck restore` of objects: the newest verified one by default, read through the same
    /// fetcher as a test (a zip fetched whole), every file checked, the tree equal to the source.
    @Test func restoreBringsBackTheVerifiedObjectIdenticalToTheSource() async throws {
        let temp = TemporaryDirectory("cli-s3-restore")
        try await Blocking.run {
            let server = try S3TestServer(.rclone, root: temp.url("store"))
            let tarball = try BackupSet.make(.gnuTarGzip, in: temp, name: "tgz")
            let zipped = try BackupSet.make(.zipDeflate, in: temp, name: "zip")
            try server.put(bucket: "acme-backups", [
                "fs/2026-12-01.tar.gz": tarball.archive, "fs/2026-12-01.tar.gz.sha256": tarball.manifest,
                "docs/2026-12-01.zip": zipped.archive, "docs/2026-12-01.zip.sha256": zipped.manifest,
            ])
            let config = try temp.write(
                "restorecheck.yaml",
                """
                scratch_dir: scratch
                state_dir: state
                defaults: { rpo: 26h, rto: 4h, sample: { files: 3 } }
                targets:
                  - { name: fs, tenant: acme, s3: { endpoint: "\(server.endpoint)", bucket: acme-backups, key: "fs/*.tar.gz", path_style: true }, manifest: "{archive}.sha256" }
                  - { name: docs, tenant: acme, s3: { endpoint: "\(server.endpoint)", bucket: acme-backups, key: "docs/*.zip", path_style: true }, manifest: "{archive}.sha256" }

                """)
            let environment = ["AWS_ACCESS_KEY_ID": S3TestServer.accessKey, "AWS_SECRET_ACCESS_KEY": S3TestServer.secretKey]
            let run = try Shell.execute(BuiltBinary.path, ["run", "--config", config], environment: environment)
            #expect(run.status == 0, "\(run.stdout) \(run.stderr)")
            for (target, set) in [("fs", tarball), ("docs", zipped)] {
                let points = try Shell.execute(BuiltBinary.path, ["restore", target, "--config", config, "--list-points"], environment: environment)
                #expect(points.stdout.contains("s3://acme-backups/") && points.stdout.contains("passed"), "\(points.stdout) \(points.stderr)")
                let out = temp.url("out-\(target)")
                let restored = try Shell.execute(BuiltBinary.path, ["restore", target, "--config", config, "--to", out], environment: environment)
                #expect(restored.status == 0, "\(target): \(restored.stdout) \(restored.stderr)")
                #expect(restored.stdout.contains("passed its last test") && restored.stdout.contains("COMPLETE and verified"), "\(restored.stdout)")
                #expect(try Shell.execute("/usr/bin/diff", ["-r", set.source, out]).status == 0, "\(target): the restored tree is the source")
                #expect(!restored.stdout.contains(S3TestServer.secretKey) && !restored.stderr.contains(S3TestServer.secretKey))
            }
        }
    }
}
