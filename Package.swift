// swift-tools-version: 6.2
// restorecheck — proves backups can be restored. See README.md and ../shared/design/ARCHITECTURE.md.
import PackageDescription

let package = Package(
    name: "restorecheck",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "restorecheck", targets: ["restorecheck"])
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/jpsim/Yams", from: "6.0.0"),
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
        // The Swift face of libarchive: a reader, entries as values, errors as a struct.
        .target(name: "ArchiveKit", dependencies: ["CArchive"]),
        // The domain: config, manifests, sampling, the worker and its protocol, verdicts, outcomes.
        .target(
            name: "RestoreCheckCore",
            dependencies: [
                "ArchiveKit",
                "CLibcrypto",
                .product(name: "Yams", package: "Yams"),
            ]
        ),
        // Commands only: run, check-config, hidden restore-worker.
        .executableTarget(
            name: "restorecheck",
            dependencies: [
                "RestoreCheckCore",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        // Test helpers: scratch folders, real archive tools, the built binary. Not shipped.
        .target(name: "RestoreCheckTestSupport", dependencies: ["RestoreCheckCore"], path: "Tests/Support"),
        .testTarget(name: "ArchiveKitTests", dependencies: ["ArchiveKit", "RestoreCheckTestSupport"]),
        .testTarget(
            name: "RestoreCheckCoreTests",
            dependencies: ["RestoreCheckCore", "RestoreCheckTestSupport"],
            resources: [.copy("Fixtures")]
        ),
        // Drives the built `restorecheck` binary as a user would: exit codes, JSON, config errors.
        .testTarget(name: "RestoreCheckCLITests", dependencies: ["RestoreCheckCore", "RestoreCheckTestSupport"]),
    ]
)
