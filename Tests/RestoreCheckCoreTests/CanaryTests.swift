import Foundation
import RestoreCheckTestSupport
import Testing

@testable import RestoreCheckCore

/// Canary-proven RPO: the restore point's time comes from a signed file restored from the backup,
/// not from the archive's modification time, which whatever copied the archive last set.
@Suite("Canary-proven RPO")
struct CanaryTests {
    static let rpo = TimeSpan(seconds: 26 * 3_600)

    /// A real GNU tar of a directory holding documents and a canary written by `restorecheck canary
    /// write` (the command a pre-backup hook runs), with a manifest taken after it.
    static func backup(_ temp: TemporaryDirectory, canary: Bool = true, edit: String? = nil) throws -> (config: String, archive: String) {
        try Shell.run("mkdir -p src/docs && printf 'minutes of the meeting\\n' > src/docs/minutes.txt && (printf '\\377\\330\\377\\340' && head -c 20000 /dev/urandom) > src/docs/photo.jpg", in: temp.path)
        let config = try temp.write(
            "rc.yaml",
            """
            scratch_dir: \(temp.url("scratch"))
            state_dir: \(temp.url("state"))
            targets:
              - { name: fs, tenant: acme, archives: \(temp.url("fs.tar")), manifest: "{archive}.sha256", rpo: 26h, rto: 1h,
                  sample: { files: 1 }\(canary ? ", canary: .restorecheck-canary" : "") }

            """)
        let written = try Shell.execute(BuiltBinary.path, ["canary", "write", temp.url("src"), "--target", "fs", "--config", config])
        #expect(written.status == 0, "\(written.stderr)")
        #expect(written.stdout.trimmingCharacters(in: .whitespacesAndNewlines) == temp.url("src/.restorecheck-canary"))
        if let edit { try Shell.run(edit, in: temp.url("src")) }
        if !canary { try Shell.run("rm .restorecheck-canary", in: temp.url("src")) }
        try Shell.run("tar -C src -cf fs.tar . && (cd src && find . -type f -print0 | xargs -0 sha256sum) > fs.tar.sha256", in: temp.path)
        return (config, temp.url("fs.tar"))
    }

    func check(_ config: String, at now: Date) async throws -> Outcome {
        let loaded = try ConfigLoader().load(path: config)
        let runner = CheckRunner(scratchBase: loaded.scratchDirectory, supervisor: WorkerSupervisor(executable: BuiltBinary.path), now: { now })
        return try #require(await runner.check(loaded.targets[0], seed: 1))
    }

    @Test func anOldArchiveCopiedWithAFreshModificationTimePassesByMtimeButFailsByCanary() async throws {
        let temp = TemporaryDirectory("canary-copied")
        let (config, archive) = try Self.backup(temp)
        // Three days later the same archive is copied (rsync without -t, a re-upload): fresh mtime.
        let later = Date().addingTimeInterval(3 * 86_400)
        try FileManager.default.setAttributes([.modificationDate: later], ofItemAtPath: archive)

        let byMtime = try ConfigLoader().load(path: config).targets[0]
        var plain = byMtime
        plain.canary = nil
        let mtimeOutcome = try #require(await CheckRunner(
            scratchBase: temp.url("scratch"), supervisor: WorkerSupervisor(executable: BuiltBinary.path), now: { later }
        ).check(plain, seed: 1))
        #expect(mtimeOutcome.status == .passed, "today's rule is fooled by the copy: \(mtimeOutcome.summary)")

        let outcome = try await check(config, at: later)
        #expect(outcome.status == .failed)
        #expect(outcome.reasons == [.rpoExceeded])
        #expect(outcome.restorePointSource == "canary" && outcome.rpoMet == false)
        #expect(outcome.findings.first?.detail?.hasPrefix("canary stale: captured 3d0h before the test") == true, "\(outcome.findings)")
        #expect(abs((outcome.backupAgeSeconds ?? 0) - 3 * 86_400) < 120, "the age shown is the canary's")
        #expect(outcome.archiveModifiedTimestamp.map { abs($0.timeIntervalSince(later)) < 1 } == true)
        #expect(outcome.notes.contains { $0.contains("the archive was modified 0.0s before it") }, "\(outcome.notes)")
    }

    @Test func aFreshCanaryPassesAndDecidesTheRestorePoint() async throws {
        let temp = TemporaryDirectory("canary-fresh")
        let beforeBackup = Date()
        let (config, _) = try Self.backup(temp)
        let afterBackup = Date()
        let outcome = try await check(config, at: Date().addingTimeInterval(3_600))
        #expect(outcome.status == .passed, "\(outcome.summary) \(outcome.findings)")
        #expect(outcome.rpoMet == true && outcome.restorePointSource == "canary")
        let captured = try #require(outcome.backupTimestamp)
        #expect(captured >= beforeBackup.addingTimeInterval(-1) && captured <= afterBackup.addingTimeInterval(1),
                "captured while the backup ran: \(captured) not in \(beforeBackup)...\(afterBackup)")
        #expect(outcome.filesVerified == 2, "the sampled file and the canary, always restored")
        let shown = try Shell.execute(BuiltBinary.path, ["check-config", "--config", config])
        #expect(shown.stdout.contains("canary .restorecheck-canary; key \(temp.url("state/canary.key"))\n"), "\(shown.stdout)")
        try FileManager.default.removeItem(atPath: temp.url("state/canary.key"))
        #expect(try Shell.execute(BuiltBinary.path, ["check-config", "--config", config]).stdout.contains("canary.key MISSING"))
        let keyless = try await check(config, at: Date())
        #expect(keyless.status == .error && keyless.reasons == [.internalError], "a verifier without the key cannot tell")
    }

    @Test func aCanaryTheManifestDoesNotListIsMissingAndTheMessageSaysWhy() async throws {
        let temp = TemporaryDirectory("canary-unlisted")
        let (config, _) = try Self.backup(temp)
        // A manifest taken before the canary was written: with a manifest, unlisted files are not
        // restored (README "Canary-proven RPO": write the canary, then take the manifest).
        try Shell.run("grep -v restorecheck-canary fs.tar.sha256 > m && mv m fs.tar.sha256", in: temp.path)
        let outcome = try await check(config, at: Date().addingTimeInterval(60))
        #expect(outcome.status == .failed && outcome.reasons == [.rpoExceeded])
        #expect(outcome.findings.first?.detail?.contains("not listed in its manifest: write the canary before the manifest is taken") == true)
    }

    @Test func aMissingCanaryIsAnRPOFailureNotAPass() async throws {
        let temp = TemporaryDirectory("canary-missing")
        let (config, _) = try Self.backup(temp, canary: false)
        // The config asks for a canary the archive does not have.
        try String(contentsOfFile: config, encoding: .utf8).replacingOccurrences(of: "sample: { files: 1 }", with: "sample: { files: 1 }, canary: .restorecheck-canary")
            .write(toFile: config, atomically: true, encoding: .utf8)
        let outcome = try await check(config, at: Date())
        #expect(outcome.status == .failed && outcome.reasons == [.rpoExceeded])
        #expect(outcome.findings.first?.detail?.hasPrefix("canary missing: .restorecheck-canary was not restored") == true)
    }

    @Test(arguments: [
        ("sed -i 's/^captured: \\(....\\)/captured: 2099/' .restorecheck-canary", "canary forged: its HMAC does not match"),
        ("printf 'hello\\n' > .restorecheck-canary", "canary unreadable: not a restorecheck canary"),
        ("sed -i 's/^target: fs/target: other/' .restorecheck-canary", "canary forged: its HMAC does not match"),
    ])
    func anEditedCanaryIsForged(edit: String, detail: String) async throws {
        let temp = TemporaryDirectory("canary-forged")
        let (config, _) = try Self.backup(temp, edit: edit)
        let outcome = try await check(config, at: Date())
        #expect(outcome.status == .failed && outcome.reasons == [.rpoExceeded], "\(outcome.summary)")
        #expect(outcome.findings.first?.detail?.hasPrefix(detail) == true, "\(outcome.findings)")
    }

    @Test func aCanaryForAnotherTargetOrUnderAnotherKeyIsRefused() async throws {
        try await Blocking.run {
            let key = SHA256.randomBytes(32)
            let text = Array(Canary(target: "mail", captured: Date()).text(key: key).utf8)
            #expect(Canary.verify(text, key: key, target: "fs") == .failure(.otherTarget("mail")))
            #expect(Canary.verify(text, key: SHA256.randomBytes(32), target: "mail") == .failure(.badSignature))
            #expect((try? Canary.verify(text, key: key, target: "mail").get())?.target == "mail")
        }
    }

    @Test func theKeyIsCreatedOnceWithOwnerOnlyAccessAndATestNeverCreatesOne() async throws {
        try await Blocking.run {
            let temp = TemporaryDirectory("canary-key")
            #expect(throws: (any Error).self) { try Canary.key(at: temp.url("none.key"), create: false) }
            #expect(!FileManager.default.fileExists(atPath: temp.url("none.key")))
            let key = try Canary.key(at: temp.url("canary.key"), create: true)
            #expect(try Canary.key(at: temp.url("canary.key"), create: true) == key && key.count == 32)
            let mode = try FileManager.default.attributesOfItem(atPath: temp.url("canary.key"))[.posixPermissions] as? Int
            #expect(mode == 0o600)
        }
    }
}

@Suite("Hex")
struct HexTests {
    @Test func roundTripsAndRefusesWhatIsNotHex() {
        #expect(Hex.encode([0x00, 0x0f, 0xa5, 0xff]) == "000fa5ff")
        #expect(Hex.decode("000fA5ff") == [0x00, 0x0f, 0xa5, 0xff])
        #expect(Hex.decode("abc") == nil && Hex.decode("zz") == nil && Hex.decode("") == [])
    }
}
