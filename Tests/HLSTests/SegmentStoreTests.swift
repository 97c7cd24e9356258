import Foundation
import NIOCore
import Testing
@testable import HLS

@Suite("SegmentStore")
struct SegmentStoreTests {
    static func store(timeout: Double = 2, disk: SegmentDisk? = nil) async -> SegmentStore {
        let store = SegmentStore(channel: "senate", renditions: ["source"], configuration: .init(partTarget: 0.5, segmentTarget: 2, blockingTimeout: timeout), disk: disk)
        await store.beginSession(["source": StreamDescription(codecs: ["avc1.4d401e"], width: 320, height: 240)])
        await store.setInitialization(rendition: "source", bytes: ByteBuffer(string: "init"))
        return store
    }

    @Test("a blocking request waits for the part and answers as soon as it is appended")
    func blockingWaitsForPart() async throws {
        let store = await Self.store()
        await store.appendPart(rendition: "source", duration: 0.5, independent: true, programDateTime: Date(), bytes: ByteBuffer(string: "p0"))
        async let playlist = store.mediaPlaylist(rendition: "source", blocking: BlockingRequest(msn: 0, part: 1))
        try await Task.sleep(for: .milliseconds(100))
        #expect(await store.waitingRequests == 1)
        await store.appendPart(rendition: "source", duration: 0.5, independent: false, programDateTime: Date(), bytes: ByteBuffer(string: "p1"))
        let text = try await playlist
        #expect(text.contains("URI=\"0.1.m4s\""))
        #expect(await store.waitingRequests == 0)
    }

    @Test("a blocking request not satisfied in time fails with timedOut; far ahead fails at once")
    func timeoutAndTooFar() async throws {
        let store = await Self.store(timeout: 0.2)
        await store.appendPart(rendition: "source", duration: 0.5, independent: true, programDateTime: Date(), bytes: ByteBuffer(string: "p0"))
        await #expect(throws: HLSError(.timedOut, "segment 0 part 5 did not arrive in time")) {
            _ = try await store.mediaPlaylist(rendition: "source", blocking: BlockingRequest(msn: 0, part: 5))
        }
        do {
            _ = try await store.mediaPlaylist(rendition: "source", blocking: BlockingRequest(msn: 9))
            Issue.record("expected badRequest")
        } catch let error as HLSError {
            #expect(error.code == .badRequest)
        }
    }

    @Test("the hinted part is served once cut; other missing parts are 404 at once")
    func preloadHintPart() async throws {
        let store = await Self.store()
        await store.appendPart(rendition: "source", duration: 0.5, independent: true, programDateTime: Date(), bytes: ByteBuffer(string: "p0"))
        async let hinted = store.part(rendition: "source", msn: 0, index: 1)
        try await Task.sleep(for: .milliseconds(50))
        await store.appendPart(rendition: "source", duration: 0.5, independent: false, programDateTime: Date(), bytes: ByteBuffer(string: "p1"))
        #expect(try await hinted == ByteBuffer(string: "p1"))
        await #expect(throws: HLSError.self) { _ = try await store.part(rendition: "source", msn: 0, index: 7) }
    }

    @Test("closed segments go to disk with an index, and a new store continues the numbering")
    func diskAndRestart() async throws {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("store-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: root) }
        let disk = SegmentDisk(root: root)
        let store = await Self.store(disk: disk)
        for _ in 0..<3 {
            await store.appendPart(rendition: "source", duration: 1, independent: true, programDateTime: Date(), bytes: ByteBuffer(string: "a"))
            await store.appendPart(rendition: "source", duration: 1, independent: false, programDateTime: Date(), bytes: ByteBuffer(string: "b"))
            await store.endSegment()
        }
        await disk.flush()
        #expect(disk.index(rendition: "source").map(\.msn) == [0, 1, 2])
        #expect(disk.index(rendition: "source").allSatisfy { $0.duration == 2 })
        #expect(await store.segment(rendition: "source", msn: 1) == ByteBuffer(string: "ab"))

        let again = await Self.store(disk: disk)
        await again.appendPart(rendition: "source", duration: 1, independent: true, programDateTime: Date(), bytes: ByteBuffer(string: "c"))
        #expect(await again.latestPart(rendition: "source")! == (3, 0))
        #expect(await again.initialization(rendition: "source", generation: nil) == ByteBuffer(string: "init"))
        #expect(await again.segment(rendition: "source", msn: 0) == ByteBuffer(string: "ab"), "served from disk")
    }
}
