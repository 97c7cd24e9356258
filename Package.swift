// swift-tools-version:6.0
import PackageDescription

let package = Package(
    name: "senate-live",
    platforms: [.macOS(.v14)],
    products: [
        .executable(name: "senate-live", targets: ["SenateLive"]),
        .executable(name: "senate-live-bench", targets: ["SenateLiveBench"]),
    ],
    dependencies: [
        .package(url: "https://github.com/hummingbird-project/hummingbird", exact: "2.28.1"),
        .package(url: "https://github.com/apple/swift-argument-parser", exact: "1.8.2"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", exact: "2.13.0"),
        .package(url: "https://github.com/apple/swift-log", exact: "1.16.2"),
        .package(url: "https://github.com/apple/swift-metrics", exact: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus", exact: "2.4.1"),
        .package(url: "https://github.com/apple/swift-nio", exact: "2.101.3"),
        .package(url: "https://github.com/jpsim/Yams", exact: "6.2.2"),
        .package(url: "https://github.com/apple/swift-http-types", exact: "1.8.0"),
        .package(url: "https://github.com/hummingbird-project/hummingbird-websocket", exact: "2.8.1"),
        .package(url: "https://github.com/groue/GRDB.swift", exact: "7.10.0"),
        .package(url: "https://github.com/vapor/jwt-kit", exact: "5.8.0"),
        .package(url: "https://github.com/apple/swift-crypto", exact: "4.5.2"),
        .package(url: "https://github.com/adam-fowler/compress-nio", exact: "1.5.0"),
        .package(url: "https://github.com/vapor/postgres-nio", exact: "1.33.2"),
        .package(url: "https://github.com/swift-server/async-http-client", exact: "1.37.0"),
    ],
    targets: [
        .systemLibrary(
            name: "CFFmpeg",
            pkgConfig: "libavformat libavcodec libavfilter libavutil",
            providers: [.apt(["libavformat-dev", "libavcodec-dev", "libavfilter-dev", "libavutil-dev"])]
        ),
        .target(
            name: "Media",
            dependencies: [
                "CFFmpeg",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
            ]
        ),
        .target(name: "WallClock"),
        // SQLite through async calls only, admission locks, and the one way off the cooperative pool.
        .target(
            name: "Storage",
            dependencies: [.product(name: "GRDB", package: "GRDB.swift")]
        ),
        .target(
            name: "HLS",
            dependencies: [
                "WallClock",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOFoundationCompat", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        .target(
            name: "Relay",
            dependencies: [
                "WallClock", "Storage",
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        .target(
            name: "RelayPostgres",
            dependencies: [
                "Relay", "WallClock",
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        .target(
            name: "Archive",
            dependencies: [
                "WallClock", "Storage",
                .product(name: "GRDB", package: "GRDB.swift"),
            ]
        ),
        .target(
            name: "Alerts",
            dependencies: [
                "Relay", "WallClock", "Storage",
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "JWTKit", package: "jwt-kit"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ]
        ),
        // The subscriber side of the relay: WebSocket sessions written from the hub per event loop, SSE,
        // catch-up, deflate, frame checks.
        .target(
            name: "RelayTransport",
            dependencies: [
                "Relay", "Storage",
                .product(name: "CompressNIO", package: "compress-nio"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdWebSocket", package: "hummingbird-websocket"),
                .product(name: "HummingbirdWSCompression", package: "hummingbird-websocket"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOWebSocket", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ]
        ),
        // The live origin: each channel's ingest into its segment store, with the sitting's date ranges and
        // captions put onto the playlists by a follower of the log.
        .target(
            name: "LiveOrigin",
            dependencies: [
                "HLS", "Media", "Relay", "Storage", "WallClock",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ]
        ),
        // Sittings into the archive: the catalog fed from the log, VOD folders, recording.mp4, clips, retention.
        .target(
            name: "Recorder",
            dependencies: [
                "Archive", "HLS", "Media", "Relay", "Storage", "WallClock",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ]
        ),
        .target(
            name: "Server",
            dependencies: [
                "Media", "HLS", "Relay", "RelayTransport", "LiveOrigin", "Recorder", "RelayPostgres", "Archive", "Alerts", "WallClock", "Storage",
                .product(name: "HummingbirdWebSocket", package: "hummingbird-websocket"),
                .product(name: "HummingbirdWSCompression", package: "hummingbird-websocket"),
                .product(name: "JWTKit", package: "jwt-kit"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
                .product(name: "NIOWebSocket", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdCore", package: "hummingbird"),
                .product(name: "HummingbirdHTTP2", package: "hummingbird"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Yams", package: "Yams"),
            ],
            resources: [.copy("Public")]
        ),
        .executableTarget(
            name: "SenateLive",
            dependencies: [
                "Server", "LiveOrigin", "Alerts", "WallClock",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        // Load generators for Benchmarks/ (not used by the server or the tests).
        .executableTarget(
            name: "SenateLiveBench",
            dependencies: [
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOWebSocket", package: "swift-nio"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
                .product(name: "CompressNIO", package: "compress-nio"),
            ]
        ),
        .testTarget(name: "MediaTests", dependencies: ["Media"]),
        .testTarget(name: "HLSTests", dependencies: ["HLS"]),
        .testTarget(name: "WallClockTests", dependencies: ["WallClock"]),
        .testTarget(name: "StorageTests", dependencies: ["Storage", .product(name: "GRDB", package: "GRDB.swift")]),
        .testTarget(name: "RelayTests", dependencies: ["Relay", "WallClock", "Storage"]),
        .testTarget(name: "ArchiveTests", dependencies: ["Archive"]),
        .testTarget(name: "AlertsTests", dependencies: ["Alerts", "Relay", "Storage", "WallClock", .product(name: "Crypto", package: "swift-crypto")], exclude: ["Scripts"]),
        .testTarget(name: "RelayPostgresTests", dependencies: ["RelayPostgres"]),
        .testTarget(name: "RelayTransportTests", dependencies: [
            "RelayTransport", "Relay",
            .product(name: "CompressNIO", package: "compress-nio"), .product(name: "NIOCore", package: "swift-nio"),
            .product(name: "NIOEmbedded", package: "swift-nio"), .product(name: "NIOWebSocket", package: "swift-nio"),
        ]),
        .testTarget(name: "LiveOriginTests", dependencies: ["LiveOrigin", "HLS", "Relay", "WallClock"]),
        .testTarget(name: "RecorderTests", dependencies: ["Recorder", "Archive", "Relay", "WallClock"]),
        .testTarget(name: "ServerTests", dependencies: ["Server", "Media", .product(name: "Yams", package: "Yams"), .product(name: "NIOCore", package: "swift-nio"), .product(name: "NIOHTTP1", package: "swift-nio")]),
        // Starts the real `senate-live` binary: run `swift build` first.
        .testTarget(name: "EndToEndTests", exclude: ["Scripts"]),
    ],
    swiftLanguageModes: [.v6]
)
