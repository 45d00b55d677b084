import Foundation
import Glibc
import ObjectStorage
import RestoreCheckTestSupport
import Testing

/// The S3 client against real servers on loopback: rclone (verifies SigV4; answers a range with 200
/// and just the range) and moto (206), and a proxy that counts and injects faults.
@Suite("S3 client", .timeLimit(.minutes(10)))
struct S3ClientTests {
    /// A random object of `bytes`, its SHA-256 from sha256sum.
    static func object(_ temp: TemporaryDirectory, _ name: String, bytes: Int) throws -> (path: String, sha: String) {
        let path = temp.url(name)
        try Shell.run("head -c \(bytes) /dev/urandom > '\(path)'")
        return (path, try sha(path))
    }

    static func sha(_ path: String) throws -> String {
        String(try Shell.run("sha256sum '\(path)' | cut -c1-64").stdout.prefix(64))
    }

    static func client(_ endpoint: String, bucket: String, secret: String = S3TestServer.secretKey, stallSeconds: Int = 20) -> S3Client {
        var location = S3Bucket(endpoint: endpoint, bucket: bucket)
        location.pathStyle = true
        var client = S3Client(
            bucket: location, credentials: S3Credentials(accessKeyID: S3TestServer.accessKey, secretAccessKey: secret),
            retry: RetryPolicy(attempts: 4, base: 0.05, ceiling: 0.2))
        client.stallSeconds = stallSeconds
        return client
    }

    /// Fetches the whole object into a file through `RangedFetcher`; the fetcher, and the file's SHA-256.
    static func fetch(_ client: S3Client, key: String, into path: String, partBytes: Int64 = 1 << 20, parallelism: Int = 3) throws -> (RangedFetcher, String) {
        let object = try client.head(key)
        let fetcher = RangedFetcher(client: client, object: object, partBytes: partBytes, parallelism: parallelism)
        let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        try #require(fd >= 0)
        fetcher.run(into: fd)
        close(fd)
        return (fetcher, try sha(path))
    }

    @Test(arguments: S3TestServer.Kind.allCases)
    func listsHeadsAndStreamsAnObjectInOrderFromParallelRangedGets(kind: S3TestServer.Kind) async throws {
        let temp = TemporaryDirectory("s3-fetch-\(kind)")
        try await Blocking.run {
            let server = try S3TestServer(kind, root: temp.url("store"))
            let source = try Self.object(temp, "big.bin", bytes: 9 * (1 << 20) + 12345)
            try server.put(bucket: "backups", ["nightly/big.bin": source.path, "nightly/other.txt": source.path, "elsewhere/x": source.path])
            let client = Self.client(server.endpoint, bucket: "backups")
            let listed = try client.list(prefix: "nightly/")
            #expect(Set(listed.map(\.key)) == ["nightly/big.bin", "nightly/other.txt"])
            #expect(listed.allSatisfy { $0.size == 9 * (1 << 20) + 12345 && !$0.etag.isEmpty && !$0.etag.contains("\"") })
            let head = try client.head("nightly/big.bin")
            #expect(head.size == 9 * (1 << 20) + 12345 && head.etag == listed.first { $0.key == "nightly/big.bin" }?.etag)

            let proxy = try S3FaultProxy(upstream: server, in: temp)
            let (fetcher, sha) = try Self.fetch(Self.client(proxy.endpoint, bucket: "backups"), key: "nightly/big.bin", into: temp.url("out"))
            #expect(fetcher.failure == nil && sha == source.sha, "bytes identical, in order")
            #expect(fetcher.stats.requests == 10 && fetcher.stats.bytesFetched == head.size && fetcher.stats.retries == 0)
            #expect(proxy.stats.rangedGets == 10 && proxy.stats.bodyBytes == head.size, "each byte fetched once: \(proxy.stats)")
        }
    }

    /// rclone checks signatures: a wrong secret is access denied, not a missing object.
    @Test func aWrongSecretIsAccessDeniedAndAMissingBucketOrKeyIsNamed() async throws {
        let temp = TemporaryDirectory("s3-auth")
        try await Blocking.run {
            let server = try S3TestServer(.rclone, root: temp.url("store"))
            let source = try Self.object(temp, "a.bin", bytes: 1000)
            try server.put(bucket: "backups", ["a.bin": source.path])
            #expect(throws: S3Error.self) { try Self.client(server.endpoint, bucket: "backups", secret: "wrong").list(prefix: "") }
            do {
                _ = try Self.client(server.endpoint, bucket: "backups", secret: "wrong").list(prefix: "")
            } catch let error as S3Error {
                #expect(error.kind == .accessDenied, "\(error)")
                #expect(!error.description.contains(S3TestServer.secretKey) && !error.description.contains("wrong"))
            }
            do {
                _ = try Self.client(server.endpoint, bucket: "no-such-bucket").list(prefix: "")
                Issue.record("listed a missing bucket")
            } catch let error as S3Error {
                #expect(error.kind == .noSuchBucket, "\(error)")
            }
            do {
                _ = try Self.client(server.endpoint, bucket: "backups").head("missing.bin")
                Issue.record("found a missing key")
            } catch let error as S3Error {
                #expect(error.kind == .noSuchKey, "\(error)")
            }
        }
    }

    @Test func aListingOfMoreThanOnePageIsReadToTheEnd() async throws {
        let temp = TemporaryDirectory("s3-pages")
        try await Blocking.run {
            let server = try S3TestServer(.moto, root: temp.url("store"))
            let source = try Self.object(temp, "tiny", bytes: 10)
            // moto pages at 1,000 keys, as S3 does.
            try server.put(bucket: "many", Dictionary(uniqueKeysWithValues: (0..<1005).map { ("k/\(String(format: "%04d", $0))", source.path) }))
            let listed = try Self.client(server.endpoint, bucket: "many").list(prefix: "k/")
            #expect(listed.count == 1005 && Set(listed.map(\.key)).count == 1005)
        }
    }

    /// 503s, a reset mid-body, a stalled response, a short body and a server that ignores the Range
    /// header: each is retried (or read) and the bytes still come out identical, each part resumed
    /// where it stopped.
    /// The transient faults the proxy injects (its header names them).
    enum Fault: String, CaseIterable, Sendable {
        case fail503, reset, stall, truncate, wholeObject

        var proxyFaults: [String: Any] {
            switch self {
            case .fail503: ["fail": 3]
            case .reset: ["reset_after": 300_000]
            case .stall: ["stall_after": 100_000, "stall_seconds": 30]
            case .truncate: ["truncate_after": 500_000]
            case .wholeObject: ["whole_object": true]
            }
        }
    }

    @Test(arguments: Fault.allCases)
    func transientFaultsAreRetriedAndResumedAtTheOffset(fault: Fault) async throws {
        let name = fault.rawValue
        let temp = TemporaryDirectory("s3-fault-\(name)")
        try await Blocking.run {
            let server = try S3TestServer(.moto, root: temp.url("store"))
            let source = try Self.object(temp, "big.bin", bytes: 3 * (1 << 20) + 7)
            try server.put(bucket: "backups", ["big.bin": source.path])
            let proxy = try S3FaultProxy(upstream: server, faults: fault.proxyFaults, in: temp)
            let client = Self.client(proxy.endpoint, bucket: "backups", stallSeconds: 2)
            let (fetcher, sha) = try Self.fetch(client, key: "big.bin", into: temp.url("out"), parallelism: 2)
            #expect(fetcher.failure == nil, "\(String(describing: fetcher.failure))")
            #expect(sha == source.sha, "bytes identical after \(name)")
            if fault != .wholeObject {
                #expect(fetcher.stats.retries >= 1, "\(name) was retried: \(fetcher.stats)")
                // Resumed at the offset: at most the faulted part's bytes are fetched twice.
                #expect(proxy.stats.bodyBytes <= Int64(3 * (1 << 20) + 7) + (1 << 20), "\(proxy.stats)")
            }
        }
    }

    @Test func persistentFailuresAndAReplacedObjectStopTheStreamWithTheirKind() async throws {
        let temp = TemporaryDirectory("s3-fatal")
        try await Blocking.run {
            let server = try S3TestServer(.rclone, root: temp.url("store"))
            let source = try Self.object(temp, "big.bin", bytes: 4 * (1 << 20))
            let replacement = try Self.object(temp, "new.bin", bytes: 4 * (1 << 20))
            try server.put(bucket: "backups", ["big.bin": source.path])

            let failing = try S3FaultProxy(upstream: server, faults: ["fail": 1000], in: temp)
            let (down, _) = try Self.fetch(Self.client(failing.endpoint, bucket: "backups"), key: "big.bin", into: temp.url("out1"), parallelism: 1)
            #expect(down.failure?.kind == .transient && down.failure?.status == 503, "\(String(describing: down.failure))")
            #expect(down.stats.requests == 4, "four attempts, then the stream ends: \(down.stats)")

            let replacing = try S3FaultProxy(
                upstream: server, faults: ["replace": [replacement.path, temp.url("store/backups/big.bin")]], in: temp)
            let (changed, _) = try Self.fetch(Self.client(replacing.endpoint, bucket: "backups"), key: "big.bin", into: temp.url("out2"), parallelism: 1)
            #expect(changed.failure?.kind == .objectChanged, "If-Match caught the replacement: \(String(describing: changed.failure))")
        }
    }

    @Test func credentialsComeFromTheSharedFileOrTheEnvironmentAndNeverShowTheSecret() throws {
        let temp = TemporaryDirectory("s3-credentials")
        let file = try temp.write("creds", "# comment\n[other]\naws_access_key_id = OTHER\naws_secret_access_key = no\n\n[default]\naws_access_key_id = AKIA1\naws_secret_access_key = s3cr3t\n")
        let fromFile = try S3Credentials.load(file: file, environment: [:])
        #expect(fromFile.accessKeyID == "AKIA1" && fromFile.secretAccessKey == "s3cr3t" && !"\(fromFile)".contains("s3cr3t"))
        #expect(try S3Credentials.load(file: file, profile: "other", environment: [:]).accessKeyID == "OTHER")
        let fromEnvironment = try S3Credentials.load(file: nil, environment: ["AWS_ACCESS_KEY_ID": "AKIA2", "AWS_SECRET_ACCESS_KEY": "x"])
        #expect(fromEnvironment.accessKeyID == "AKIA2")
        #expect(throws: S3Credentials.LoadError.self) { try S3Credentials.load(file: nil, environment: [:]) }
        let broken = try temp.write("broken", "[default]\naws_access_key_id AKIA\n")
        do {
            _ = try S3Credentials.load(file: broken, environment: [:])
            Issue.record("a line without = was accepted")
        } catch {
            #expect(error.description == "\(broken):2: expected key = value in [default]")
        }
    }
}
