import Crypto
import Foundation
import JWTKit

/// The server's application key for Web Push (RFC 8292): an ES256 key whose public half browsers
/// subscribe with (`applicationServerKey`), and which signs a short-lived token per push service.
public struct VAPIDKey: Sendable {
    struct Claims: JWTPayload {
        var aud: AudienceClaim
        var exp: ExpirationClaim
        var sub: SubjectClaim

        func verify(using algorithm: some JWTAlgorithm) async throws {
            try exp.verifyNotExpired()
        }
    }

    private let signing: P256.Signing.PrivateKey
    /// Who runs the server, for push services to reach (`mailto:` or `https:`; RFC 8292 §2.1).
    public let subject: String

    /// `privateKey`: the 32-byte key, base64url (keep it: a new key invalidates every subscription); nil
    /// makes a new one.
    public init(privateKey: String?, subject: String) throws {
        if let privateKey {
            guard let raw = Base64URL.decode(privateKey), let key = try? P256.Signing.PrivateKey(rawRepresentation: raw) else {
                throw PushError(.invalidKey, "the VAPID private key must be 32 bytes, base64url")
            }
            signing = key
        } else {
            signing = P256.Signing.PrivateKey()
        }
        self.subject = subject
    }

    /// The public key browsers subscribe with: uncompressed P-256, base64url.
    public var publicKey: String { Base64URL.encode(signing.publicKey.x963Representation) }

    /// The private key, base64url, to keep in the configuration.
    public var privateKey: String { Base64URL.encode(signing.rawRepresentation) }

    /// The `Authorization` header for a push to `audience` (the endpoint's origin): `vapid t=JWT, k=KEY`,
    /// the token valid for `lifetime` (at most 24 hours, RFC 8292 §2).
    public func authorization(audience: String, lifetime: TimeInterval = 12 * 3600, now: Date = Date()) async throws -> String {
        let keys = JWTKeyCollection()
        await keys.add(ecdsa: try ES256PrivateKey(backing: signing))
        let token = try await keys.sign(Claims(
            aud: AudienceClaim(value: audience), exp: ExpirationClaim(value: now.addingTimeInterval(min(lifetime, 24 * 3600))),
            sub: SubjectClaim(value: subject)
        ))
        return "vapid t=\(token), k=\(publicKey)"
    }
}
