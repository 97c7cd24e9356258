import CFFmpeg

/// RFC 6381 codec strings for the codecs HLS players take in fMP4.
enum CodecString {
    static func make(_ parameters: UnsafeMutablePointer<AVCodecParameters>) -> String {
        let par = parameters.pointee
        let extradata = par.extradata.map { [UInt8](UnsafeBufferPointer(start: $0, count: Int(par.extradata_size))) } ?? []
        switch par.codec_id {
        case AV_CODEC_ID_H264:
            return h264(extradata: extradata, profile: par.profile, level: par.level)
        case AV_CODEC_ID_HEVC:
            let profile = par.profile > 0 ? par.profile : 1
            let level = par.level > 0 ? par.level : 93
            return "hvc1.\(profile).4.L\(level).B0"
        case AV_CODEC_ID_AAC:
            // AVCodecParameters.profile is the MPEG-4 audio object type minus one (LC = 1 → 2).
            let objectType = par.profile >= 0 ? par.profile + 1 : 2
            return "mp4a.40.\(objectType)"
        case AV_CODEC_ID_MP3:
            return "mp4a.40.34"
        case AV_CODEC_ID_AC3:
            return "ac-3"
        case AV_CODEC_ID_EAC3:
            return "ec-3"
        case AV_CODEC_ID_OPUS:
            return "Opus"
        default:
            return String(cString: avcodec_get_name(par.codec_id))
        }
    }

    /// `avc1.PPCCLL` from the SPS: profile_idc, constraint flags, level_idc.
    static func h264(extradata: [UInt8], profile: Int32, level: Int32) -> String {
        if let sps = spsHeader(extradata) {
            return "avc1." + sps.map { hex($0) }.joined()
        }
        let p = profile > 0 ? UInt8(truncatingIfNeeded: profile) : 77
        let l = level > 0 ? UInt8(truncatingIfNeeded: level) : 31
        return "avc1.\(hex(p))00\(hex(l))"
    }

    /// The three bytes after the SPS NAL header, from avcC (`01 PP CC LL …`) or Annex B extradata.
    static func spsHeader(_ data: [UInt8]) -> [UInt8]? {
        if data.count >= 4, data[0] == 1 { return Array(data[1...3]) }
        var index = 0
        while index + 4 < data.count {
            let isStart3 = data[index] == 0 && data[index + 1] == 0 && data[index + 2] == 1
            if isStart3 {
                let header = data[index + 3]
                if header & 0x1F == 7, index + 6 < data.count { return Array(data[(index + 4)...(index + 6)]) }
                index += 3
            } else {
                index += 1
            }
        }
        return nil
    }

    private static func hex(_ byte: UInt8) -> String {
        let digits = Array("0123456789abcdef")
        return String([digits[Int(byte >> 4)], digits[Int(byte & 0x0F)]])
    }
}
