import CLibcrypto
import Foundation
import Glibc

/// The Ed25519 key that signs reports: created on first use, kept in `state_dir` as a PKCS#8 PEM file
/// (mode 0600) that `openssl` reads too. Signatures are the raw 64 bytes `openssl pkeyutl -verify
/// -rawin -sigfile` checks.
///
/// The libcrypto calls are here and in `SHA256`, nowhere else.
public struct Ed25519Key: Sendable {
    /// The 32-byte private seed.
    private let seed: [UInt8]
    /// The 32-byte public key.
    public let publicKey: [UInt8]

    /// A key file that cannot be used: names it.
    public struct KeyError: Error, CustomStringConvertible {
        public var path: String
        public var message: String
        public var description: String { "\(path): \(message)" }
    }

    /// DER prefixes of the two PEM forms: PKCS#8 `PrivateKeyInfo` and `SubjectPublicKeyInfo` for
    /// Ed25519 (RFC 8410), each followed by the 32 key bytes.
    private static let privatePrefix: [UInt8] = [0x30, 0x2e, 0x02, 0x01, 0x00, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x04, 0x22, 0x04, 0x20]
    private static let publicPrefix: [UInt8] = [0x30, 0x2a, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x03, 0x21, 0x00]

    init(seed: [UInt8]) throws(KeyError) {
        self.seed = seed
        guard let key = Self.privateKey(seed) else { throw KeyError(path: "", message: "not an Ed25519 key") }
        defer { EVP_PKEY_free(key) }
        var length = 32
        var bytes = [UInt8](repeating: 0, count: 32)
        guard EVP_PKEY_get_raw_public_key(key, &bytes, &length) == 1, length == 32 else {
            throw KeyError(path: "", message: "EVP_PKEY_get_raw_public_key failed")
        }
        publicKey = bytes
    }

    /// Reads the key at `path`, or creates it (`SecretFile`: 0600, never replacing one that appeared
    /// meanwhile).
    public static func loadOrCreate(at path: String) throws(KeyError) -> Ed25519Key {
        let text: String
        do {
            text = try SecretFile.loadOrCreate(at: path) { pem(privatePrefix + SHA256.randomBytes(32), label: "PRIVATE KEY") }
        } catch {
            throw KeyError(path: path, message: error.message)
        }
        guard let der = pemBody(text, label: "PRIVATE KEY"), der.count == 48, Array(der.prefix(16)) == privatePrefix else {
            throw KeyError(path: path, message: "not an Ed25519 private key in PKCS#8 PEM form (delete it to create a new key; reports signed with it will no longer verify)")
        }
        do { return try Ed25519Key(seed: Array(der.suffix(32))) } catch { throw KeyError(path: path, message: error.message) }
    }

    /// The public key as a PEM `PUBLIC KEY` block (what `openssl pkeyutl -pubin -inkey` reads).
    public var publicKeyPEM: String { Self.pem(Self.publicPrefix + publicKey, label: "PUBLIC KEY") }

    /// The 64-byte signature of `message` (`EVP_DigestSign`; Ed25519 signs the message itself).
    public func sign(_ message: [UInt8]) -> [UInt8] {
        guard let key = Self.privateKey(seed), let context = EVP_MD_CTX_new() else { fatalError("libcrypto: out of memory") }
        defer {
            EVP_MD_CTX_free(context)
            EVP_PKEY_free(key)
        }
        var signature = [UInt8](repeating: 0, count: 64)
        var length = 64
        guard EVP_DigestSignInit(context, nil, nil, nil, key) == 1,
            EVP_DigestSign(context, &signature, &length, message, message.count) == 1
        else { fatalError("EVP_DigestSign(Ed25519) failed") }
        return signature
    }

    /// Whether `signature` is `publicKey`'s signature of `message`.
    public static func verify(signature: [UInt8], of message: [UInt8], publicKey: [UInt8]) -> Bool {
        guard let key = EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519, nil, publicKey, publicKey.count),
            let context = EVP_MD_CTX_new()
        else { return false }
        defer {
            EVP_MD_CTX_free(context)
            EVP_PKEY_free(key)
        }
        return EVP_DigestVerifyInit(context, nil, nil, nil, key) == 1
            && EVP_DigestVerify(context, signature, signature.count, message, message.count) == 1
    }

    private static func privateKey(_ seed: [UInt8]) -> OpaquePointer? {
        EVP_PKEY_new_raw_private_key(EVP_PKEY_ED25519, nil, seed, seed.count)
    }

    static func pem(_ der: [UInt8], label: String) -> String {
        let body = Data(der).base64EncodedString(options: [.lineLength64Characters, .endLineWithLineFeed])
        return "-----BEGIN \(label)-----\n\(body)\n-----END \(label)-----\n"
    }

    static func pemBody(_ text: String, label: String) -> [UInt8]? {
        let begin = "-----BEGIN \(label)-----"
        let end = "-----END \(label)-----"
        guard let start = text.range(of: begin), let stop = text.range(of: end, range: start.upperBound..<text.endIndex) else { return nil }
        let body = text[start.upperBound..<stop.lowerBound].filter { !$0.isWhitespace }
        return Data(base64Encoded: String(body)).map(Array.init)
    }
}

