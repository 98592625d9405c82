// swift-tools-version: 6.1
import PackageDescription

// Dependencies, and why each one:
// - swift-argument-parser: the `tamis` command line (subcommands, help, exit codes).
// - Yams: pipeline definitions are YAML; its `Node` API keeps line/column marks, which
//   `tamis validate` needs to point at the offending line.
// - GRDB.swift: the embedded SQLite base (migrations, transactions, prepared statements).
// - libxml2 (Debian libxml2-dev, system library): streaming XML (xmlTextReader) with
//   network and external entities switched off.
// - zlib (Debian zlib1g-dev, system library): SIRENE stock files come zipped (several GB).
//   The zip container is read by hand from its local headers, as a stream: ZIPFoundation
//   needs the central directory at the end of the file, which a truncated download lacks,
//   and a steward must then be told how far the file could be read.
// The CSV reader is hand-written: it must work on raw bytes at hundreds of MB/s, detect
// French Excel dialects (cp1252, `;`, CRLF) and quarantine malformed rows with their line
// numbers instead of failing the whole file — no Swift CSV library available here does that.
// Release builds skip the run-time exclusivity checks (swift_beginAccess/endAccess on every
// access to a class property or global in the hot loops: 3-5% of a million-record run's CPU).
// Debug builds, which run the tests, keep them, so an overlapping access is still caught there.
let releaseSettings: [SwiftSetting] = [.unsafeFlags(["-enforce-exclusivity=unchecked"], .when(configuration: .release))]

let package = Package(
    name: "Tamis",
    platforms: [.macOS(.v13)],
    products: [
        .executable(name: "tamis", targets: ["tamis"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/jpsim/Yams", from: "6.0.0"),
        .package(url: "https://github.com/groue/GRDB.swift", from: "7.0.0"),
    ],
    targets: [
        .systemLibrary(
            name: "CLibXML2",
            pkgConfig: "libxml-2.0",
            providers: [.apt(["libxml2-dev"])]
        ),
        // zlib (Debian zlib1g-dev): inflating INSEE's zipped SIRENE stock files as a stream.
        .systemLibrary(
            name: "CZlib",
            pkgConfig: "zlib",
            providers: [.apt(["zlib1g-dev"])]
        ),
        // libphonenumber (Debian libphonenumber-dev), the reference for phone numbers, behind
        // a C shim: Swift calls plain C, no C++ interop needed.
        .target(
            name: "CPhoneNumber",
            linkerSettings: [.linkedLibrary("phonenumber"), .linkedLibrary("stdc++")]
        ),
        // A few POSIX calls Swift's Glibc overlay does not expose (renameat2 for an
        // atomic swap of the output directory), and SQLite's process-wide options (its
        // variadic sqlite3_config is not callable from Swift).
        .target(name: "CTamisSys", linkerSettings: [.linkedLibrary("sqlite3")]),
        // A cache prefetch hint for the comparison loop (header only; Swift has none).
        .target(name: "CPrefetch"),
        // The normaliser's clean-row byte scan, sixteen bytes a step with SSE2 (header only;
        // Swift's SIMD types compiled to scalar code for it).
        .target(name: "CByteScan"),
        // Pure core: record model, folding, header mapping, lineage, stages. No I/O.
        .target(name: "TamisCore", dependencies: ["CPrefetch", "CByteScan"], swiftSettings: releaseSettings),
        // Format adapters: CSV, encodings, XML (libxml2), SQLite (GRDB), atomic files.
        .target(
            name: "TamisIO",
            dependencies: [
                "TamisCore", "CLibXML2", "CTamisSys", "CPhoneNumber", "CZlib",
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "GRDBSQLite", package: "GRDB.swift"),
            ],
            swiftSettings: releaseSettings
        ),
        // Pipeline definitions (YAML), validation, the runner, lineage and summary.
        .target(
            name: "TamisPipeline",
            dependencies: ["TamisCore", "TamisIO", .product(name: "Yams", package: "Yams")],
            swiftSettings: releaseSettings
        ),
        .executableTarget(
            name: "tamis",
            dependencies: [
                "TamisPipeline", "TamisIO", "TamisCore",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            swiftSettings: releaseSettings
        ),
        // Synthetic French prospects with ground truth, and pairwise quality measures: for
        // benchmarks and tests of matching, on data the matcher was not tuned on.
        .target(name: "TamisSynthetic", dependencies: ["TamisCore", "TamisIO"], swiftSettings: releaseSettings),
        // Release-mode benchmarks, kept apart from the tests: `swift run -c release tamis-bench`.
        .executableTarget(
            name: "tamis-bench",
            dependencies: ["TamisCore", "TamisIO", "TamisPipeline", "TamisSynthetic", "CLibXML2"],
            swiftSettings: releaseSettings
        ),
        .testTarget(name: "TamisCoreTests", dependencies: ["TamisCore"]),
        .testTarget(name: "TamisIOTests", dependencies: ["TamisIO", "TamisCore", .product(name: "GRDB", package: "GRDB.swift")]),
        .testTarget(name: "TamisPipelineTests", dependencies: ["TamisPipeline", "TamisIO", "TamisCore", "TamisSynthetic", "CZlib"]),
    ],
    swiftLanguageModes: [.v5],
    cxxLanguageStandard: .cxx17
)
