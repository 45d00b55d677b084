import Foundation

/// A canary file: written into the backup's source just before each backup, it carries its own
/// capture time, so the restore point's age is proven by data that came back from the backup rather
/// than read off the archive's modification time (which whatever copied the archive last set).
///
/// Format (UTF-8 text, `\n` line ends):
///
///     restorecheck canary v1
///     target: fileserver
///     captured: 2026-11-30T07:40:00Z
///     nonce: <32 hex digits>
///     hmac-sha256: <64 hex digits>
///
/// The HMAC-SHA-256 covers the first four lines, each with its `\n`, under the target's canary key
/// (`state_dir/canary.key` unless `canary_key` says otherwise): only a holder of the key can write a
/// canary the verifier accepts, and a copy for another target is refused.
public struct Canary: Sendable, Hashable {
    public var target: String
    public var captured: Date
    public var nonce: String

    static let header = "restorecheck canary v1"

    /// Why a restored canary does not prove its restore point.
    public enum Problem: Error, Sendable, Hashable, CustomStringConvertible {
        case missing(String)
        case malformed(String)
        case otherTarget(String)
        case badSignature

        public var description: String {
            switch self {
            case .missing(let name):
                "canary missing: \(name) was not restored (not in the archive, or not listed in its manifest: write the canary before the manifest is taken)"
            case .malformed(let detail): "canary unreadable: \(detail)"
            case .otherTarget(let target): "canary forged: it was written for target '\(target)'"
            case .badSignature: "canary forged: its HMAC does not match (edited, or written with another key)"
            }
        }
    }

    public init(target: String, captured: Date, nonce: String = Canary.randomNonce()) {
        self.target = target
        // Whole seconds: the text form has no fractions, and verifying must give back what was signed.
        self.captured = Date(timeIntervalSince1970: captured.timeIntervalSince1970.rounded(.down))
        self.nonce = nonce
    }

    public static func randomNonce() -> String { Hex.encode(SHA256.randomBytes(16)) }

    /// The file's text, signed with `key`.
    public func text(key: [UInt8]) -> String {
        let body = Self.body(target: target, captured: captured, nonce: nonce)
        return body + "hmac-sha256: \(Hex.encode(SHA256.hmac(key: key, message: Array(body.utf8))))\n"
    }

    /// The canary in `bytes`, if it is well-formed, for `target`, and signed with `key`.
    public static func verify(_ bytes: [UInt8], key: [UInt8], target: String) -> Result<Canary, Problem> {
        guard let text = String(validating: bytes, as: UTF8.self) else { return .failure(.malformed("not UTF-8 text")) }
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        guard lines.count >= 5, lines[0] == header else { return .failure(.malformed("not a restorecheck canary (first line '\(lines.first ?? "")')")) }
        func value(_ line: String, _ key: String) -> String? {
            line.hasPrefix(key + ": ") ? String(line.dropFirst(key.count + 2)) : nil
        }
        guard let name = value(lines[1], "target"), let capturedText = value(lines[2], "captured"),
            let nonce = value(lines[3], "nonce"), let mac = value(lines[4], "hmac-sha256")
        else { return .failure(.malformed("expected target, captured, nonce and hmac-sha256 lines")) }
        guard let captured = try? Date(capturedText, strategy: .iso8601) else {
            return .failure(.malformed("captured '\(capturedText)' is not an ISO 8601 time"))
        }
        let expected = Hex.encode(SHA256.hmac(key: key, message: Array(body(target: name, captured: captured, nonce: nonce).utf8)))
        // The signed text must be exactly what these fields produce again (no reformatting slips by).
        guard mac == expected, lines[0...3].joined(separator: "\n") + "\n" == body(target: name, captured: captured, nonce: nonce) else {
            return .failure(.badSignature)
        }
        guard name == target else { return .failure(.otherTarget(name)) }
        return .success(Canary(target: name, captured: captured, nonce: nonce))
    }

    private static func body(target: String, captured: Date, nonce: String) -> String {
        "\(header)\ntarget: \(target)\ncaptured: \(captured.formatted(.iso8601))\nnonce: \(nonce)\n"
    }


    /// The canary key at `path`: 32 random bytes as hex. `canary write` creates it (0600) on first
    /// use; a test never does (a new key would make every canary look forged).
    public static func key(at path: String, create: Bool) throws -> [UInt8] {
        let text: String
        if create {
            text = try SecretFile.loadOrCreate(at: path) { Hex.encode(SHA256.randomBytes(32)) + "\n" }
        } else {
            guard let data = FileManager.default.contents(atPath: path) else {
                throw SecretFile.Failure(path: path, message: "no canary key (run 'restorecheck canary write' first, or copy the key here)")
            }
            text = String(decoding: data, as: UTF8.self)
        }
        guard let key = Hex.decode(text.trimmingCharacters(in: .whitespacesAndNewlines)), key.count == 32 else {
            throw SecretFile.Failure(path: path, message: "not a canary key (64 hex digits)")
        }
        return key
    }
}
