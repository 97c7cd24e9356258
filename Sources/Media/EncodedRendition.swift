import CFFmpeg
import Foundation
import NIOCore

/// One H.264 rendition encoded from the decoded (and deinterlaced) source: its scaler, its encoder and its
/// fMP4 muxer, which also carries the floor audio. Lives on the transcoder's thread.
final class EncodedRendition {
    /// What to make.
    struct Target {
        var name: String
        /// Output size; the source rung keeps the input's size and sample aspect ratio.
        var width: Int32
        var height: Int32
        var squarePixels: Bool
        var bitrate: Int
    }

    let target: Target
    let encoder: Encoder
    let muxer: FragmentedMuxer
    private var scaler: FilterGraph?
    private var scalerInput: FilterGraph.Picture?
    private(set) var hasEmittedInitialization = false
    static let videoKey = -1

    init(target: Target, picture: FilterGraph.Picture, preset: String, audio: FragmentedMuxer.Input?) throws {
        self.target = target
        encoder = try Encoder(video: .init(
            width: target.width, height: target.height,
            sampleAspect: target.squarePixels ? AVRational(num: 1, den: 1) : picture.sampleAspect,
            timeBase: picture.timeBase, frameRate: picture.frameRate, bitrate: target.bitrate, preset: preset
        ))
        var streams = [FragmentedMuxer.Input(key: Self.videoKey, parameters: encoder.parameters, timeBase: encoder.context.pointee.time_base, language: nil)]
        if let audio { streams.append(audio) }
        muxer = try FragmentedMuxer(streams: streams, referenceStream: Self.videoKey)
    }

    /// Scales `frame` to the target size and encodes it into the muxer.
    func encode(_ frame: Frame, picture: FilterGraph.Picture, keyframe: Bool) throws {
        let timeBase = encoder.context.pointee.time_base
        // The source's own size in the encoder's format needs no scaler pass.
        if !target.squarePixels, frame.pointer.pointee.width == target.width, frame.pointer.pointee.height == target.height,
           frame.pointer.pointee.format == AV_PIX_FMT_YUV420P.rawValue {
            try encoder.encode(frame, keyframe: keyframe) { try write($0, timeBase) }
            return
        }
        if scaler == nil || scalerInput != picture.matching(frame) {
            let input = picture.matching(frame)
            scaler = try FilterGraph(picture: input, description: "scale=\(target.width):\(target.height)\(target.squarePixels ? ",setsar=1" : ""),format=yuv420p")
            scalerInput = input
        }
        try scaler!.filter(frame) { scaled in
            try encoder.encode(scaled, keyframe: keyframe) { try write($0, timeBase) }
        }
    }

    /// Drains the encoder (end of session).
    func drain() throws {
        let timeBase = encoder.context.pointee.time_base
        try encoder.encode(nil) { try write($0, timeBase) }
    }

    private func write(_ packet: Packet, _ timeBase: AVRational) throws {
        packet.pointer.pointee.stream_index = Int32(Self.videoKey)
        let seconds = av_q2d(timeBase)
        try muxer.write(packet, dts: Double(packet.pointer.pointee.dts) * seconds, duration: Double(packet.pointer.pointee.duration) * seconds)
    }

    /// Ends the fragment: its init section the first time, then the part.
    func flush() throws -> (initialization: ByteBuffer?, fragment: FragmentedMuxer.Fragment)? {
        guard let fragment = try muxer.flushFragment() else { return nil }
        defer { hasEmittedInitialization = true }
        return (hasEmittedInitialization ? nil : muxer.initialization, fragment)
    }
}
