import Foundation

/// One HTTP POST through libcurl (a webhook's delivery): the same TLS verification and protocol
/// limits as every S3 request, and no redirects (a receiver that moved must be configured anew, not
/// followed with a signed body to wherever it points).
public enum HTTPPost {
    /// What the receiver answered: its status (0 when none arrived) and libcurl's error, if any.
    public struct Answer: Sendable {
        public var status: Int
        public var error: String?
        /// A 2xx answer: delivered.
        public var delivered: Bool { error == nil && (200..<300).contains(status) }
    }

    /// Posts `body` to `url` with `headers` ("Name: value"); blocks for at most `timeoutSeconds`.
    public static func send(url: String, headers: [String], body: [UInt8], caFile: String? = nil, timeoutSeconds: Int = 15) -> Answer {
        var request = CurlTransfer.Request(method: "POST", url: url, headers: headers + ["Expect:"], caFile: caFile)
        request.body = body
        request.s3UnsignedPayload = false
        request.connectTimeoutSeconds = min(timeoutSeconds, request.connectTimeoutSeconds)
        request.totalTimeoutSeconds = timeoutSeconds
        var kept = 0
        let response = CurlTransfer().perform(request) { bytes, _ in
            kept += bytes.count  // the receiver's body is not needed; read and dropped
            return true
        }
        return Answer(status: response.status, error: response.transferError)
    }
}
