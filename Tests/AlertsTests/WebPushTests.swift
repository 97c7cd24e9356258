import Alerts
import Crypto
import Foundation
import Storage
import Testing

/// Web Push encryption (RFC 8291) and VAPID (RFC 8292) against an independent implementation: Python's
/// `http_ece` decrypts what we encrypt, `cryptography` verifies our token.
@Suite("Web Push: encryption and VAPID, checked by http_ece and cryptography")
struct WebPushTests {
    static let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Scripts/webpush_check.py").path

    struct Keys: Decodable { var p256dh: String, auth: String, `private`: String }
    struct Checked: Decodable {
        struct Claims: Decodable { var aud: String, sub: String, exp: Double }
        var plaintext: String, claims: Claims, vapidKey: String, bodyBytes: Int
    }

    /// Runs the script off the cooperative pool: waiting for a process would park one of its two threads.
    static func python(_ arguments: [String]) async throws -> (status: Int32, out: String, err: String) {
        try await offThePool { try runPython(arguments) }
    }

    private static func runPython(_ arguments: [String]) throws -> (status: Int32, out: String, err: String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", script] + arguments
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        try process.run()
        let output = out.fileHandleForReading.readDataToEndOfFile(), error = err.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return (process.terminationStatus, String(decoding: output, as: UTF8.self), String(decoding: error, as: UTF8.self))
    }

    /// Encrypts `payload` to a subscription the Python side made, and has it decrypted and the token checked.
    static func roundTrip(_ payload: String, endpoint: String = "https://push.example.net:8443/send/abc") async throws -> Checked {
        let made = try await python(["keys"])
        #expect(made.status == 0, "\(made.err)")
        let keys = try JSONDecoder().decode(Keys.self, from: Data(made.out.utf8))
        let subscription = try PushSubscription(endpoint: endpoint, p256dh: keys.p256dh, auth: keys.auth)
        let recipient = try subscription.recipient()
        let body = try WebPushEncryption.encrypt(Array(payload.utf8), to: recipient)
        let vapid = try VAPIDKey(privateKey: nil, subject: "mailto:ops@senate.go.th")
        let header = try await vapid.authorization(audience: recipient.audience)
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("push-\(UUID().uuidString).bin")
        try Data(body).write(to: file)
        defer { try? FileManager.default.removeItem(at: file) }
        let checked = try await python(["check", keys.private, keys.auth, file.path, header, recipient.audience])
        #expect(checked.status == 0, "\(checked.err)")
        let result = try JSONDecoder().decode(Checked.self, from: Data(checked.out.utf8))
        #expect(result.vapidKey == vapid.publicKey)
        return result
    }

    @Test("a Thai notification decrypts on the other end, and the VAPID token verifies for the endpoint's origin")
    func thaiNotification() async throws {
        let payload = #"{"title":"ร่างพระราชบัญญัติงบประมาณ พ.ศ. 2570","body":"ผ่านวาระแรก 152–23","url":"/watch/senate?t=2026-11-23T03:12:00.000Z"}"#
        let checked = try await Self.roundTrip(payload)
        #expect(checked.plaintext == payload)
        #expect(checked.claims.aud == "https://push.example.net:8443" && checked.claims.sub == "mailto:ops@senate.go.th")
        #expect(checked.claims.exp > Date().timeIntervalSince1970 && checked.claims.exp <= Date().timeIntervalSince1970 + 24 * 3600)
    }

    @Test("the largest payload fits the 4,096-byte record push services take; one byte more is refused")
    func sizeLimit() async throws {
        let largest = String(repeating: "ก", count: WebPushEncryption.maxPayload / 3) + String(repeating: "x", count: WebPushEncryption.maxPayload % 3)
        #expect(largest.utf8.count == WebPushEncryption.maxPayload)
        let checked = try await Self.roundTrip(largest, endpoint: "https://fcm.example.com/wp/abc")
        #expect(checked.plaintext == largest && checked.bodyBytes == 4096)
        let recipient = try PushSubscription(endpoint: "https://push.example/x", p256dh: Base64URL.encode(P256.KeyAgreement.PrivateKey().publicKey.x963Representation),
                                             auth: Base64URL.encode([UInt8](repeating: 7, count: 16))).recipient()
        #expect(throws: PushError(.payloadTooLarge, "a push message holds at most \(WebPushEncryption.maxPayload) bytes, this one \(WebPushEncryption.maxPayload + 1)")) {
            try WebPushEncryption.encrypt([UInt8](repeating: 0x41, count: WebPushEncryption.maxPayload + 1), to: recipient)
        }
    }

    @Test("malformed subscriptions are refused with the field named: not https, bad or short keys")
    func badSubscriptions() {
        let key = Base64URL.encode(P256.KeyAgreement.PrivateKey().publicKey.x963Representation)
        let auth = Base64URL.encode([UInt8](repeating: 1, count: 16))
        let cases: [(String, String, String, PushError.Code)] = [
            ("http://push.example/x", key, auth, .invalidEndpoint),
            ("not a url", key, auth, .invalidEndpoint),
            ("https://push.example/x", "AAAA", auth, .invalidKey),
            ("https://push.example/x", Base64URL.encode([UInt8](repeating: 4, count: 65)), auth, .invalidKey),  // not on the curve
            ("https://push.example/x", key, Base64URL.encode([UInt8](repeating: 1, count: 8)), .invalidKey),
            ("https://push.example/x", key, "!!!", .invalidKey),
        ]
        for (endpoint, p256dh, secret, code) in cases {
            #expect(throws: PushError.self, "\(endpoint) \(p256dh.prefix(8)) \(secret)") { try PushSubscription(endpoint: endpoint, p256dh: p256dh, auth: secret) }
            do { _ = try PushSubscription(endpoint: endpoint, p256dh: p256dh, auth: secret) } catch let error as PushError {
                #expect(error.code == code)
            } catch {}
        }
    }

    @Test("a VAPID key kept in the configuration signs as the same public key")
    func keptKey() throws {
        let first = try VAPIDKey(privateKey: nil, subject: "mailto:ops@senate.go.th")
        let again = try VAPIDKey(privateKey: first.privateKey, subject: "mailto:ops@senate.go.th")
        #expect(again.publicKey == first.publicKey && Base64URL.decode(first.publicKey)?.count == 65)
        #expect(throws: PushError.self) { try VAPIDKey(privateKey: "short", subject: "mailto:x@y") }
    }
}
