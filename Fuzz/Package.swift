// swift-tools-version:6.1
import PackageDescription

// The fuzz target for what a peer sends trialsd: the JSON parser, the Varlink call, the event
// contract, every payload and the ClinicalTrials.gov record. A package of its own, so that the
// product's package stays lean; built with libFuzzer by ./run (`make fuzz`).
let package = Package(
    name: "trialtrack-fuzz",
    platforms: [.macOS(.v13)],
    dependencies: [.package(name: "trialtrack", path: "..")],
    targets: [
        .executableTarget(
            name: "TrialFuzz",
            dependencies: [
                .product(name: "TrialJSON", package: "trialtrack"),
                .product(name: "TrialDomain", package: "trialtrack"),
                .product(name: "TrialProtocol", package: "trialtrack"),
                .product(name: "ClinicalTrialsGov", package: "trialtrack"),
            ],
            // No top-level code: the entry is TrialFuzz_main, which starts libFuzzer's driver.
            swiftSettings: [.unsafeFlags(["-parse-as-library"])],
            // libFuzzer itself is linked here only; ./run instruments every module for coverage.
            linkerSettings: [.unsafeFlags(["-sanitize=fuzzer"])])
    ],
    swiftLanguageModes: [.v5]
)
