import Foundation
import RestoreCheckTestSupport
import Testing

@testable import RestoreCheckCore

/// Validation commands under bubblewrap: a real application restore (the shipped
/// `config/validators/check-pg-dump` restores a real pg_dump into a throwaway PostgreSQL inside the
/// sandbox), and a command that tries to get out: the network, the host's files, another test's
/// scratch, its own deadline, and the host's process table. Serialized: the process limit is per host
/// uid, so a fork bomb here would starve a command running beside it (see `limits.processes`).
@Suite("Validation commands under bubblewrap", .serialized)
struct SandboxedValidationTests {
    static let checkPGDump = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("config/validators/check-pg-dump").path

    /// A test directory the sandbox can reach through (mode 0711): as root, commands run as uid 65534,
    /// which must be able to search the directories above scratch (`SandboxedCommand`).
    static func searchableTemporaryDirectory(_ label: String) -> TemporaryDirectory {
        let temp = TemporaryDirectory(label)
        chmod(temp.path, 0o711)
        return temp
    }

    @Test func aRealApplicationRestoreInTheSandboxPassesAndACutDumpFails() async throws {
        let temp = Self.searchableTemporaryDirectory("sandbox-pg")
        try await Blocking.run {
        let postgres = try TemporaryPostgres.start(in: temp.url("pg"))
        try postgres.run("createdb", "shop")
        try postgres.run("psql", "-q -d shop -c \"CREATE TABLE orders(id int, item text); INSERT INTO orders SELECT g, md5(g::text) FROM generate_series(1, 20000) g;\"")
        try postgres.run("pg_dump", "-Fc -d shop -f \"$DIR/shop.dump\"")
        postgres.stop()
        try Shell.run(
            """
            mkdir -p good/db bad/db && cp "$PG/shop.dump" good/db/app.dump
            head -c $(( $(stat -c %s good/db/app.dump) * 2 / 3 )) good/db/app.dump > bad/db/app.dump
            for set in good bad; do (cd $set && sha256sum db/app.dump) > $set.tar.sha256 && tar -C $set -cf $set.tar .; done
            """, in: temp.path, environment: ["PG": postgres.directory])
        }
        let restore = ValidationRule(match: "db/*.dump", command: [Self.checkPGDump, "{file}", "orders", "20000"], timeout: TimeSpan(seconds: 120))

        let passed = try await ValidationTests.check(temp.url("good.tar"), rules: [restore], in: temp)
        #expect(passed.status == .passed, "\(passed.findings)")
        #expect(passed.filesValidated == 1 && (passed.validationSeconds ?? 0) > 0.1, "an application restore takes time, and it is counted")

        let cut = try await ValidationTests.check(temp.url("bad.tar"), rules: [restore], in: temp)
        #expect(cut.reasons == [.validationFailed])
        #expect(cut.findings.first?.detail?.hasPrefix("check-pg-dump: exit status 1: pg_restore: error:") == true, "\(cut.findings)")

        var more = restore
        more.command = [Self.checkPGDump, "{file}", "orders", "30000"]
        let short = try await ValidationTests.check(temp.url("good.tar"), rules: [more], in: temp)
        #expect(short.findings.first?.detail == "check-pg-dump: exit status 1: orders has 20000 rows, expected at least 30000")
    }

    /// Each escape the script tries makes it exit 1 and say which; it exits 0 only if every one
    /// failed. The same probes outside the sandbox succeed, so the test can fail.
    @Test func aCommandCannotReachTheNetworkTheHostOrAnotherScratch() async throws {
        let temp = Self.searchableTemporaryDirectory("sandbox-hostile")
        try await Blocking.run { try Shell.run(
            """
            for fd in $(ls /proc/$$/fd); do if [ "$fd" -gt 2 ]; then eval "exec $fd>&-" 2>/dev/null || true; fi; done
            python3 -c 'import socket, time
            s = socket.socket(); s.bind(("127.0.0.1", 0)); s.listen()
            print(s.getsockname()[1], flush=True); time.sleep(120)' > port.txt 2>/dev/null < /dev/null &
            echo $! > server.pid
            for i in $(seq 1 50); do [ -s port.txt ] && break; sleep 0.1; done
            mkdir -p sentinel scratch/other-target src && echo secret > scratch/other-target/data
            echo 'some data' > src/data.txt && (cd src && sha256sum data.txt) > s.tar.sha256 && tar -C src -cf s.tar .
            """, in: temp.path) }
        defer { _ = try? Shell.run("kill $(cat server.pid)", in: temp.path) }
        let port = try String(contentsOfFile: temp.url("port.txt"), encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)
        let connect = "python3 -c 'import socket; socket.create_connection((\"127.0.0.1\", \(port)), 2)'"
        // The control: from the host, the server answers and the sentinel is writable.
        try Shell.run("\(connect) && touch sentinel/control && rm sentinel/control", in: temp.path)

        let probes = """
            [ "$(id -u)" = 65534 ] || { echo "runs as uid $(id -u)"; exit 1; }
            [ -r "$1" ] || { echo "cannot read the restored file"; exit 1; }
            \(connect) 2>/dev/null && { echo "reached the network"; exit 1; }
            touch "\(temp.url("sentinel"))/escaped" 2>/dev/null && { echo "wrote to the host"; exit 1; }
            touch /scratch/planted 2>/dev/null && { echo "wrote to scratch"; exit 1; }
            touch /usr/planted 2>/dev/null && { echo "wrote to /usr"; exit 1; }
            ls "\(temp.url("scratch/other-target"))" >/dev/null 2>&1 && { echo "saw another scratch"; exit 1; }
            [ -e /etc/shadow ] && { echo "saw /etc/shadow"; exit 1; }
            echo ok > /tmp/allowed || { echo "no private /tmp"; exit 1; }
            exit 0
            """
        let rule = ValidationRule(match: "*.txt", command: ["/bin/sh", "-c", probes, "sh", "{file}"], timeout: TimeSpan(seconds: 60))
        let outcome = try await ValidationTests.check(temp.url("s.tar"), rules: [rule], in: temp)
        #expect(outcome.status == .passed, "\(outcome.findings)")
        #expect(outcome.filesValidated == 1)
        #expect(!FileManager.default.fileExists(atPath: temp.url("sentinel/escaped")))
    }

    /// `/tmp` and `/dev/shm` are RAM that `RLIMIT_AS` does not count: each holds half of
    /// `limits.memory`, and `/dev` itself is read-only. The script fills both and reports what it
    /// wrote (exiting 1, so that its words are the finding's detail).
    @Test func aCommandFillingTmpAndShmStopsAtHalfTheMemoryLimit() async throws {
        let temp = Self.searchableTemporaryDirectory("sandbox-tmpfs")
        try await Blocking.run { try Shell.run("mkdir -p src && echo x > src/a.txt && (cd src && sha256sum a.txt) > s.tar.sha256 && tar -C src -cf s.tar .", in: temp.path) }
        let fill = """
            dd if=/dev/zero of=/tmp/fill bs=1M count=1024 2>/dev/null
            dd if=/dev/zero of=/dev/shm/fill bs=1M count=1024 2>/dev/null
            touch /dev/planted 2>/dev/null && echo "wrote to /dev"
            echo "tmp=$(stat -c %s /tmp/fill) shm=$(stat -c %s /dev/shm/fill) end"
            exit 1
            """
        var limits = RestoreLimits()
        limits.memoryBytes = 256 << 20
        let rule = ValidationRule(match: "*.txt", command: ["/bin/sh", "-c", fill], timeout: TimeSpan(seconds: 120))
        let outcome = try await ValidationTests.check(temp.url("s.tar"), rules: [rule], limits: limits, in: temp)
        let detail = try #require(outcome.findings.first?.detail, "\(outcome.summary)")
        #expect(!detail.contains("wrote to /dev"), "\(detail)")
        let sizes = try #require(detail.firstMatch(of: /tmp=(\d+) shm=(\d+) end/), "\(detail)")
        let half = Int64(128 << 20)
        for written in [Int64(sizes.1)!, Int64(sizes.2)!] {
            #expect(written <= half && written > half / 2, "stopped at the 128 MiB tmpfs, not at the 1 GiB it asked for: \(detail)")
        }
    }

    @Test func aCommandThatOutlivesItsTimeoutIsKilledWithItsChildrenAndScratchIsRemoved() async throws {
        let temp = Self.searchableTemporaryDirectory("sandbox-timeout")
        try Shell.run("mkdir -p src && echo x > src/a.txt && (cd src && sha256sum a.txt) > s.tar.sha256 && tar -C src -cf s.tar .", in: temp.path)
        let marker = "restorecheck-sandbox-\(UInt32.random(in: 0...UInt32.max))"
        // A parent that forks a child and both sleep: the group, not only the first process, must die.
        let rule = ValidationRule(
            match: "*.txt", command: ["/bin/sh", "-c", "sleep 617 & sleep 617; echo \(marker)"], timeout: TimeSpan(seconds: 2))
        let started = Date()
        let outcome = try await ValidationTests.check(temp.url("s.tar"), rules: [rule], in: temp)
        #expect(Date().timeIntervalSince(started) < 500, "killed at its timeout, not after its 617 s sleep")
        #expect(outcome.status == .error && outcome.reasons == [.validationTimeout], "\(outcome.findings)")
        #expect(outcome.findings.first?.detail == "sh: killed after its timeout of 2.0s")
        #expect(try await Blocking.run { Survivors.remaining(matching: "sleep 61[7]") } == 0, "no sleep survives the sandbox")
        #expect(try FileManager.default.contentsOfDirectory(atPath: temp.url("scratch")).isEmpty, "scratch removed")
    }

    /// A fork bomb, under a process limit of 64: the sandbox's processes never exceed it while it
    /// runs, and at its timeout every one of them dies. Before the bomb, a bounded probe proves the
    /// limit binds (a bomb without it would take the host's PIDs), so this test fails, not the host.
    @Test func aForkBombIsBoundedByTheProcessLimitAndKilledAtItsTimeout() async throws {
        let temp = Self.searchableTemporaryDirectory("sandbox-forkbomb")
        try Shell.run("mkdir -p src && echo x > src/a.txt && (cd src && sha256sum a.txt) > s.tar.sha256 && tar -C src -cf s.tar .", in: temp.path)
        var limits = RestoreLimits()
        limits.processes = 64
        let sandboxUID = SystemCalls.isRoot ? SandboxedCommand.unprivilegedID : getuid()

        let probe = ValidationRule(
            match: "*.txt", command: ["/bin/sh", "-c", "i=0; while [ $i -lt 100 ]; do sleep 60 & i=$((i+1)); done; echo all 100 started"],
            timeout: TimeSpan(seconds: 60))
        let bounded = try await ValidationTests.check(temp.url("s.tar"), rules: [probe], limits: limits, in: temp)
        try #require(bounded.reasons == [.validationFailed], "100 sleepers under a limit of 64: \(bounded.findings)")
        #expect(bounded.findings.first?.detail?.contains("Cannot fork") == true, "\(bounded.findings)")

        // Every process forks for ever and retries when the kernel refuses (a shell's bomb collapses
        // instead: dash exits on a failed fork), so the bomb holds the limit until it is killed.
        let marker = "restorecheckbomb\(UInt32.random(in: 0...UInt32.max))"
        let forkForever = "import os, time\nwhile True:\n    try: os.fork()\n    except OSError: time.sleep(0.01)\n"
        let bomb = ValidationRule(match: "*.txt", command: ["/usr/bin/python3", "-c", forkForever, marker], timeout: TimeSpan(seconds: 3))
        let started = Date()
        async let outcome = ValidationTests.check(temp.url("s.tar"), rules: [bomb], limits: limits, in: temp)
        var peak = 0
        while Date().timeIntervalSince(started) < 2.5 {
            peak = max(peak, Self.processCount(uid: sandboxUID))
            try await Task.sleep(nanoseconds: 100_000_000)
        }
        let result = try await outcome
        #expect(result.reasons == [.validationTimeout], "\(result.findings)")
        // The bomb never ends by itself: the verdict is the proof it was killed; the bound only
        // catches a kill that took minutes (wide, as a loaded two-core suite waits on its pool).
        #expect(Date().timeIntervalSince(started) < 600, "killed at its timeout")
        // Counted on the host under the sandbox's host uid: as root, also the proof that it is 65534.
        #expect(peak > 32 && peak <= 64, "the bomb ran (\(peak) processes at its peak) and stayed under the limit")
        let pattern = "\(marker.dropLast())[\(marker.last!)]"
        #expect(try await Blocking.run { Survivors.remaining(matching: pattern) } == 0, "no process of the bomb survives")
        #expect(try FileManager.default.contentsOfDirectory(atPath: temp.url("scratch")).isEmpty, "scratch removed")
    }

    /// Processes on the host whose owner is `uid` (from /proc; threads are not listed there).
    static func processCount(uid: uid_t) -> Int {
        let entries = (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []
        return entries.filter { name in
            guard name.allSatisfy(\.isNumber) else { return false }
            var status = stat()
            return stat("/proc/\(name)", &status) == 0 && status.st_uid == uid
        }.count
    }

    /// As root, commands run as uid 65534, which must reach scratch; when it cannot, the command is
    /// not run (never unsandboxed, never as root) and the test says why: `error`, not a verdict.
    @Test func asRootAScratchTheSandboxCannotReachIsAnErrorNamingTheDirectory() async throws {
        guard SystemCalls.isRoot else { return }  // only root's sandboxes change uid; CI runs as root
        let temp = TemporaryDirectory("sandbox-unreachable")  // mode 0700: uid 65534 cannot search it
        try Shell.run("mkdir -p src && echo x > src/a.txt && (cd src && sha256sum a.txt) > s.tar.sha256 && tar -C src -cf s.tar .", in: temp.path)
        let rule = ValidationRule(match: "*.txt", command: ["/usr/bin/true"], timeout: TimeSpan(seconds: 30))
        let outcome = try await ValidationTests.check(temp.url("s.tar"), rules: [rule], in: temp)
        #expect(outcome.status == .error && outcome.reasons == [.internalError], "\(outcome.findings)")
        let detail = outcome.findings.first?.detail ?? ""
        #expect(detail.hasPrefix("validation command not run: restorecheck runs as root, so validation commands run as uid 65534"), "\(detail)")
        #expect(detail.contains("rc-sandbox-unreachable-") && detail.hasSuffix(" is not searchable by others (chmod o+x it, or run restorecheck as its own user)"), "\(detail)")
    }
}
