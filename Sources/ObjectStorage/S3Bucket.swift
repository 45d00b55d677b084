import Foundation

/// Where a target's objects live: an S3-compatible endpoint, a bucket and how to reach it (the
/// `s3:` block of a target, less its `key` glob). Holds no secret: only where the credentials are.
public struct S3Bucket: Sendable, Hashable, Codable {
    /// `https://s3.eu-central-2.wasabisys.com`; plain `http://` only for a loopback host.
    public var endpoint: String
    public var bucket: String
    public var region = "us-east-1"
    /// `https://endpoint/bucket/key` (MinIO, Ceph, rclone) instead of `https://bucket.endpoint/key`.
    public var pathStyle = false
    /// An AWS shared-credentials file; nil: `AWS_ACCESS_KEY_ID` and `AWS_SECRET_ACCESS_KEY`.
    public var credentialsFile: String?
    /// The section of `credentialsFile` to use.
    public var profile = "default"
    /// A private CA's certificates (PEM) for the endpoint's TLS.
    public var caFile: String?

    public init(endpoint: String, bucket: String) {
        self.endpoint = endpoint
        self.bucket = bucket
    }

    /// How outcomes name an object of this bucket: `s3://bucket/key`.
    public func display(_ key: String) -> String { "\(Self.scheme)\(bucket)/\(key)" }

    /// The prefix of every object's name in outcomes and the history.
    public static let scheme = "s3://"

    /// The endpoint's host is loopback (`127.0.0.0/8`, `::1`, `localhost`): the only place plain http is allowed.
    public var endpointIsLoopback: Bool {
        guard let host = URLComponents(string: endpoint)?.host else { return false }
        return host == "localhost" || host == "::1" || host == "[::1]" || host.hasPrefix("127.")
    }

    /// The URL of `key` (or of the bucket, for a listing) with `query` already encoded.
    func url(key: String?, query: String? = nil) -> String {
        var base = endpoint.hasSuffix("/") ? String(endpoint.dropLast()) : endpoint
        if !pathStyle, let schemeEnd = base.range(of: "://") {
            base.insert(contentsOf: "\(bucket).", at: schemeEnd.upperBound)
        }
        var path = pathStyle ? "/\(Self.encode(bucket, keepSlash: false))" : ""
        path += "/" + (key.map { Self.encode($0, keepSlash: true) } ?? "")
        return base + path + (query.map { "?\($0)" } ?? "")
    }

    /// URI-encodes as SigV4 wants it: every byte but the unreserved characters (and `/` in a key).
    static func encode(_ text: String, keepSlash: Bool) -> String {
        var out = ""
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "0")...UInt8(ascii: "9"),
                UInt8(ascii: "-"), UInt8(ascii: "_"), UInt8(ascii: "."), UInt8(ascii: "~"):
                out.unicodeScalars.append(UnicodeScalar(byte))
            case UInt8(ascii: "/") where keepSlash:
                out.append("/")
            default:
                out += String(format: "%%%02X", byte)
            }
        }
        return out
    }
}
