import CFFmpeg

/// Decodes one audio track and encodes it as AAC-LC 48 kHz (stereo, or mono from mono), on the ingest
/// thread: audio is cheap next to video, and its packets then arrive in step with the copied ones.
final class AudioTranscoder {
    private let decoder: Decoder
    let encoder: Encoder
    private var graph: FilterGraph?
    /// Sample rate, format and channel count the graph was built for: a change rebuilds it.
    private var signature: (Int32, Int32, Int32) = (0, 0, 0)
    private let timeBase: AVRational
    private let channels: Int32

    init(stream: UnsafeMutablePointer<AVStream>, bitrate: Int = 128_000) throws {
        timeBase = stream.pointee.time_base
        decoder = try Decoder(parameters: stream.pointee.codecpar, timeBase: timeBase)
        channels = stream.pointee.codecpar.pointee.ch_layout.nb_channels == 1 ? 1 : 2
        encoder = try Encoder(aacChannels: channels, bitrate: channels == 1 ? bitrate / 2 : bitrate)
    }

    /// The encoder's time base (1/48000): the timestamps of the packets handed out.
    var outputTimeBase: AVRational { encoder.context.pointee.time_base }

    /// Transcodes one packet (timestamps on the output timeline, the stream's time base; nil: drain) and hands
    /// each AAC packet to `body`.
    func transcode(_ packet: Packet?, _ body: (Packet) throws -> Void) throws {
        try decoder.decode(packet?.pointer) { frame in
            try filter(frame, body)
        }
        if packet == nil {
            if let graph { try graph.filter(nil) { try encode($0, body) } }
            try encoder.encode(nil, body)
        }
    }

    private func filter(_ frame: Frame, _ body: (Packet) throws -> Void) throws {
        let now = (frame.pointer.pointee.sample_rate, frame.pointer.pointee.format, frame.pointer.pointee.ch_layout.nb_channels)
        if graph == nil || now != signature {
            if let graph { try graph.filter(nil) { try encode($0, body) } }
            let layout = channels == 1 ? "mono" : "stereo"
            graph = try FilterGraph(audioFrom: decoder, timeBase: timeBase,
                                    description: "aresample=48000,aformat=sample_fmts=fltp:channel_layouts=\(layout)",
                                    frameSize: encoder.frameSize)
            signature = now
        }
        try graph!.filter(frame) { try encode($0, body) }
    }

    private func encode(_ frame: Frame, _ body: (Packet) throws -> Void) throws {
        guard let graph else { return }
        frame.pointer.pointee.pts = av_rescale_q(frame.pointer.pointee.pts, graph.outputTimeBase, outputTimeBase)
        try encoder.encode(frame, body)
    }
}
