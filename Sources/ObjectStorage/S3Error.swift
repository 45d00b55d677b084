/// A request to object storage that did not give what was asked, classified by whose fault it is:
/// the caller decides an outcome from `kind`, and `description` says what the server said (its S3
/// error code and message, or libcurl's transfer error), never a credential.
public struct S3Error: Error, Sendable, CustomStringConvertible {
    public enum Kind: Sendable, Equatable {
        /// 401/403: the key is wrong, lacks the permission, or the signature was refused.
        case accessDenied
        /// The bucket does not exist (`NoSuchBucket`).
        case noSuchBucket
        /// The object does not exist (`NoSuchKey`, or a 404 without a body to a HEAD).
        case noSuchKey
        /// `If-Match` failed (412): the object was replaced since it was located.
        case objectChanged
        /// Worth retrying: 5xx, 429, a reset, a timeout, a short body.
        case transient
        /// Anything else the server refused (another 4xx), or an answer that makes no sense.
        case other
    }

    public var kind: Kind
    /// HTTP status, 0 when no response arrived.
    public var status: Int
    public var message: String

    public init(kind: Kind, status: Int, message: String) {
        self.kind = kind
        self.status = status
        self.message = message
    }

    public var description: String { status > 0 ? "HTTP \(status): \(message)" : message }

    /// The kind an error response's status and S3 code mean.
    static func kind(status: Int, code: String?) -> Kind {
        switch (status, code) {
        case (_, "NoSuchBucket"): .noSuchBucket
        case (_, "NoSuchKey"): .noSuchKey
        case (412, _): .objectChanged
        case (401, _), (403, _): .accessDenied
        case (404, _): .noSuchKey
        case (408, _), (429, _), (500..., _): .transient
        default: .other
        }
    }
}
