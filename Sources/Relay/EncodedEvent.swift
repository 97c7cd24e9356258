import Foundation
import WallClock
import NIOCore

/// An event encoded once, in every form a transport sends, shared by all subscribers (the bytes are
/// never copied per subscriber). A class: handing it to ten thousand queues costs one retain each.
public final class EncodedEvent: Sendable {
    public let seq: Int64
    public let channel: String
    /// The event itself, for in-process consumers (live sync of playlists).
    public let event: Event
    /// The event object.
    public let json: ByteBuffer
    /// `{"op":"event", …event}` for WebSocket.
    public let webSocketText: ByteBuffer
    /// `id: seq`, `event: type`, `data: json` for Server-Sent Events.
    public let serverSentEvent: ByteBuffer
    /// A final transcript line's text folded for keyword follows (`Keyword.fold`), once per event rather
    /// than once per subscriber; nil for other events.
    public let foldedLine: String?

    public init(_ event: Event) throws {
        let object = try EventCoding.encoder.encode(event)
        seq = event.seq
        channel = event.channel
        self.event = event
        json = ByteBuffer(bytes: object)
        var frame = ByteBuffer(string: #"{"op":"event","#)
        frame.writeBytes(object.dropFirst())
        webSocketText = frame
        var sse = ByteBuffer(string: "id: \(event.seq)\nevent: \(event.type.rawValue)\ndata: ")
        sse.writeBytes(object)
        sse.writeString("\n\n")
        serverSentEvent = sse
        if case .transcriptLine(let line) = event.payload, line.final { foldedLine = Keyword.fold(line.text) } else { foldedLine = nil }
    }
}

/// The JSON coders of events: dates as ISO 8601 with milliseconds, `/` unescaped, Thai as UTF-8.
public enum EventCoding {
    public static let encoder: JSONEncoder = {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.withoutEscapingSlashes, .sortedKeys]
        encoder.dateEncodingStrategy = .wallClock
        return encoder
    }()
}
