import Foundation
import Glibc
import RestoreCheckMetrics
import RestoreCheckTestSupport
import Testing

/// `--web.config.file`: TLS, client certificates, basic auth, and a slow-client defence, against a
/// real `restorecheck serve` with certificates from openssl, a hash from htpasswd, and curl.
@Suite("Protected metrics endpoint", .serialized)
struct ProtectedEndpointTests {
    /// A CA, a server certificate for 127.0.0.1, a client certificate, and a config for the daemon.
    static func prepare(_ temp: TemporaryDirectory) throws -> String {
        try Shell.run(
            """
            key() { openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$1" 2>/dev/null; }
            key ca.key && openssl req -x509 -new -key ca.key -out ca.crt -days 2 -subj /CN=restorecheck-test-ca 2>/dev/null
            key server.key && openssl req -new -key server.key -out server.csr -subj /CN=127.0.0.1 2>/dev/null
            printf 'subjectAltName=IP:127.0.0.1\\n' > san.ext
            openssl x509 -req -in server.csr -CA ca.crt -CAkey ca.key -CAcreateserial -out server.crt -days 2 -extfile san.ext 2>/dev/null
            key client.key && openssl req -new -key client.key -out client.csr -subj /CN=prometheus 2>/dev/null
            openssl x509 -req -in client.csr -CA ca.crt -CAkey ca.key -CAcreateserial -out client.crt -days 2 2>/dev/null
            key other.key && openssl req -x509 -new -key other.key -out other.crt -days 2 -subj /CN=stranger 2>/dev/null
            """, in: temp.path)
        let set = try BackupSet.make(.gnuTar, in: temp)
        return try temp.oneTargetConfig(archive: set.archive, defaults: "rpo: 1d, rto: 1h, jitter: 0s", manifest: false)
    }

    @Test func tlsWithClientCertificatesAndBasicAuth() async throws {
        try await Blocking.run { try Self().tlsWithClientCertificatesAndBasicAuthBody() }
    }

    func tlsWithClientCertificatesAndBasicAuthBody() throws {
        let temp = TemporaryDirectory("tls")
        let config = try Self.prepare(temp)
        let hash = try Shell.run("htpasswd -nbBC 10 prometheus 's3cret pass' | cut -d: -f2-").stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        #expect(hash.hasPrefix("$2y$10$"), "htpasswd writes $2y$")
        try temp.write(
            "web.yml",
            """
            tls_server_config:
              cert_file: server.crt
              key_file: server.key
              client_auth_type: RequireAndVerifyClientCert
              client_ca_file: ca.crt
            basic_auth_users:
              prometheus: '\(hash)'
            """)
        let daemon = try DaemonProcess(config: config, in: temp, extraArguments: ["--web.config.file", temp.url("web.yml")])
        let url = "https://127.0.0.1:\(daemon.port)/metrics"
        let trusted = ["--cacert", temp.url("ca.crt")]
        let client = ["--cert", temp.url("client.crt"), "--key", temp.url("client.key")]
        #expect(Loopback.eventually { Loopback.status(url, trusted + client + ["-u", "prometheus:s3cret pass"]) } == 200, "\(daemon.log)")
        // No client certificate, or one the CA did not sign: no TLS session at all.
        #expect(Loopback.status(url, trusted + ["-u", "prometheus:s3cret pass"]) == nil)
        #expect(Loopback.status(url, trusted + ["--cert", temp.url("other.crt"), "--key", temp.url("other.key"), "-u", "prometheus:s3cret pass"]) == nil)
        // Plain HTTP on a TLS port, and TLS 1.1: refused.
        #expect(Loopback.status("http://127.0.0.1:\(daemon.port)/metrics") == nil)
        #expect(Loopback.status(url, trusted + client + ["--tls-max", "1.1", "-u", "prometheus:s3cret pass"]) == nil)
        // Basic auth: wrong password, unknown user, none at all.
        #expect(Loopback.status(url, trusted + client + ["-u", "prometheus:wrong"]) == 401)
        #expect(Loopback.status(url, trusted + client + ["-u", "nobody:s3cret pass"]) == 401)
        #expect(Loopback.status(url, trusted + client) == 401)
        daemon.signal(SIGTERM)
        #expect(daemon.waitForExit() == 0, "\(daemon.log)")
    }

    /// 200 concurrent wrong passwords (~50 ms of bcrypt each) while tests are due: bcrypt runs off the
    /// cooperative pool, so tests still start on schedule and the watchdog keeps being fed.
    @Test func aFloodOfWrongPasswordsStarvesNeitherSchedulerNorWatchdog() async throws {
        try await Blocking.run { try Self().floodBody() }
    }

    func floodBody() throws {
        let temp = TemporaryDirectory("flood")
        let set = try BackupSet.make(.gnuTar, in: temp)
        let config = try temp.oneTargetConfig(archive: set.archive, defaults: "rpo: 1d, rto: 1h, every: 2s, jitter: 0s", manifest: false)
        try temp.write("web.yml", "basic_auth_users:\n  prometheus: '$2b$10$7EqJtq98hPqEX7fNZaFWoOhi5BWX4Z3V5lz0xCjCEvQZ8pP5Tj1W6'\n")
        let notify = try NotifySocket(path: temp.url("notify.sock"))
        let daemon = try DaemonProcess(
            config: config, in: temp, environment: ["NOTIFY_SOCKET": notify.path, "WATCHDOG_USEC": "2000000"],
            extraArguments: ["--web.config.file", temp.url("web.yml")])
        #expect(notify.waitFor(timeout: 60) { $0.contains("READY=1") } != nil, "\(daemon.log)")
        let url = "http://127.0.0.1:\(daemon.port)/metrics"
        // 200 clients at once, each sending wrong passwords for 8 s.
        let flood = Process()
        flood.executableURL = URL(fileURLWithPath: "/usr/bin/python3")
        flood.arguments = [
            "-c",
            """
            import base64, threading, time, urllib.request, urllib.error
            auth = "Basic " + base64.b64encode(b"prometheus:wrong").decode()
            end = time.time() + 8
            codes = []
            def client():
                while time.time() < end:
                    try:
                        urllib.request.urlopen(urllib.request.Request("\(url)", headers={"Authorization": auth}), timeout=30)
                        codes.append(200)
                    except urllib.error.HTTPError as e:
                        codes.append(e.code)
                    except Exception:
                        codes.append(0)
            threads = [threading.Thread(target=client) for _ in range(200)]
            [t.start() for t in threads]; [t.join() for t in threads]
            print(len(codes), sum(1 for c in codes if c == 401), sum(1 for c in codes if c == 200))
            """,
        ]
        let output = Pipe()
        flood.standardOutput = output
        let floodStart = Date()
        try flood.run()
        var pings: [Date] = []
        while flood.isRunning {
            if let message = notify.receive(timeout: 0.5), message.contains("WATCHDOG=1") { pings.append(Date()) }
        }
        let floodEnd = Date()
        let counts = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self).split(separator: " ").compactMap { Int($0.trimmingCharacters(in: .whitespacesAndNewlines)) }
        #expect(counts.count == 3 && counts[1] > 0 && counts[2] == 0, "wrong passwords are refused: \(counts)")
        // The watchdog interval is 2 s: a gap that long means systemd would have killed the daemon.
        let gaps = zip(pings, pings.dropFirst()).map { $1.timeIntervalSince($0) }
        #expect(pings.count >= 5, "WATCHDOG=1 kept arriving during the flood: \(pings.count) pings")
        #expect((gaps.max() ?? 99) < 2, "largest gap between watchdog pings: \(gaps.max() ?? 99) s")
        // Tests every 2 s: at least two started while the flood ran.
        let started = try Shell.run(
            "sqlite3 \"$DB\" \"SELECT count(*) FROM run WHERE started >= \(floodStart.timeIntervalSince1970) AND started <= \(floodEnd.timeIntervalSince1970)\"",
            environment: ["DB": temp.url("state/history.sqlite")]).stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        #expect((Int(started) ?? 0) >= 2, "tests started during the flood: \(started)")
        daemon.signal(SIGTERM)
        #expect(daemon.waitForExit() == 0, "\(daemon.log)")
    }

    @Test func basicAuthWithoutTLSIsRefusedOnANonLoopbackAddress() async throws {
        try await Blocking.run { try Self().basicAuthWithoutTLSIsRefusedOnANonLoopbackAddressBody() }
    }

    func basicAuthWithoutTLSIsRefusedOnANonLoopbackAddressBody() throws {
        let temp = TemporaryDirectory("cleartext")
        let config = try Self.prepare(temp)
        try temp.write("web.yml", "basic_auth_users:\n  prometheus: '$2b$10$7EqJtq98hPqEX7fNZaFWoOhi5BWX4Z3V5lz0xCjCEvQZ8pP5Tj1W6'\n")
        let result = try Shell.execute(
            BuiltBinary.path, ["serve", "--config", config, "--web.listen-address", "0.0.0.0:\(Loopback.freePort())", "--web.config.file", temp.url("web.yml")])
        #expect(result.status == 2)
        #expect(result.stderr.contains("clear text"))
        #expect(throws: MetricsEndpoint.SecurityError.self) {
            try MetricsEndpoint.validate(try WebConfig.load(path: temp.url("web.yml")), addresses: [ListenAddress(host: "10.1.2.3", port: 9947)])
        }
        #expect(throws: Never.self) {
            try MetricsEndpoint.validate(try WebConfig.load(path: temp.url("web.yml")), addresses: [.default])
        }
    }

    @Test(arguments: [
        ("tls_server_config:\n  cert_file: a\n", "needs cert_file and key_file"),
        ("tls_server_config:\n  cert_file: a\n  key_file: b\n  min_version: TLS10\n", "TLS12 or TLS13"),
        ("tls_server_config:\n  cert_file: a\n  key_file: b\n  client_auth_type: RequireAndVerifyClientCert\n", "client_ca_file is required"),
        ("basic_auth_users:\n  alice: plaintext\n", "bcrypt hash"),
        ("tsl_server_config: {}\n", "unknown key"),
        // Values of the wrong kind were skipped, so a list here was silently no CA at all.
        ("tls_server_config:\n  cert_file: a\n  key_file: b\n  client_ca_file: [x, y]\n", "web.yml:4: tls_server_config.client_ca_file: expected a non-empty string"),
        ("tls_server_config:\n  cert_file: a\n  key_file: b\n  key_file: c\n", "duplicated key(s): 'key_file'"),
        ("tls_server_config:\n  cert_file: a\n  key_file: b\n  cipher_suites: TLS_AES_128_GCM_SHA256\n", "expected a list"),
    ])
    func webConfigErrorsAreClear(yaml: String, fragment: String) throws {
        let temp = TemporaryDirectory("webcfg")
        let path = try temp.write("web.yml", yaml)
        #expect {
            _ = try WebConfig.load(path: path)
        } throws: { error in
            "\(error)".contains(fragment) && "\(error)".contains(path)
        }
    }

    @Test func slowClientsCannotHoldTheEndpoint() async throws {
        try await Blocking.run { try Self().slowClientsCannotHoldTheEndpointBody() }
    }

    func slowClientsCannotHoldTheEndpointBody() throws {
        let temp = TemporaryDirectory("slow")
        let config = try Self.prepare(temp)
        let daemon = try DaemonProcess(config: config, in: temp)
        #expect(daemon.waitUntilServing())
        // 40 slowloris connections: each sends half a request head, then a header byte now and then.
        let slow = try Shell.run(
            """
            python3 - "$PORT" <<'PY' &
            import socket, sys, time
            port = int(sys.argv[1])
            conns = []
            for _ in range(40):
                s = socket.create_connection(("127.0.0.1", port)); s.sendall(b"GET /metrics HTTP/1.1\\r\\nHost: x\\r\\n"); conns.append(s)
            start = time.time(); closed = 0
            while time.time() - start < 16:
                for s in list(conns):
                    try:
                        s.sendall(b"X")
                        s.settimeout(0.01)
                        if s.recv(1) == b"": raise OSError
                    except socket.timeout:
                        pass
                    except OSError:
                        conns.remove(s); closed += 1
                time.sleep(1)
            print(closed)
            PY
            sleep 2
            # While they trickle, a real scrape is served at once.
            curl -s -o /dev/null -w '%{http_code}' --max-time 2 http://127.0.0.1:$PORT/metrics > scrape-status
            wait
            """, in: temp.path, environment: ["PORT": "\(daemon.port)"])
        #expect(try String(contentsOfFile: temp.url("scrape-status"), encoding: .utf8) == "200")
        #expect(Int(slow.stdout.trimmingCharacters(in: .whitespacesAndNewlines)) == 40, "every slow connection closed by the head timeout: \(slow.stdout)")
        // An oversized header is refused rather than buffered.
        let huge = String(repeating: "a", count: 32 * 1024)
        // Refused with a 4xx, or the connection closed (curl then has no status); never a 200.
        let refused = Loopback.status("http://127.0.0.1:\(daemon.port)/metrics", ["-H", "X-Big: \(huge)"])
        #expect(refused == nil || refused! >= 400, "\(refused.map(String.init) ?? "closed")")
        #expect(daemon.metrics() != nil, "and the endpoint still serves")
        daemon.signal(SIGTERM)
        #expect(daemon.waitForExit() == 0)
    }
}
