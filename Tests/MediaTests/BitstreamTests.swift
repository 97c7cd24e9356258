import Testing
@testable import Media

@Suite("Bitstream helpers")
struct BitstreamTests {
    @Test("avc1 codec string from avcC and from Annex B extradata")
    func h264CodecString() {
        #expect(CodecString.h264(extradata: [0x01, 0x4D, 0x40, 0x1E, 0xFF], profile: 0, level: 0) == "avc1.4d401e")
        let annexB: [UInt8] = [0, 0, 0, 1, 0x67, 0x64, 0x00, 0x1F, 0xAC, 0, 0, 1, 0x68, 0xEE]
        #expect(CodecString.h264(extradata: annexB, profile: 0, level: 0) == "avc1.64001f")
        #expect(CodecString.h264(extradata: [], profile: 66, level: 30) == "avc1.42001e")
    }

    @Test("hvc1 codec string from hvcC and from an Annex B SPS (emulation prevention removed), Main compat flags 6")
    func hevcCodecString() {
        // profile_space 0, tier Main, profile 1; compatibility flags 0x60000000 (bits 1, 2); constraints B0; level 93.
        let ptl: [UInt8] = [0x01, 0x60, 0x00, 0x00, 0x00, 0xB0, 0, 0, 0, 0, 0, 93]
        #expect(CodecString.hevc(extradata: [0x01] + ptl + [0xF0, 0x00], profile: 0, level: 0) == "hvc1.1.6.L93.B0")
        // The same in an SPS NAL (type 33: header 0x42 0x01), with an emulation prevention byte in the zeros.
        let sps: [UInt8] = [0, 0, 0, 1, 0x42, 0x01, 0x01, 0x01, 0x60, 0x00, 0x00, 0x03, 0x00, 0xB0, 0x00, 0x00, 0x03, 0x00, 0x00, 0x00, 0x78]
        #expect(CodecString.hevc(extradata: sps, profile: 0, level: 0) == "hvc1.1.6.L120.B0")
        #expect(CodecString.hevc(extradata: [], profile: 1, level: 120) == "hvc1.1.6.L120.B0")
    }

    @Test("AudioSpecificConfig for AAC-LC 48 kHz stereo and HE-AAC 44.1 kHz mono")
    func audioSpecificConfig() {
        #expect(ADTSFilter.audioSpecificConfig(profile: 1, sampleRate: 48000, channels: 2) == [0x11, 0x90])
        #expect(ADTSFilter.audioSpecificConfig(profile: 1, sampleRate: 44100, channels: 1) == [0x12, 0x08])
    }

    @Test("the first muxer output splits into init (ftyp+moov) and the first fragment")
    func splitInitialization() {
        func box(_ type: String, _ payload: Int) -> [UInt8] {
            let size = UInt32(8 + payload)
            return [UInt8(size >> 24), UInt8(size >> 16 & 0xFF), UInt8(size >> 8 & 0xFF), UInt8(size & 0xFF)] + Array(type.utf8) + [UInt8](repeating: 7, count: payload)
        }
        let initialization = box("ftyp", 12) + box("moov", 40)
        let fragment = box("moof", 20) + box("mdat", 100)
        let split = MP4Boxes.splitInitialization(initialization + fragment)
        #expect(split.initialization == initialization)
        #expect(split.rest == fragment)
        #expect(MP4Boxes.topLevel(initialization + fragment).map(\.type) == ["ftyp", "moov", "moof", "mdat"])
        #expect(MP4Boxes.topLevel([0, 0, 0, 99, 0x6D]).isEmpty, "a truncated box is not read past the end")
    }

    @Test("URLs in logs lose credentials and query secrets")
    func redaction() {
        #expect(redactedURL("rtmp://user:pass@host/live/key") == "rtmp://***@host/live/key")
        #expect(redactedURL("srt://host:9000?passphrase=secret&mode=caller") == "srt://host:9000?…")
        #expect(redactedURL("/media/sample.mp4") == "/media/sample.mp4")
        #expect(redactedURL("http://host/a@b/index.m3u8") == "http://host/a@b/index.m3u8")
    }
}
