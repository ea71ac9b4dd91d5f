// swift-tools-version:6.1
import PackageDescription

// trialtrack: an append-only, event-sourced system of record for clinical-trial lifecycles.
// Targets point inward to TrialDomain, which knows nothing of SQLite, sockets or systemd.
let package = Package(
    name: "trialtrack",
    platforms: [.macOS(.v13)],
    products: [
        .library(name: "TrialDomain", targets: ["TrialDomain"]),
        .library(name: "TrialStore", targets: ["TrialStore"]),
        .executable(name: "trialbench", targets: ["trialbench"]),
    ],
    dependencies: [
        .package(url: "https://github.com/groue/GRDB.swift", from: "7.10.0"),
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
    ],
    targets: [
        // The domain: events, payloads, partial dates, identifiers, the lifecycle fold. Foundation only.
        .target(name: "TrialDomain"),

        // SHA-256 from the system libcrypto (libssl-dev), not swift-crypto.
        .systemLibrary(
            name: "CCrypto", pkgConfig: "libcrypto",
            providers: [.apt(["libssl-dev"])]),

        // Migrations/NNNN_name.sql: the schema's single source of truth, embedded at build time.
        .executableTarget(name: "MigrationsCodegen", path: "Sources/MigrationsCodegen"),
        .plugin(
            name: "MigrationsPlugin", capability: .buildTool(),
            dependencies: ["MigrationsCodegen"]),
        .target(name: "TrialMigrations", path: "Migrations", plugins: ["MigrationsPlugin"]),

        // The SQLite log, projections, migrations, hash chain and queries.
        .target(
            name: "TrialStore",
            dependencies: [
                "TrialDomain", "TrialMigrations", "CCrypto",
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "GRDBSQLite", package: "GRDB.swift"),
            ]),

        // ClinicalTrials.gov API v2 study JSON → events: pure mapping and change detection.
        .target(name: "ClinicalTrialsGov", dependencies: ["TrialDomain"]),

        // Benchmark executable (not a test): prints figures beside raw SQLite limits.
        .executableTarget(
            name: "trialbench",
            dependencies: [
                "TrialDomain", "TrialStore",
                .product(name: "GRDBSQLite", package: "GRDB.swift"),
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]),

        // Fixtures and helpers shared by the test targets.
        .target(name: "TrialTestSupport", dependencies: ["TrialDomain"]),

        .testTarget(name: "TrialDomainTests", dependencies: ["TrialDomain", "TrialTestSupport"]),
        .testTarget(name: "ClinicalTrialsGovTests", dependencies: ["ClinicalTrialsGov", "TrialDomain", "TrialTestSupport"]),
        .testTarget(
            name: "TrialStoreTests",
            dependencies: ["TrialStore", "TrialDomain", "TrialMigrations", "TrialTestSupport", .product(name: "GRDB", package: "GRDB.swift")]),
    ],
    swiftLanguageModes: [.v5]
)
