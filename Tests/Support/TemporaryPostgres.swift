import Foundation

/// A real PostgreSQL server (Debian's `postgresql`) in a temporary directory, listening only on a
/// unix socket there, for tests that need real dumps. As root (CI) it runs as the `postgres` user,
/// since `initdb` refuses root. Stopped by `stop()`.
public struct TemporaryPostgres: Sendable {
    public let directory: String
    let bin: String
    let asUser: String
    /// The TCP port on 127.0.0.1, when it listens on one (`startNetworked`); the unix socket's
    /// name carries it too (`.s.PGSQL.PORT`).
    public var port = 5432

    init(directory: String, bin: String, asUser: String, port: Int = 5432) {
        self.directory = directory
        self.bin = bin
        self.asUser = asUser
        self.port = port
    }

    /// The newest installed server's binaries, or nil when PostgreSQL is not installed.
    public static var binaries: String? {
        let versions = ((try? FileManager.default.contentsOfDirectory(atPath: "/usr/lib/postgresql")) ?? []).sorted { Int($0) ?? 0 > Int($1) ?? 0 }
        return versions.map { "/usr/lib/postgresql/\($0)/bin" }.first { FileManager.default.isExecutableFile(atPath: "\($0)/initdb") }
    }

    /// Initialises and starts a cluster in `directory` (created; made the server user's).
    public static func start(in directory: String) throws -> TemporaryPostgres {
        guard let bin = binaries else { throw Shell.Failure(command: "initdb", result: Shell.Result(status: 127, stdout: "", stderr: "PostgreSQL is not installed")) }
        let asUser = getuid() == 0 ? "runuser -u postgres -- " : ""
        let server = TemporaryPostgres(directory: directory, bin: bin, asUser: asUser)
        // As root: the server's user must own its directory and pass through the test's (0700) one.
        let handOver = getuid() == 0 ? #"chown postgres "$DIR" && chmod 755 "$(dirname "$DIR")""# : "true"
        try Shell.run(
            """
            mkdir -p "$DIR" && \(handOver)
            \(asUser)"$BIN/initdb" -D "$DIR/data" -A trust -U postgres --no-sync >/dev/null
            # The server outlives this script: it must hold none of the test's pipes, or reading this
            # script's output would wait for it forever.
            for fd in $(ls /proc/$$/fd); do if [ "$fd" -gt 2 ]; then eval "exec $fd>&-" 2>/dev/null || true; fi; done
            \(asUser)"$BIN/pg_ctl" -D "$DIR/data" -w -l "$DIR/log" -o "-k $DIR -c listen_addresses='' -c fsync=off" start </dev/null >/dev/null 2>&1
            """, environment: ["DIR": directory, "BIN": bin])
        return server
    }

    /// Runs `tool` (psql, pg_dump, createdb...) from the server's binaries against it.
    @discardableResult
    public func run(_ tool: String, _ arguments: String) throws -> Shell.Result {
        try Shell.run("\(asUser)\"$BIN/\(tool)\" -h \"$DIR\" -p \(port) -U postgres \(arguments)", environment: ["DIR": directory, "BIN": bin])
    }

    public func stop() {
        _ = try? Shell.run("\(asUser)\"$BIN/pg_ctl\" -D \"$DIR/data\" -w -m immediate stop >/dev/null", environment: ["DIR": directory, "BIN": bin])
    }
}
