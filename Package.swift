// swift-tools-version: 6.2
// restorecheck — proves backups can be restored. See README.md, docs/architecture.md (the processes,
// modules and data flow as built) and ../shared/design/ARCHITECTURE.md (the direction).
import PackageDescription

/// The commit `restorecheck --version` names: `RESTORECHECK_COMMIT` from the build's environment
/// (`make release` and `make deb` pass `git rev-parse --short=12 HEAD`), hex digits only.
let commit = String((Context.environment["RESTORECHECK_COMMIT"] ?? "").filter(\.isHexDigit).prefix(40))

let package = Package(
    name: "restorecheck",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "restorecheck", targets: ["restorecheck"])
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/jpsim/Yams", from: "6.0.0"),
        .package(url: "https://github.com/groue/GRDB.swift", from: "7.0.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.1.0"),
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.10.0"),
        .package(url: "https://github.com/hummingbird-project/hummingbird-auth", from: "2.0.0"),
        .package(url: "https://github.com/apple/swift-nio", from: "2.80.0"),
        .package(url: "https://github.com/apple/swift-nio-ssl", from: "2.30.0"),
        .package(url: "https://github.com/apple/swift-nio-extras", from: "1.20.0"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.6.0"),
        .package(url: "https://github.com/apple/swift-log", from: "1.6.0"),
        .package(url: "https://github.com/hummingbird-project/swift-mustache", from: "2.0.0"),
        .package(url: "https://github.com/vapor/postgres-nio", from: "1.33.0"),
    ],
    targets: [
        // System libraries. Debian: libarchive-dev, libssl-dev (for libcrypto's SHA-256 with SHA-NI).
        .systemLibrary(
            name: "CArchive",
            pkgConfig: "libarchive",
            providers: [.apt(["libarchive-dev"]), .brew(["libarchive"])]
        ),
        .systemLibrary(
            name: "CLibcrypto",
            pkgConfig: "libcrypto",
            providers: [.apt(["libssl-dev"]), .brew(["openssl@3"])]
        ),
        // libxml2 for the `xml` validator's streaming reader (libarchive already links it; Debian: libxml2-dev).
        .systemLibrary(name: "CXML", providers: [.apt(["libxml2-dev"])]),
        // zlib for gzip-encoded /metrics responses (Prometheus asks for gzip on every scrape).
        .systemLibrary(name: "CZlib", pkgConfig: "zlib", providers: [.apt(["zlib1g-dev"])]),
        // glibc calls Swift cannot import as they are (_GNU_SOURCE-only or variadic): pipe2,
        // posix_spawn_file_actions_addclosefrom_np, prctl. Fixed-argument C wrappers, as GRDB and
        // swift-system keep such calls in C rather than in `@_silgen_name` declarations.
        .target(name: "CSystemShim"),
        // The build's commit for `--version`, as a C string (the one way SwiftPM passes a value).
        .target(
            name: "CBuildInfo", cSettings: commit.isEmpty ? [] : [.define("RESTORECHECK_COMMIT", to: "\"\(commit)\"")]),
        // Decoders faster than libarchive's own, as libarchive read callbacks: ISA-L's inflate
        // (Debian: libisal-dev to build with it; loaded with dlopen, so a host without libisal2 falls
        // back to libarchive's zlib) and liblzma's multi-threaded xz decoder (liblzma-dev, which
        // libarchive-dev already brings).
        .target(name: "CDecoders", linkerSettings: [.linkedLibrary("lzma")]),
        // libcurl (Debian: libcurl4-openssl-dev) for object storage: its CURLOPT_AWS_SIGV4 signs S3
        // requests, and it verifies TLS. Fixed-argument wrappers for its variadic setopt/getinfo.
        .target(name: "CCurl", linkerSettings: [.linkedLibrary("curl")]),
        // An S3 client in the parent process (never the worker): listing, HEAD, ranged GETs with
        // retries and resume, and the fetcher that streams an object into the worker's pipe.
        .target(name: "ObjectStorage", dependencies: ["CCurl"]),
        // What an archive file is from its first bytes (magic numbers, split volumes, zstd windows):
        // plain reads, no libarchive, so the parent process may ask before any archive is parsed.
        .target(name: "ArchiveFormats"),
        // The Swift face of libarchive: a reader, entries as values, errors as a struct.
        .target(name: "ArchiveKit", dependencies: ["ArchiveFormats", "CArchive", "CDecoders"]),
        // The domain the parent process runs: config, manifests, restore-point sources, the worker's
        // protocol and supervision, sandboxes, verdicts, outcomes. It never parses an archive: it
        // does not depend on ArchiveKit, so libarchive cannot be called here.
        .target(
            name: "RestoreCheckCore",
            dependencies: [
                "ArchiveFormats",
                "CLibcrypto",
                "CSystemShim",
                "ObjectStorage",
                .product(name: "Yams", package: "Yams"),
            ]
        ),
        // The restore worker's code (`restorecheck restore-worker`, sandboxed, under its rlimits): the
        // restoring pass, sampling, scratch writes, content inspection and the built-in validators.
        // The only module that depends on ArchiveKit (and libxml2): everything that parses a backup's
        // bytes runs in the worker process.
        .target(
            name: "RestoreCheckWorker",
            dependencies: ["RestoreCheckCore", "ArchiveFormats", "ArchiveKit", "CLibcrypto", "CSystemShim", "CXML"]
        ),
        // Outcome history in SQLite (GRDB): runs, findings, migrations, retention.
        .target(
            name: "RestoreCheckStore",
            dependencies: ["RestoreCheckCore", .product(name: "GRDB", package: "GRDB.swift")]
        ),
        // Outcome history in PostgreSQL (postgres-nio) for a fleet of verifier hosts: the same
        // `RunHistory` as the SQLite store, one evidence chain across hosts.
        .target(
            name: "RestoreCheckPostgres",
            dependencies: [
                "RestoreCheckCore", .product(name: "PostgresNIO", package: "postgres-nio"), .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        // Restore-assurance reports: numbers from the history's query API, rendered through templates.
        .target(
            name: "RestoreCheckReport",
            dependencies: [
                "RestoreCheckCore", "ObjectStorage", .product(name: "Mustache", package: "swift-mustache"), .product(name: "Yams", package: "Yams"),
            ]
        ),
        // Prometheus registry fed from outcomes, and the HTTP endpoint that serves it.
        .target(
            name: "RestoreCheckMetrics",
            dependencies: [
                "RestoreCheckCore",
                "CZlib",
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdCore", package: "hummingbird"),
                .product(name: "HummingbirdTLS", package: "hummingbird"),
                .product(name: "HummingbirdBcrypt", package: "hummingbird-auth"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTPTypes", package: "swift-nio-extras"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "Yams", package: "Yams"),
            ]
        ),
        // The daemon: scheduler, reload, systemd notification, wiring of the services.
        .target(
            name: "RestoreCheckDaemon",
            dependencies: [
                "RestoreCheckCore",
                "RestoreCheckStore",
                "RestoreCheckMetrics",
                "RestoreCheckReport",
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "UnixSignals", package: "swift-service-lifecycle"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        // Commands only: run, serve, check, check-config, status, history, report, evidence, canary, hidden restore-worker.
        .executableTarget(
            name: "restorecheck",
            dependencies: [
                "ArchiveFormats",
                "CBuildInfo",
                "CSystemShim",
                "RestoreCheckCore",
                "RestoreCheckWorker",
                "RestoreCheckStore",
                "RestoreCheckPostgres",
                "RestoreCheckMetrics",
                "RestoreCheckDaemon",
                "RestoreCheckReport",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "UnixSignals", package: "swift-service-lifecycle"),
            ]
        ),
        // Test helpers: scratch folders, real archive tools, the built binary. Not shipped.
        .target(name: "RestoreCheckTestSupport", dependencies: ["RestoreCheckCore"], path: "Tests/Support", exclude: ["s3-fault-proxy.py", "webhook-receiver.py", "smtp-sink.py"]),
        // The S3 client against real S3-compatible servers on loopback (rclone, moto), with faults.
        .testTarget(name: "ObjectStorageTests", dependencies: ["ObjectStorage", "RestoreCheckTestSupport"]),
        .testTarget(name: "ArchiveKitTests", dependencies: ["ArchiveKit", "RestoreCheckTestSupport"]),
        // The domain and the worker's code, in process (the worker's own tests run `RestoreWorker`
        // without a subprocess through `WorkerHarness`).
        .testTarget(
            name: "RestoreCheckCoreTests",
            dependencies: ["RestoreCheckCore", "RestoreCheckWorker", "ArchiveKit", "ObjectStorage", "RestoreCheckTestSupport"],
            resources: [.copy("Fixtures")]
        ),
        // Drives the built `restorecheck` binary as a user would: exit codes, JSON, config errors.
        .testTarget(name: "RestoreCheckCLITests", dependencies: ["RestoreCheckCore", "RestoreCheckTestSupport"]),
        // Histories written through the store's own API, for the store's and the reports' tests.
        .target(
            name: "RestoreCheckStoreTestSupport",
            dependencies: ["RestoreCheckStore", "RestoreCheckPostgres", "RestoreCheckTestSupport", .product(name: "GRDB", package: "GRDB.swift")],
            path: "Tests/StoreSupport"),
        // The history store on its own, in real SQLite files: durability, migrations, reading back,
        // the evidence chain.
        .testTarget(
            name: "RestoreCheckStoreTests",
            dependencies: [
                "RestoreCheckStore", "RestoreCheckPostgres", "RestoreCheckTestSupport", "RestoreCheckStoreTestSupport", .product(name: "GRDB", package: "GRDB.swift"),
            ]
        ),
        .testTarget(
            name: "RestoreCheckReportTests",
            dependencies: [
                "RestoreCheckReport", "RestoreCheckStore", "RestoreCheckTestSupport", "RestoreCheckStoreTestSupport",
            ]
        ),
        .testTarget(
            name: "RestoreCheckDaemonTests",
            dependencies: [
                "RestoreCheckDaemon", "RestoreCheckStore", "RestoreCheckMetrics", "RestoreCheckTestSupport", "ObjectStorage",
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ]
        ),
    ]
)
