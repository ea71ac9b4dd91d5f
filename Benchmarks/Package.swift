// swift-tools-version:6.1
import PackageDescription

// trialbench: the benchmarks, a package of their own (as swift-nio keeps its Benchmarks/), so
// that the product's package neither builds them nor shapes its API for them. It depends on
// the root package by path; the few internals it measures against (the writer's statements,
// its event ids, SQLite's process-wide settings) come through `@_spi(Benchmarks)`, which the
// product's public interface shows only to an importer that names that SPI.
// Build and run: `make bench`, or `swift run -c release --package-path Benchmarks trialbench`.
let package = Package(
    name: "trialtrack-benchmarks",
    platforms: [.macOS(.v13)],
    dependencies: [
        .package(name: "trialtrack", path: ".."),
        // The same packages and floors as the root's: one resolution for both.
        .package(url: "https://github.com/groue/GRDB.swift", from: "7.10.0"),
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
    ],
    targets: [
        // Prints figures beside baselines measured in the same run (raw SQLite, the log's own
        // SQL); never a timed test. See benchmarks/README.md.
        .executableTarget(
            name: "trialbench",
            dependencies: [
                .product(name: "TrialDomain", package: "trialtrack"),
                .product(name: "TrialStore", package: "trialtrack"),
                .product(name: "TrialProtocol", package: "trialtrack"),
                .product(name: "ClinicalTrialsGov", package: "trialtrack"),
                .product(name: "TrialsDaemon", package: "trialtrack"),
                .product(name: "RegistryTestSupport", package: "trialtrack"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "GRDBSQLite", package: "GRDB.swift"),
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ])
    ],
    swiftLanguageModes: [.v6]
)
