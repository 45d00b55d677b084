import Foundation

/// The requests restorecheck makes to an S3-compatible store, all reads: ListObjectsV2 (paginated),
/// HEAD, and GET of a byte range conditional on the object's ETag. Transient failures (5xx, 429,
/// resets, timeouts, short bodies) are retried with exponential backoff (`RetryPolicy`); everything
/// else is an `S3Error` whose kind says whose fault it is.
///
/// Runs in the parent process only: the credentials and the network never reach the worker that
/// parses the bytes.
public struct S3Client: Sendable {
    public var bucket: S3Bucket
    var credentials: S3Credentials
    public var retry: RetryPolicy
    /// Seconds below 1 KiB/s before a response counts as stalled (and is retried).
    public var stallSeconds = 20

    public init(bucket: S3Bucket, credentials: S3Credentials, retry: RetryPolicy = RetryPolicy()) {
        self.bucket = bucket
        self.credentials = credentials
        self.retry = retry
    }

    /// Every object whose key starts with `prefix`, across pages.
    public func list(prefix: String) throws(S3Error) -> [S3Object] {
        var objects: [S3Object] = []
        var token: String?
        let transfer = CurlTransfer()
        repeat {
            // SigV4 wants the query's parameters sorted by name, each encoded.
            var query = token.map { "continuation-token=\(S3Bucket.encode($0, keepSlash: false))&" } ?? ""
            query += "list-type=2&prefix=\(S3Bucket.encode(prefix, keepSlash: false))"
            let data = try small(request(url: bucket.url(key: nil, query: query)), transfer: transfer)
            guard let page = S3XMLDocument.listPage(data) else {
                throw S3Error(kind: .other, status: 200, message: "the listing of \(bucket.bucket) is not a ListBucketResult")
            }
            objects += page.objects
            token = page.isTruncated ? page.nextContinuationToken : nil
            if page.isTruncated, token == nil {
                throw S3Error(kind: .other, status: 200, message: "a truncated listing of \(bucket.bucket) without NextContinuationToken")
            }
        } while token != nil
        return objects
    }

    /// The object's size, ETag, modification time and version id (HEAD).
    public func head(_ key: String) throws(S3Error) -> S3Object {
        var ask = request(url: bucket.url(key: key))
        ask.method = "HEAD"
        let response = try attempts(of: ask, transfer: CurlTransfer()) { _, _ in true }
        guard let lengthText = response.headers["content-length"], let size = Int64(lengthText) else {
            throw S3Error(kind: .other, status: response.status, message: "HEAD \(bucket.display(key)) gave no Content-Length")
        }
        let modified = response.headers["last-modified"].flatMap(Self.httpDate) ?? Date(timeIntervalSince1970: 0)
        return S3Object(
            key: key, size: size, lastModified: modified, etag: response.headers["etag"].map(S3XMLDocument.unquote) ?? "",
            versionID: response.headers["x-amz-version-id"])
    }

    /// A whole small object (a manifest), refused beyond `limit` bytes.
    public func object(_ key: String, limit: Int) throws(S3Error) -> Data {
        let data = try small(request(url: bucket.url(key: key)), transfer: CurlTransfer(), limit: limit)
        return data
    }

    /// A few bytes of `object` (its first bytes, to tell its format), retried like a small request.
    public func read(_ object: S3Object, range: Range<Int64>) throws(S3Error) -> Data {
        let transfer = CurlTransfer()
        var attempt = 0
        while true {
            var data = Data()
            let result = get(object, range: range, transfer: transfer) { bytes in
                data.append(contentsOf: bytes)
                return true
            }
            guard let error = result.error else { return data }
            guard error.kind == .transient, attempt < retry.attempts - 1 else { throw error }
            Thread.sleep(forTimeInterval: retry.delay(afterAttempt: attempt))
            attempt += 1
        }
    }

    /// One GET of `range` of `object` into `sink`, conditional on its ETag (`If-Match`), without
    /// retrying: `RangedFetcher` retries and resumes at the offset it reached. A server that answers
    /// the range with 200 is read either way: a body of the range's length is the range (rclone),
    /// the whole object's is skipped to the range. `sink` returns false to stop (the reader left).
    func get(
        _ object: S3Object, range: Range<Int64>, transfer: CurlTransfer, sink: @escaping (UnsafeRawBufferPointer) -> Bool
    ) -> GetResult {
        var ask = request(url: bucket.url(key: object.key))
        ask.headers.append("Range: bytes=\(range.lowerBound)-\(range.upperBound - 1)")
        if !object.etag.isEmpty { ask.headers.append("If-Match: \"\(object.etag)\"") }
        var delivered: Int64 = 0
        var toSkip: Int64?
        var errorBody = Data()
        var sinkStopped = false
        var changedTo: String?
        let wanted = Int64(range.count)
        let response = transfer.perform(ask) { bytes, head in
            guard head.status == 200 || head.status == 206 else {
                if errorBody.count < 65536 { errorBody.append(contentsOf: bytes) }
                return true
            }
            if toSkip == nil {
                // Not every S3-compatible server honours If-Match (rclone ignores it): the answer's
                // own ETag must still be the located object's.
                if let etag = head.headers["etag"].map(S3XMLDocument.unquote), !object.etag.isEmpty, etag != object.etag {
                    changedTo = etag
                    return false
                }
                let length = head.headers["content-length"].flatMap { Int64($0) }
                toSkip = head.status == 200 && length != wanted ? range.lowerBound : 0
            }
            var chunk = bytes
            if let skip = toSkip, skip > 0 {
                let dropped = min(Int64(chunk.count), skip)
                toSkip = skip - dropped
                chunk = UnsafeRawBufferPointer(rebasing: chunk[Int(dropped)...])
            }
            let room = Int(min(Int64(chunk.count), wanted - delivered))
            guard room > 0 else { return delivered < wanted }
            guard sink(UnsafeRawBufferPointer(rebasing: chunk[..<room])) else {
                sinkStopped = true
                return false
            }
            delivered += Int64(room)
            // The whole object after the range is not ours to read.
            return delivered < wanted
        }
        if let changedTo {
            let error = S3Error(
                kind: .objectChanged, status: response.status,
                message: "\(bucket.display(object.key)) was replaced during the test (ETag \(object.etag), now \(changedTo))")
            return GetResult(delivered: delivered, error: error, readerLeft: false, firstByteSeconds: response.firstByteSeconds, seconds: response.totalSeconds)
        }
        if sinkStopped { return GetResult(delivered: delivered, error: nil, readerLeft: true, firstByteSeconds: response.firstByteSeconds, seconds: response.totalSeconds) }
        if response.status == 200 || response.status == 206, delivered == wanted {
            return GetResult(delivered: delivered, error: nil, readerLeft: false, firstByteSeconds: response.firstByteSeconds, seconds: response.totalSeconds)
        }
        let error: S3Error
        if response.status == 200 || response.status == 206 || response.status == 0 {
            let why = response.transferError ?? "the body ended early"
            error = S3Error(kind: .transient, status: response.status, message: "\(why) after \(delivered) of \(wanted) bytes")
        } else {
            error = failure(response, body: errorBody, subject: bucket.display(object.key))
        }
        return GetResult(delivered: delivered, error: error, readerLeft: false, firstByteSeconds: response.firstByteSeconds, seconds: response.totalSeconds)
    }

    /// What one ranged GET achieved.
    struct GetResult {
        var delivered: Int64
        var error: S3Error?
        /// The sink said stop: the reader has gone (the worker ended), not a fault.
        var readerLeft: Bool
        var firstByteSeconds: Double
        /// The whole GET, request to last byte.
        var seconds: Double
    }

    // MARK: - Requests

    func request(url: String) -> CurlTransfer.Request {
        var request = CurlTransfer.Request(url: url, signing: .init(region: bucket.region, credentials: credentials))
        request.caFile = bucket.caFile
        request.lowSpeedSeconds = stallSeconds
        return request
    }

    /// A small answer (a listing page, an error, a manifest) read whole, with retries.
    private func small(_ request: CurlTransfer.Request, transfer: CurlTransfer, limit: Int = 16 << 20) throws(S3Error) -> Data {
        var data = Data()
        var tooLarge = false
        let response = try attempts(of: request, transfer: transfer) { bytes, restart in
            if restart { data.removeAll() }
            guard data.count + bytes.count <= limit else { tooLarge = true; return false }
            data.append(contentsOf: bytes)
            return true
        }
        if tooLarge { throw S3Error(kind: .other, status: response.status, message: "larger than \(limit) bytes") }
        return data
    }

    /// `request` until it succeeds (2xx) or fails for good; transient failures wait and try again.
    /// `body` gets each success-bound chunk and whether it is the first of a new attempt.
    private func attempts(
        of request: CurlTransfer.Request, transfer: CurlTransfer, body: @escaping (UnsafeRawBufferPointer, Bool) -> Bool
    ) throws(S3Error) -> CurlTransfer.Response {
        var attempt = 0
        while true {
            var errorBody = Data()
            var fresh = true
            let response = transfer.perform(request) { bytes, head in
                guard (200..<300).contains(head.status) else {
                    if errorBody.count < 65536 { errorBody.append(contentsOf: bytes) }
                    return true
                }
                defer { fresh = false }
                return body(bytes, fresh)
            }
            let error: S3Error
            if response.transferError == nil, (200..<300).contains(response.status) {
                return response
            } else if response.stoppedBySink {
                return response
            } else if let transferError = response.transferError, response.status == 0 || (200..<300).contains(response.status) {
                error = S3Error(kind: .transient, status: response.status, message: transferError)
            } else {
                error = failure(response, body: errorBody, subject: "\(request.method) \(request.url)")
            }
            guard error.kind == .transient, attempt < retry.attempts - 1 else { throw error }
            Thread.sleep(forTimeInterval: retry.delay(afterAttempt: attempt))
            attempt += 1
        }
    }

    /// The error a non-2xx response means, with S3's own code and message when it sent them.
    func failure(_ response: CurlTransfer.Response, body: Data, subject: String) -> S3Error {
        let (code, message) = S3XMLDocument.error(body)
        let kind = S3Error.kind(status: response.status, code: code)
        var text = [code, message].compactMap { $0 }.joined(separator: ": ")
        if text.isEmpty {
            text = switch kind {
            case .accessDenied: "access denied (check the credentials and the bucket's policy)"
            case .noSuchKey: "not found"
            case .objectChanged: "the object changed (If-Match failed)"
            default: "unexpected answer"
            }
        }
        return S3Error(kind: kind, status: response.status, message: "\(subject): \(text)")
    }

    /// `Last-Modified: Wed, 02 Dec 2026 21:00:00 GMT`.
    static func httpDate(_ text: String) -> Date? {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "GMT")
        formatter.dateFormat = "EEE, dd MMM yyyy HH:mm:ss zzz"
        return formatter.date(from: text)
    }
}

/// How often and how patiently a transient failure is retried: `attempts` tries in all, waiting
/// `base`·2ⁿ (at most `ceiling`) seconds after the n-th.
public struct RetryPolicy: Sendable {
    public var attempts = 5
    public var base = 0.5
    public var ceiling = 8.0

    public init(attempts: Int = 5, base: Double = 0.5, ceiling: Double = 8.0) {
        self.attempts = attempts
        self.base = base
        self.ceiling = ceiling
    }

    func delay(afterAttempt attempt: Int) -> Double { min(ceiling, base * Double(1 << min(attempt, 20))) }
}
