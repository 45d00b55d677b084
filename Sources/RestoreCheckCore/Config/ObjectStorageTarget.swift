import ObjectStorage

/// Archives in an S3-compatible bucket as a target's restore source (`s3:` instead of `archives:`):
/// the newest object (by LastModified) whose key matches `keyGlob` is the restore point, streamed
/// from the bucket into the worker (`ObjectStorageSource`). The manifest template names a key in the
/// same bucket. Holds no secret: only where the credentials are.
public struct ObjectStorageTarget: Sendable, Hashable {
    public var bucket: S3Bucket
    /// A glob over keys (`fileserver/*.tar.zst`; `*` does not cross `/`).
    public var keyGlob: String

    public init(bucket: S3Bucket, keyGlob: String) {
        self.bucket = bucket
        self.keyGlob = keyGlob
    }

    /// How listings and outcomes show the target's source: `s3://acme-backups/fileserver/*.tar.zst`.
    public var display: String { bucket.display(keyGlob) }

    /// The keys' literal prefix before the first wildcard: what the listing asks for.
    public var listPrefix: String {
        String(keyGlob.prefix { !"*?[\\".contains($0) })
    }
}
