import CFFmpeg

/// RFC 6381 codec strings (ISO 14496-15 Annex E for AVC/HEVC), never FFmpeg's codec names: an HLS client
/// decides from `CODECS` whether it can play a variant at all.
enum CodecString {
    /// The string for a stream; "" when the codec has none we know (it is then left out of `CODECS`).
    static func make(_ parameters: UnsafePointer<AVCodecParameters>) -> String {
        let par = parameters.pointee
        let extradata = par.extradata.map { [UInt8](UnsafeBufferPointer(start: $0, count: Int(par.extradata_size))) } ?? []
        switch par.codec_id {
        case AV_CODEC_ID_H264:
            return h264(extradata: extradata, profile: par.profile, level: par.level)
        case AV_CODEC_ID_HEVC:
            return hevc(extradata: extradata, profile: par.profile, level: par.level)
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
        case AV_CODEC_ID_MP2, AV_CODEC_ID_MP1:
            return "mp4a.6B"  // objectTypeIndication 0x6B: MPEG-1 audio
        case AV_CODEC_ID_MPEG2VIDEO:
            return "mp4v.61"  // objectTypeIndication 0x61: MPEG-2 video, Main profile
        case AV_CODEC_ID_OPUS:
            return "Opus"
        case AV_CODEC_ID_FLAC:
            return "fLaC"
        default:
            return ""
        }
    }

    /// `hvc1.[space]profile.compat.[L|H]level.constraints`: from the hvcC record, or from the SPS of Annex B
    /// extradata (MPEG-TS). Compatibility flags are written bit-reversed, constraint bytes without trailing zeros.
    static func hevc(extradata: [UInt8], profile: Int32, level: Int32) -> String {
        guard let ptl = hevcProfileTierLevel(extradata) else {
            let p = profile > 0 ? profile : 1
            // Main and Main 10 signal themselves and Main as compatible (flags 1 and 2 → "6").
            return "hvc1.\(p).6.L\(level > 0 ? level : 93).B0"
        }
        let space = ["", "A", "B", "C"][Int(ptl[0] >> 6)]
        let tier = ptl[0] & 0x20 != 0 ? "H" : "L"
        let compat = UInt32(ptl[1]) << 24 | UInt32(ptl[2]) << 16 | UInt32(ptl[3]) << 8 | UInt32(ptl[4])
        var reversed: UInt32 = 0
        for bit in 0..<32 where compat & (1 << bit) != 0 { reversed |= 1 << (31 - bit) }
        var constraints = Array(ptl[5...10])
        while constraints.last == 0 { constraints.removeLast() }
        var text = "hvc1.\(space)\(ptl[0] & 0x1F).\(String(reversed, radix: 16, uppercase: true)).\(tier)\(ptl[11])"
        text += constraints.isEmpty ? ".0" : "." + constraints.map { String($0, radix: 16, uppercase: true) }.joined(separator: ".")
        return text
    }

    /// The 12 bytes of general profile_tier_level: space/tier/profile, 4 compatibility bytes, 6 constraint
    /// bytes, level.
    static func hevcProfileTierLevel(_ data: [UInt8]) -> [UInt8]? {
        if data.count >= 13, data[0] == 1 { return Array(data[1...12]) }
        var index = 0
        while index + 3 < data.count {
            guard data[index] == 0, data[index + 1] == 0, data[index + 2] == 1 else { index += 1; continue }
            let start = index + 3
            if (data[start] >> 1) & 0x3F == 33 {  // SPS
                // Remove emulation prevention bytes (00 00 03) from what follows the two-byte NAL header.
                var payload: [UInt8] = []
                var zeros = 0
                for byte in data[(start + 2)...] {
                    if zeros >= 2 && byte == 3 { zeros = 0; continue }
                    payload.append(byte)
                    zeros = byte == 0 ? zeros + 1 : 0
                    if payload.count >= 13 { break }
                }
                // First byte: VPS id, max sub-layers, temporal id nesting; profile_tier_level follows.
                return payload.count >= 13 ? Array(payload[1...12]) : nil
            }
            index = start
        }
        return nil
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
