/// Recognises a WebSocket upgrade request (RFC 6455 §4.2.1) in a raw HTTP/1.1 request head. Strict on
/// purpose: whatever it does not fully understand is left to the HTTP server, which answers it as HTTP.
public enum WebSocketRequest {
    /// The head's headers when it is `GET <path>[?query] HTTP/1.1` asking to upgrade to `websocket`, with
    /// no body; nil otherwise (another request, a body, a folded or malformed line).
    public static func headers(ofUpgrade head: String, path: String) -> [(name: String, value: String)]? {
        var lines = head.split(separator: "\r\n" as Character, omittingEmptySubsequences: false)
        while lines.last?.isEmpty == true { lines.removeLast() }
        guard let requestLine = lines.first else { return nil }
        let parts = requestLine.split(separator: " ", omittingEmptySubsequences: false)
        guard parts.count == 3, parts[0] == "GET", parts[2] == "HTTP/1.1",
              parts[1].split(separator: "?", maxSplits: 1, omittingEmptySubsequences: false).first.map(String.init) == path else { return nil }
        var headers: [(name: String, value: String)] = []
        for line in lines.dropFirst() {
            guard !line.contains("\n"), !line.contains("\r"), let colon = line.firstIndex(of: ":"), let first = line.first, first != " ", first != "\t" else { return nil }
            let name = line[..<colon]
            guard !name.isEmpty, !name.contains(" "), !name.contains("\t") else { return nil }
            headers.append((String(name), String(line[line.index(after: colon)...]).trimmingWhitespace()))
        }
        func tokens(_ name: String) -> [String] {
            headers.filter { $0.name.lowercased() == name }.flatMap { $0.value.split(separator: ",") }.map { String($0).trimmingWhitespace().lowercased() }
        }
        guard tokens("upgrade").contains("websocket"), tokens("connection").contains("upgrade"),
              tokens("transfer-encoding").isEmpty, tokens("content-length").allSatisfy({ $0 == "0" }) else { return nil }
        return headers
    }
}

extension String {
    /// Without leading and trailing spaces and tabs (HTTP's optional whitespace).
    func trimmingWhitespace() -> String {
        let isSpace: (Character) -> Bool = { $0 == " " || $0 == "\t" }
        guard let start = firstIndex(where: { !isSpace($0) }), let end = lastIndex(where: { !isSpace($0) }) else { return "" }
        return String(self[start...end])
    }
}
