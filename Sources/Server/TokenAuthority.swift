import Foundation
import JWTKit

/// What a bearer token allows.
public struct Principal: Sendable, Equatable {
    /// `operator`: publishes to its channels; `admin`: everything, every channel; `viewer`: reads.
    public enum Role: String, Codable, Sendable, CaseIterable { case `operator`, admin, viewer }
    public var subject: String
    public var role: Role
    /// Channels it may publish to; `*` for all.
    public var channels: [String]

    public init(subject: String, role: Role, channels: [String]) {
        self.subject = subject
        self.role = role
        self.channels = channels
    }

    public func mayPublish(to channel: String) -> Bool {
        role == .admin || (role == .operator && (channels.contains("*") || channels.contains(channel)))
    }
}

/// Mints and checks HS256 JWTs with `role` and `channels` claims.
public struct TokenAuthority: Sendable {
    struct Claims: JWTPayload {
        var sub: SubjectClaim
        var exp: ExpirationClaim
        /// Not valid before (RFC 7519 §4.1.5); optional, honoured when present.
        var nbf: NotBeforeClaim?
        var role: Principal.Role
        var channels: [String]

        func verify(using algorithm: some JWTAlgorithm) async throws {
            try exp.verifyNotExpired()
            try nbf?.verifyNotBefore()
        }
    }

    private let keys: JWTKeyCollection

    public init(secret: String) async {
        keys = JWTKeyCollection()
        await keys.add(hmac: HMACKey(from: secret), digestAlgorithm: .sha256)
    }

    /// A signed token for `principal`, valid for `lifetime` seconds.
    public func mint(_ principal: Principal, lifetime: TimeInterval) async throws -> String {
        try await keys.sign(Claims(
            sub: .init(value: principal.subject), exp: .init(value: Date().addingTimeInterval(lifetime)), nbf: nil,
            role: principal.role, channels: principal.channels
        ))
    }

    /// The principal of an `Authorization: Bearer …` value; nil when it is absent, malformed, forged or expired.
    public func principal(authorization: String?) async -> Principal? {
        guard let authorization, authorization.lowercased().hasPrefix("bearer ") else { return nil }
        let token = authorization.dropFirst(7).trimmingCharacters(in: .whitespaces)
        guard let claims = try? await keys.verify(token, as: Claims.self) else { return nil }
        return Principal(subject: claims.sub.value, role: claims.role, channels: claims.channels)
    }
}
