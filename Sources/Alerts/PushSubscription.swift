import Crypto
import Foundation

/// A browser's Web Push subscription (the `PushSubscription.toJSON()` of the Push API): where to send, and
/// the keys a message is encrypted to (RFC 8291). Checked when it is made, so a stored one always encrypts.
public struct PushSubscription: Sendable, Equatable, Codable {
    public struct Keys: Sendable, Equatable, Codable {
        /// The user agent's P-256 public key, uncompressed (65 bytes), base64url.
        public var p256dh: String
        /// The 16-byte authentication secret, base64url.
        public var auth: String
    }

    /// The push service's URL for this subscription (https).
    public var endpoint: String
    public var keys: Keys

    /// `allowHTTP`: take a plain http endpoint too (`alerts.push.allowPrivate`: tests, closed networks).
    public init(endpoint: String, p256dh: String, auth: String, allowHTTP: Bool = false) throws {
        self.endpoint = endpoint
        keys = Keys(p256dh: p256dh, auth: auth)
        _ = try recipient(allowHTTP: allowHTTP)
    }

    /// A subscription read back from the store (checked when it was stored).
    init(unchecked endpoint: String, p256dh: String, auth: String) {
        self.endpoint = endpoint
        keys = Keys(p256dh: p256dh, auth: auth)
    }

    /// The endpoint and keys read as what encryption needs; throws `PushError` naming what is wrong.
    public func recipient(allowHTTP: Bool = false) throws -> PushRecipient {
        guard endpoint.utf8.count <= 2048, let url = URL(string: endpoint), url.scheme == "https" || (allowHTTP && url.scheme == "http"),
              let host = url.host, !host.isEmpty, url.user == nil, url.password == nil else {
            throw PushError(.invalidEndpoint, "the endpoint must be an https URL of at most 2048 bytes")
        }
        // The host as written is what the HTTP client looks up its pinned address by: only the canonical
        // (lower-case) form is taken, so the address checked is always the one connected to.
        guard host == host.lowercased() else {
            throw PushError(.invalidEndpoint, "the endpoint's host must be in lower case")
        }
        guard let key = Base64URL.decode(keys.p256dh), key.count == 65, key.first == 0x04,
              let publicKey = try? P256.KeyAgreement.PublicKey(x963Representation: key) else {
            throw PushError(.invalidKey, "keys.p256dh must be an uncompressed P-256 public key (65 bytes, base64url)")
        }
        guard let auth = Base64URL.decode(keys.auth), auth.count == 16 else {
            throw PushError(.invalidKey, "keys.auth must be 16 bytes, base64url")
        }
        return PushRecipient(endpoint: url, publicKey: publicKey, publicKeyBytes: key, authSecret: auth)
    }
}

/// A subscription's checked endpoint and keys.
public struct PushRecipient: Sendable {
    public let endpoint: URL
    public let publicKey: P256.KeyAgreement.PublicKey
    /// The same key as sent (uncompressed point), kept so each message need not serialize it again.
    public let publicKeyBytes: [UInt8]
    public let authSecret: [UInt8]

    /// `scheme://host[:port]`, the port only when it is not the scheme's default: the VAPID token's
    /// audience (RFC 8292 §2, an RFC 6454 origin).
    public var audience: String {
        let scheme = endpoint.scheme ?? "https"
        var origin = "\(scheme)://\(endpoint.host ?? "")"
        if let port = endpoint.port, port != (scheme == "http" ? 80 : 443) { origin += ":\(port)" }
        return origin
    }
}

/// Why a push subscription or message is refused.
public struct PushError: Error, Sendable, Equatable, CustomStringConvertible {
    public enum Code: String, Sendable {
        case invalidEndpoint = "invalid_endpoint"
        case invalidKey = "invalid_key"
        case payloadTooLarge = "payload_too_large"
    }

    public let code: Code
    public let message: String

    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { "\(code.rawValue): \(message)" }
}

/// Base64url without padding (RFC 4648 §5), as Web Push keys and JWTs use it.
public enum Base64URL {
    public static func encode(_ bytes: some DataProtocol) -> String {
        Data(bytes).base64EncodedString().replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
            .replacingOccurrences(of: "=", with: "")
    }

    /// nil unless the text is base64url (padding optional). Byte by byte: it runs for every push sent.
    public static func decode(_ text: String) -> [UInt8]? {
        var standard: [UInt8] = []
        standard.reserveCapacity(text.utf8.count + 3)
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "0")...UInt8(ascii: "9"): standard.append(byte)
            case UInt8(ascii: "-"): standard.append(UInt8(ascii: "+"))
            case UInt8(ascii: "_"): standard.append(UInt8(ascii: "/"))
            case UInt8(ascii: "="): continue
            default: return nil
            }
        }
        standard += repeatElement(UInt8(ascii: "="), count: (4 - standard.count % 4) % 4)
        return Data(base64Encoded: Data(standard)).map { [UInt8]($0) }
    }
}
