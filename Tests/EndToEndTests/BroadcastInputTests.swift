import Foundation
import Testing

extension EndToEnd {
    /// What a broadcast chain sends (an SDI encoder, a DVB multiplex, an interpretation desk), generated live by
    /// `ffmpeg -re` as MPEG-TS over UDP by `Scripts/broadcast_check.py`, one server per kind.
    @Suite("Broadcast inputs")
    struct BroadcastInputs {
        static let scripts = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Scripts")

        /// One channel `senate` listening on UDP `port`, policy `auto`, no ladder (the ladder has tests of its own).
        static func environment(port: Int, extra: [String: String] = [:]) -> [String: String] {
            EndToEnd.liveEnvironment(input: "udp://127.0.0.1:\(port)?overrun_nonfatal=1&fifo_size=1000000", loop: false, extra: [
                "SENATE_LIVE_CHANNEL_SENATE_TRANSCODE": "auto", "SENATE_LIVE_LADDER": "",
            ].merging(extra) { _, new in new })
        }

        /// Starts a server, runs the script's `kind` against it as the live encoder, returns its JSON report.
        @discardableResult
        static func check(_ kind: String, environment extra: [String: String] = [:], timeout: Double = 120) throws -> String {
            let port = try Spawn.freePort()
            let server = try ServerProcess(environment: environment(port: port, extra: extra))
            defer { server.stop() }
            let run = try Tool.run("python3", [scripts.appendingPathComponent("broadcast_check.py").path, server.baseURL, "\(port)", kind, server.dataDirectory.path], timeout: timeout)
            #expect(run.succeeded, "\(run.stderr)\n\(run.stdout)\nserver log:\n\(server.log.suffix(4000))")
            #expect(server.process.isRunning, "the server exited during \(kind): \(server.log.suffix(3000))")
            print("broadcast input \(kind): \(run.stdout)")
            return run.stdout
        }

        @Test("a live broadcast input: RFC 6381 CODECS that match the media, FRAME-RATE 25 after deinterlacing, each audio track a language-tagged rendition, ffprobe reads H.264/AAC (HEVC kept as hvc1), the input API says what is copied and what transcoded, and Chromium plays picture and sound in each language",
              arguments: ["mpeg2", "h264i_ac3", "h264_mp2", "hevc_aac", "two_audio"])
        func broadcastInput(kind: String) throws {
            // 1080p25 encoded in real time beside a 1080i encoder and Chromium on 2 cores: the fastest preset, or
            // the encoder falls behind and the rendition is dropped. What each preset costs is Benchmarks/ladder.sh's.
            try Self.check(kind, environment: kind == "h264i_ac3" ? ["SENATE_LIVE_ENCODER_PRESET": "ultrafast"] : [:])
        }

        @Test("an input with nothing to play (a data stream only), then a corrupt stretch in a good one: a clear log line, /readyz answers, nothing crashes, playback resumes")
        func badInput() throws {
            try Self.check("bad", environment: ["SENATE_LIVE_CHANNEL_SENATE_OPEN_TIMEOUT": "3"])
        }
    }
}
