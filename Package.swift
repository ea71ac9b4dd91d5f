// swift-tools-version:6.1
import PackageDescription

// trialtrack: an append-only, event-sourced system of record for clinical-trial lifecycles.
// Targets point inward to TrialDomain, which knows nothing of SQLite, sockets or systemd.
let package = Package(
    name: "trialtrack",
    platforms: [.macOS(.v13)],
    products: [
        .library(name: "TrialJSON", targets: ["TrialJSON"]),
        .library(name: "TrialDomain", targets: ["TrialDomain"]),
        .library(name: "TrialStore", targets: ["TrialStore"]),
        // The wire and the registry mapping, as products so that Fuzz/ (a package of its own) can link them.
        .library(name: "TrialProtocol", targets: ["TrialProtocol"]),
        .library(name: "ClinicalTrialsGov", targets: ["ClinicalTrialsGov"]),
        // The server, as a product so that Benchmarks/ (a package of its own) can run trialsd in
        // its own process, as `trialbench socket` measures it.
        .library(name: "TrialsDaemon", targets: ["TrialsDaemon"]),
        // The registry's stand-in, for `trialbench sync`.
        .library(name: "RegistryTestSupport", targets: ["RegistryTestSupport"]),
        .executable(name: "trialsd", targets: ["trialsd"]),
        .executable(name: "trialctl", targets: ["trialctl"]),
    ],
    dependencies: [
        .package(url: "https://github.com/groue/GRDB.swift", from: "7.10.0"),
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
    ],
    targets: [
        // JSON in one place: the value, the strict parser, the canonical writer (its bytes are the
        // hash chain's) and FieldReader, the one way of reading JSON into types. Foundation only.
        .target(name: "TrialJSON"),

        // The domain: events, payloads, partial dates, identifiers, the lifecycle fold. Foundation only.
        // Re-exports TrialJSON (Sources/TrialDomain/FieldReaders.swift).
        .target(name: "TrialDomain", dependencies: ["TrialJSON"]),

        // SHA-256 from the system libcrypto (libssl-dev), not swift-crypto.
        .systemLibrary(
            name: "CCrypto", pkgConfig: "libcrypto",
            providers: [.apt(["libssl-dev"])]),

        // Process-wide SQLite settings (sqlite3_config), made before the first connection opens.
        .systemLibrary(
            name: "CSQLiteConfig", pkgConfig: "sqlite3",
            providers: [.apt(["libsqlite3-dev"])]),

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
                "TrialDomain", "TrialMigrations", "CCrypto", "CSQLiteConfig",
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "GRDBSQLite", package: "GRDB.swift"),
            ]),

        // The Varlink wire (messages, errors, a blocking client) and the interface's IDL.
        .target(
            name: "TrialProtocol", dependencies: ["TrialDomain"],
            resources: [.embedInCode("org.trialtrack.Trials.varlink")]),

        // ClinicalTrials.gov API v2 study JSON → events: pure mapping and change detection.
        .target(name: "ClinicalTrialsGov", dependencies: ["TrialDomain"]),

        // The registry's HTTP API as trialctl sync reads it: URLs, the incremental query, a polite
        // fetcher (rate limit, Retry-After, backoff) and the answers' decoders. No daemon, no Varlink.
        .target(name: "RegistryClient", dependencies: ["TrialDomain"]),

        // libsystemd (sd_notify, listen fds, the journal) from Debian's libsystemd-dev.
        .systemLibrary(
            name: "CSystemd", pkgConfig: "libsystemd",
            providers: [.apt(["libsystemd-dev"])]),
        // The daemon's life under systemd: notify, watchdog, socket activation, journald.
        .target(name: "Systemd", dependencies: ["CSystemd", .product(name: "Logging", package: "swift-log")]),

        // The server: connections, access control, group commit, subscriptions.
        .target(
            name: "TrialsDaemon",
            dependencies: [
                "TrialDomain", "TrialStore", "TrialProtocol", "ClinicalTrialsGov", "Systemd",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
            ]),
        .executableTarget(
            name: "trialsd",
            dependencies: [
                "TrialsDaemon", "TrialProtocol", "TrialStore", "Systemd",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]),

        // trialctl: its commands and presentation (a library, so tests can render without a process).
        .target(
            name: "TrialClient",
            dependencies: [
                "TrialDomain", "TrialProtocol", "TrialExports", "ClinicalTrialsGov", "RegistryClient", "RegistrySync",
                "Systemd",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]),
        .executableTarget(name: "trialctl", dependencies: ["TrialClient"]),

        // Exports for other programs: iCalendar (RFC 5545) of forecasts, an Atom feed (RFC 4287)
        // of the log, an SVG timeline of trials. Pure renderers from domain values to text.
        .target(name: "TrialExports", dependencies: ["TrialDomain"]),

        // Fixtures and helpers shared by the test targets.
        .target(name: "TrialTestSupport", dependencies: ["TrialDomain"]),
        // A scriptable HTTP/1.1 stand-in for the registry on 127.0.0.1 and a clock that does not sleep.
        .target(name: "RegistryTestSupport", dependencies: ["RegistryClient", "TrialDomain", "TrialTestSupport"]),
        // The registry sync's engine: what to search, paging, watermarks, the history backfill;
        // it submits through a `SyncTarget` (trialsd's socket in trialctl).
        .target(name: "RegistrySync", dependencies: ["RegistryClient", "ClinicalTrialsGov", "TrialDomain"]),

        .testTarget(name: "TrialJSONTests", dependencies: ["TrialJSON", "TrialTestSupport"]),
        .testTarget(name: "TrialDomainTests", dependencies: ["TrialDomain", "TrialTestSupport"]),
        .testTarget(name: "TrialExportsTests", dependencies: ["TrialExports", "TrialDomain", "TrialTestSupport"]),
        .testTarget(name: "TrialProtocolTests", dependencies: ["TrialProtocol", "TrialDomain", "TrialTestSupport"]),
        .testTarget(name: "SystemdTests", dependencies: ["Systemd", "TrialTestSupport"]),
        .testTarget(
            name: "TrialClientTests", dependencies: ["TrialClient", "TrialDomain", "TrialProtocol", "TrialTestSupport"]),
        .testTarget(
            name: "TrialsDaemonTests",
            dependencies: [
                "TrialsDaemon", "TrialClient", "TrialStore", "TrialDomain", "TrialProtocol", "TrialTestSupport",
                "RegistryTestSupport", "RegistryClient",
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "NIOEmbedded", package: "swift-nio"),
                .product(name: "NIOTestUtils", package: "swift-nio"),
            ],
            exclude: ["varlink_client.py", "journal_test.py", "nspawn_e2e.sh", "powercut.c"]),
        .testTarget(
            name: "RegistrySyncTests",
            dependencies: [
                "RegistrySync", "RegistryClient", "RegistryTestSupport", "ClinicalTrialsGov", "TrialDomain",
                "TrialTestSupport",
            ]),
        .testTarget(
            name: "RegistryClientTests",
            dependencies: [
                "RegistryClient", "RegistryTestSupport", "ClinicalTrialsGov", "TrialDomain", "TrialProtocol",
                "TrialTestSupport",
            ]),
        .testTarget(
            name: "ClinicalTrialsGovTests", dependencies: ["ClinicalTrialsGov", "TrialDomain", "TrialTestSupport"]),
        .testTarget(
            name: "TrialStoreTests",
            dependencies: [
                "TrialStore", "TrialDomain", "TrialMigrations", "TrialTestSupport",
                .product(name: "GRDB", package: "GRDB.swift"),
            ],
            // Databases written by earlier schemas, read from the repository by the migration tests.
            exclude: ["Fixtures"]),
    ],
    swiftLanguageModes: [.v6]
)
