import Crypto
import Foundation

/// Message encryption for Web Push (RFC 8291) in the `aes128gcm` content coding (RFC 8188): an ephemeral
/// P-256 key agreed with the subscription's key, keyed by its auth secret, one record. The push service
/// sees only the ciphertext; the browser decrypts it.
public enum WebPushEncryption {
    /// The record size written in the header: the whole body fits in one record.
    public static let recordSize = 4096
    /// Header: salt (16) + record size (4) + key id length (1) + the server's public key (65).
    static let headerBytes = 86
    /// The longest payload: push services take at least 4096 bytes of body (RFC 8291 §4), less the header,
    /// the padding delimiter and the AES-GCM tag.
    public static let maxPayload = recordSize - headerBytes - 1 - 16

    /// A fresh key pair for one message, made from a uniformly random scalar. Not `PrivateKey()`: on
    /// Linux swift-crypto runs BoringSSL's FIPS pairwise test on every key it generates (an ECDSA sign
    /// and verify), which tripled the elliptic-curve work of each push. A random 32-byte value is a valid
    /// scalar but with probability about 2⁻³²; the rare one that is not is drawn again.
    public static func ephemeralKey() -> P256.KeyAgreement.PrivateKey {
        var generator = SystemRandomNumberGenerator()
        while true {
            let scalar = (0..<4).flatMap { _ in withUnsafeBytes(of: generator.next() as UInt64, Array.init) }
            if let key = try? P256.KeyAgreement.PrivateKey(rawRepresentation: scalar) { return key }
        }
    }

    /// The request body for `payload` to `recipient`. `salt` and `serverKey` are fresh unless given (tests).
    public static func encrypt(
        _ payload: some DataProtocol, to recipient: PushRecipient,
        salt: [UInt8]? = nil, serverKey: P256.KeyAgreement.PrivateKey = ephemeralKey()
    ) throws -> [UInt8] {
        guard payload.count <= maxPayload else {
            throw PushError(.payloadTooLarge, "a push message holds at most \(maxPayload) bytes, this one \(payload.count)")
        }
        let salt = salt ?? (0..<16).map { _ in UInt8.random(in: 0...255) }
        let serverPublic = [UInt8](serverKey.publicKey.x963Representation)
        let userAgentPublic = recipient.publicKeyBytes
        let shared = try serverKey.sharedSecretFromKeyAgreement(with: recipient.publicKey)
        // RFC 8291 §3.4: IKM from the ECDH secret, salted with the auth secret, bound to both public keys.
        let keyInfo = Array("WebPush: info".utf8) + [0] + userAgentPublic + serverPublic
        let ikm = shared.withUnsafeBytes { secret in
            HKDF<SHA256>.deriveKey(inputKeyMaterial: SymmetricKey(data: secret), salt: recipient.authSecret, info: keyInfo, outputByteCount: 32)
        }
        // RFC 8188 §2.2–2.3: content-encryption key and nonce (one record: sequence number 0).
        let prk = HKDF<SHA256>.extract(inputKeyMaterial: ikm, salt: salt)
        let key = HKDF<SHA256>.expand(pseudoRandomKey: prk, info: Array("Content-Encoding: aes128gcm".utf8) + [0], outputByteCount: 16)
        let nonce = HKDF<SHA256>.expand(pseudoRandomKey: prk, info: Array("Content-Encoding: nonce".utf8) + [0], outputByteCount: 12)
        // The last (only) record ends with the delimiter 0x02 and no padding.
        let plaintext = Array(payload) + [0x02]
        let sealed = try AES.GCM.seal(plaintext, using: key, nonce: AES.GCM.Nonce(data: nonce.withUnsafeBytes { Array($0) }))
        var body = salt
        body += withUnsafeBytes(of: UInt32(recordSize).bigEndian, Array.init)
        body.append(UInt8(serverPublic.count))
        body += serverPublic
        body += sealed.ciphertext
        body += sealed.tag
        return body
    }
}
