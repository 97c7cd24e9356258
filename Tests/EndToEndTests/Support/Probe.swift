import Foundation

/// What `ffprobe` sees in a piece of media.
struct Probe {
    let codecs: [String]
    /// Media time covered by the packets of the first stream (video when present): last end − first start.
    /// (A part's container duration counts from time zero, not from its first timestamp.)
    let duration: Double

    /// Probes `bytes` (an init section followed by a segment or part) through a temporary file.
    static func media(_ bytes: Data) throws -> Probe {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("probe-\(UUID().uuidString).mp4")
        try bytes.write(to: url)
        defer { try? FileManager.default.removeItem(at: url) }
        return try file(url.path)
    }

    static func file(_ path: String) throws -> Probe {
        let streams = try Tool.run("ffprobe", ["-v", "error", "-show_entries", "stream=codec_name", "-of", "csv=p=0", path])
        guard streams.succeeded else { throw FixtureError(message: "ffprobe failed on \(path): \(streams.stderr)") }
        let packets = try Tool.run("ffprobe", ["-v", "error", "-select_streams", "0", "-show_entries", "packet=pts_time,duration_time", "-of", "csv=p=0", path])
        guard packets.succeeded else { throw FixtureError(message: "ffprobe failed on \(path): \(packets.stderr)") }
        let spans = packets.stdout.split(separator: "\n").compactMap { line -> (Double, Double)? in
            let fields = line.split(separator: ",").compactMap { Double($0) }
            return fields.count == 2 ? (fields[0], fields[0] + fields[1]) : nil
        }
        let start = spans.map(\.0).min() ?? 0, end = spans.map(\.1).max() ?? 0
        return Probe(codecs: streams.stdout.split(separator: "\n").map(String.init), duration: end - start)
    }
}
