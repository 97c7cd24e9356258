import NIOCore

/// A short JSON error answer written as bytes, for handlers that sit before (or instead of) the HTTP
/// encoder: `{"error":{"code":…,"message":…}}` with `Connection: close`.
func rawAnswer(status: Int, code: String, message: String, headers: [(String, String)] = []) -> ByteBuffer {
    let reasons = [400: "Bad Request", 408: "Request Timeout", 426: "Upgrade Required", 503: "Service Unavailable"]
    let body = #"{"error":{"code":"\#(code)","message":"\#(message)"}}"#
    var text = "HTTP/1.1 \(status) \(reasons[status] ?? "Error")\r\nContent-Type: application/json; charset=utf-8\r\nContent-Length: \(body.utf8.count)\r\n"
    for (name, value) in headers { text += "\(name): \(value)\r\n" }
    text += "Connection: close\r\nCache-Control: no-store\r\n\r\n" + body
    return ByteBuffer(string: text)
}
