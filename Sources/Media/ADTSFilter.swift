import CFFmpeg

/// AAC from MPEG-TS (and RTMP/SRT carrying TS) comes as ADTS frames, which MP4 does not take. This owns an
/// `aac_adtstoasc` bitstream filter that strips the ADTS headers in place, and gives the stream the
/// AudioSpecificConfig the muxer needs up front (its init section is written before the first audio packet).
final class ADTSFilter {
    private var context: UnsafeMutablePointer<AVBSFContext>

    /// nil when the stream is not AAC or already has its configuration (MP4/MKV/FLV sources).
    init?(stream: UnsafeMutablePointer<AVStream>) throws {
        let par = stream.pointee.codecpar!
        guard par.pointee.codec_id == AV_CODEC_ID_AAC, par.pointee.extradata_size == 0 else { return nil }
        guard let filter = av_bsf_get_by_name("aac_adtstoasc") else { throw MediaError(.muxerFailed, "aac_adtstoasc is not built in") }
        var maybeContext: UnsafeMutablePointer<AVBSFContext>?
        guard av_bsf_alloc(filter, &maybeContext) >= 0, let context = maybeContext else { throw MediaError(.muxerFailed, "out of memory") }
        self.context = context
        avcodec_parameters_copy(context.pointee.par_in, par)
        context.pointee.time_base_in = stream.pointee.time_base
        let status = av_bsf_init(context)
        if status < 0 { throw MediaError(.muxerFailed, "aac_adtstoasc: \(MediaError.ffmpegText(status))") }
        Self.setAudioSpecificConfig(par)
    }

    deinit {
        var maybeContext: UnsafeMutablePointer<AVBSFContext>? = context
        av_bsf_free(&maybeContext)
    }

    /// Strips the ADTS header of `packet` in place. Returns false when the packet is to be dropped.
    func filter(_ packet: Packet) -> Bool {
        guard av_bsf_send_packet(context, packet.pointer) >= 0 else {
            packet.unref()
            return false
        }
        return av_bsf_receive_packet(context, packet.pointer) >= 0
    }

    /// The two-byte AudioSpecificConfig (ISO 14496-3 §1.6.2.1) from what the parser learnt of the stream.
    static func audioSpecificConfig(profile: Int32, sampleRate: Int32, channels: Int32) -> [UInt8] {
        let rates: [Int32] = [96000, 88200, 64000, 48000, 44100, 32000, 24000, 22050, 16000, 12000, 11025, 8000, 7350]
        let objectType = UInt16(profile >= 0 ? profile + 1 : 2)
        let rateIndex = UInt16(rates.firstIndex(of: sampleRate) ?? 3)
        let channelConfig = UInt16(channels == 8 ? 7 : max(0, min(7, channels)))
        let bits = objectType << 11 | rateIndex << 7 | channelConfig << 3
        return [UInt8(bits >> 8), UInt8(bits & 0xFF)]
    }

    private static func setAudioSpecificConfig(_ par: UnsafeMutablePointer<AVCodecParameters>) {
        let config = audioSpecificConfig(profile: par.pointee.profile, sampleRate: par.pointee.sample_rate, channels: par.pointee.ch_layout.nb_channels)
        let padding = Int(AV_INPUT_BUFFER_PADDING_SIZE)
        guard let memory = av_mallocz(config.count + padding)?.assumingMemoryBound(to: UInt8.self) else { return }
        memory.update(from: config, count: config.count)
        par.pointee.extradata = memory
        par.pointee.extradata_size = Int32(config.count)
    }
}
