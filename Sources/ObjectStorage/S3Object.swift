import Foundation

/// An object as a listing or a HEAD describes it: the restore point's identity in object storage.
public struct S3Object: Sendable, Hashable, Codable {
    public var key: String
    public var size: Int64
    public var lastModified: Date
    /// Without its quotes. Changes whenever the object is replaced, so every read is conditional on it.
    public var etag: String
    /// Set by a HEAD on a versioned bucket (`x-amz-version-id`).
    public var versionID: String?

    public init(key: String, size: Int64, lastModified: Date, etag: String, versionID: String? = nil) {
        self.key = key
        self.size = size
        self.lastModified = lastModified
        self.etag = etag
        self.versionID = versionID
    }
}
