import Foundation

/// A cluster that also listens on a loopback TCP port, with TLS (a self-signed certificate for
/// `localhost`) and SCRAM passwords for TCP connections: what a fleet's database looks like.
extension TemporaryPostgres {
    /// The server's certificate (PEM): the CA a client must trust (`sslrootcert`).
    public var certificate: String { "\(directory)/server.crt" }

    /// Starts a cluster in `directory` listening on 127.0.0.1:`port` with TLS; the unix socket stays
    /// trusted (for the test's own set-up as `postgres`), TCP asks for a SCRAM password.
    public static func startNetworked(in directory: String, port: Int) throws -> TemporaryPostgres {
        guard let bin = binaries else { throw Shell.Failure(command: "initdb", result: Shell.Result(status: 127, stdout: "", stderr: "PostgreSQL is not installed")) }
        let asUser = getuid() == 0 ? "runuser -u postgres -- " : ""
        let handOver = getuid() == 0 ? #"chown -R postgres "$DIR" && chmod 755 "$(dirname "$DIR")""# : "true"
        try Shell.run(
            """
            mkdir -p "$DIR"
            openssl req -x509 -newkey rsa:2048 -nodes -keyout "$DIR/server.key" -out "$DIR/server.crt" -days 2 \
              -subj /CN=localhost -addext subjectAltName=DNS:localhost 2>/dev/null
            chmod 600 "$DIR/server.key" && chmod 644 "$DIR/server.crt"
            \(handOver)
            \(asUser)"$BIN/initdb" -D "$DIR/data" --auth-local=trust --auth-host=scram-sha-256 -U postgres --no-sync >/dev/null
            for fd in $(ls /proc/$$/fd); do if [ "$fd" -gt 2 ]; then eval "exec $fd>&-" 2>/dev/null || true; fi; done
            \(asUser)"$BIN/pg_ctl" -D "$DIR/data" -w -l "$DIR/log" -o "-k $DIR -p $PORT -c listen_addresses=127.0.0.1 -c fsync=off -c ssl=on -c ssl_cert_file=$DIR/server.crt -c ssl_key_file=$DIR/server.key" start </dev/null >/dev/null 2>&1
            """, environment: ["DIR": directory, "BIN": bin, "PORT": String(port)])
        return TemporaryPostgres(directory: directory, bin: bin, asUser: asUser, port: port)
    }

    /// Stops the server, keeping its data: `fast` rolls back open transactions and closes
    /// connections cleanly; `immediate` cuts everything mid-query, as a crash does.
    public func pause(mode: String = "fast") throws {
        try Shell.run("\(asUser)\"$BIN/pg_ctl\" -D \"$DIR/data\" -w -m \(mode) stop >/dev/null", environment: ["DIR": directory, "BIN": bin])
    }

    /// Starts it again after `pause()`, with the options it was started with (`restart` reads them
    /// from `postmaster.opts`; a plain `start` would forget the socket directory and port).
    public func resume() throws {
        try Shell.run(
            """
            for fd in $(ls /proc/$$/fd); do if [ "$fd" -gt 2 ]; then eval "exec $fd>&-" 2>/dev/null || true; fi; done
            \(asUser)"$BIN/pg_ctl" -D "$DIR/data" -w -l "$DIR/log" restart </dev/null >/dev/null 2>&1
            """, environment: ["DIR": directory, "BIN": bin])
    }
}
