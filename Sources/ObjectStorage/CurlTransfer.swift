import CCurl
import Foundation

/// One HTTP request as libcurl carries it out: every libcurl call of restorecheck is in this file.
///
/// A transfer owns its easy handle (`curl_easy_init`, freed in `deinit` with `curl_easy_cleanup`), so
/// one transfer per thread; a part fetched again reuses the handle and its connection. Requests are
/// signed by libcurl itself (`CURLOPT_AWS_SIGV4`, "aws:amz:REGION:s3"), with the secret handed over in
/// `CURLOPT_USERPWD` in this process's memory: it is never in a process's arguments, a log or a file
/// restorecheck writes.
final class CurlTransfer {
    /// What to ask.
    struct Request {
        var method = "GET"
        var url: String
        var headers: [String] = []
        var signing: Signing?
        /// `CURLOPT_CAINFO`: a private CA's bundle instead of the system's.
        var caFile: String?
        /// Abort when fewer than `lowSpeedBytes` per second arrive for `lowSpeedSeconds`: a stalled
        /// response becomes a retry, not a hang (`CURLOPT_LOW_SPEED_LIMIT`/`_TIME`).
        var lowSpeedBytes = 1024
        var lowSpeedSeconds = 20
        var connectTimeoutSeconds = 15
        /// A request body (a webhook's POST), copied into libcurl (`CURLOPT_COPYPOSTFIELDS`).
        var body: [UInt8]?
        /// Whether to send S3's `x-amz-content-sha256: UNSIGNED-PAYLOAD` (S3 requests; never a webhook).
        var s3UnsignedPayload = true
        /// `CURLOPT_TIMEOUT`: the whole transfer's limit in seconds (0: none, for long downloads).
        var totalTimeoutSeconds = 0
    }

    /// SigV4 signing as libcurl does it.
    struct Signing {
        var region: String
        var credentials: S3Credentials
    }

    /// What came back: the status, the headers (names lowercased), and libcurl's error when the
    /// transfer itself failed (then `status` is what arrived before it, possibly 0).
    struct Response {
        var status: Int
        var headers: [String: String]
        var transferError: String?
        /// `CURLE_WRITE_ERROR` after the body sink said stop: the caller's choice, not a fault.
        var stoppedBySink = false
        /// Seconds from the request to its first byte (`CURLINFO_STARTTRANSFER_TIME`).
        var firstByteSeconds: Double
        /// Seconds from the request to its end (`CURLINFO_TOTAL_TIME`).
        var totalSeconds = 0.0
    }

    private let handle: UnsafeMutableRawPointer

    init() {
        Self.globalInit
        guard let handle = curl_easy_init() else { fatalError("curl_easy_init failed (out of memory)") }
        self.handle = handle
    }

    deinit { curl_easy_cleanup(handle) }

    /// `curl_global_init` once per process, before any handle (libcurl: not thread-safe to race).
    private static let globalInit: Void = { curl_global_init(Int(CURL_GLOBAL_DEFAULT)) }()

    /// The status and headers of the response whose body is arriving.
    struct Head {
        var status: Int
        var headers: [String: String]
    }

    /// Carries out `request`; the body goes to `body` chunk by chunk with the response's head (return
    /// false to stop the transfer). Headers of the final response only (an interim `100 Continue` is dropped).
    func perform(_ request: Request, body: @escaping (UnsafeRawBufferPointer, Head) -> Bool) -> Response {
        curl_easy_reset(handle)
        let collector = Collector(body: body)
        var list: UnsafeMutablePointer<curl_slist>?
        defer { curl_slist_free_all(list) }
        // S3 signs the payload hash; bodies here are empty, and UNSIGNED-PAYLOAD is what S3 accepts
        // for any request whose body is not signed.
        for header in request.headers + (request.s3UnsignedPayload ? ["x-amz-content-sha256: UNSIGNED-PAYLOAD"] : []) {
            list = curl_slist_append(list, header)
        }
        rc_curl_set_string(handle, CURLOPT_URL, request.url)
        rc_curl_set_long(handle, CURLOPT_NOSIGNAL, 1)  // threads: no SIGALRM for timeouts
        rc_curl_set_string(handle, CURLOPT_PROTOCOLS_STR, "http,https")
        rc_curl_set_long(handle, CURLOPT_FOLLOWLOCATION, 0)
        rc_curl_set_long(handle, CURLOPT_SSL_VERIFYPEER, 1)
        rc_curl_set_long(handle, CURLOPT_SSL_VERIFYHOST, 2)
        if let caFile = request.caFile { rc_curl_set_string(handle, CURLOPT_CAINFO, caFile) }
        rc_curl_set_long(handle, CURLOPT_CONNECTTIMEOUT, request.connectTimeoutSeconds)
        rc_curl_set_long(handle, CURLOPT_LOW_SPEED_LIMIT, request.lowSpeedBytes)
        rc_curl_set_long(handle, CURLOPT_LOW_SPEED_TIME, request.lowSpeedSeconds)
        if request.totalTimeoutSeconds > 0 { rc_curl_set_long(handle, CURLOPT_TIMEOUT, request.totalTimeoutSeconds) }
        if let body = request.body {
            rc_curl_set_long(handle, CURLOPT_POSTFIELDSIZE, body.count)
            body.withUnsafeBufferPointer { buffer in
                // Copied by libcurl before this returns, so the buffer need not outlive the call.
                _ = buffer.withMemoryRebound(to: CChar.self) { rc_curl_set_pointer(handle, CURLOPT_COPYPOSTFIELDS, UnsafeMutableRawPointer(mutating: $0.baseAddress)) }
            }
        }
        if request.method == "HEAD" {
            rc_curl_set_long(handle, CURLOPT_NOBODY, 1)
        } else if request.method != "GET" {
            rc_curl_set_string(handle, CURLOPT_CUSTOMREQUEST, request.method)
        }
        if let signing = request.signing {
            rc_curl_set_string(handle, CURLOPT_AWS_SIGV4, "aws:amz:\(signing.region):s3")
            rc_curl_set_string(handle, CURLOPT_USERPWD, "\(signing.credentials.accessKeyID):\(signing.credentials.secretAccessKey)")
            if let token = signing.credentials.sessionToken { list = curl_slist_append(list, "x-amz-security-token: \(token)") }
        }
        rc_curl_set_slist(handle, CURLOPT_HTTPHEADER, list)
        let context = Unmanaged.passUnretained(collector).toOpaque()
        rc_curl_set_callback(handle, CURLOPT_WRITEFUNCTION, { data, size, count, context in
            let collector = Unmanaged<Collector>.fromOpaque(context!).takeUnretainedValue()
            let length = size * count
            guard collector.body(UnsafeRawBufferPointer(start: data, count: length), Head(status: collector.status, headers: collector.headers)) else {
                collector.stopped = true
                return 0  // CURLE_WRITE_ERROR: the transfer ends here
            }
            return length
        }, CURLOPT_WRITEDATA, context)
        rc_curl_set_callback(handle, CURLOPT_HEADERFUNCTION, { data, size, count, context in
            let collector = Unmanaged<Collector>.fromOpaque(context!).takeUnretainedValue()
            collector.header(UnsafeRawBufferPointer(start: data, count: size * count))
            return size * count
        }, CURLOPT_HEADERDATA, context)
        let (code, error) = performCapturingError()
        var status = 0
        rc_curl_get_long(handle, CURLINFO_RESPONSE_CODE, &status)
        var firstByte = 0.0
        rc_curl_get_double(handle, CURLINFO_STARTTRANSFER_TIME, &firstByte)
        var total = 0.0
        rc_curl_get_double(handle, CURLINFO_TOTAL_TIME, &total)
        var response = Response(status: status, headers: collector.headers, firstByteSeconds: firstByte, totalSeconds: total)
        if code != CURLE_OK {
            response.stoppedBySink = collector.stopped && code == CURLE_WRITE_ERROR
            response.transferError = error
        }
        return response
    }

    /// `curl_easy_perform` with libcurl's own message for a failure (its error buffer, else the
    /// code's text).
    private func performCapturingError() -> (CURLcode, String?) {
        var errorBuffer = [CChar](repeating: 0, count: Int(CURL_ERROR_SIZE) + 1)
        let code = errorBuffer.withUnsafeMutableBufferPointer { buffer in
            rc_curl_set_pointer(handle, CURLOPT_ERRORBUFFER, buffer.baseAddress)
            let code = curl_easy_perform(handle)
            rc_curl_set_pointer(handle, CURLOPT_ERRORBUFFER, nil)
            return code
        }
        guard code != CURLE_OK else { return (code, nil) }
        let detail = String(decoding: errorBuffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        return (code, detail.isEmpty ? String(cString: curl_easy_strerror(code)) : detail)
    }

    /// One message to an SMTP server, as libcurl's MIME API builds it (multipart/mixed: the text
    /// and HTML alternatives, then the attachments, base64).
    struct MailRequest {
        /// `smtp://host:port` (STARTTLS when `requireTLS`) or `smtps://host:port`.
        var url: String
        var requireTLS: Bool
        var username: String?
        var password: String?
        var caFile: String?
        var from: String
        var recipients: [String]
        /// `Subject:`, `From:`, `To:`, `Date:`, `Message-ID:` lines.
        var headers: [String]
        var text: String
        var html: String?
        var attachments: [(name: String, type: String, bytes: [UInt8])]
        var timeoutSeconds: Int
    }

    /// Sends `mail`; the SMTP server's last reply code is the response's `status` (250: accepted).
    func send(_ mail: MailRequest) -> Response {
        curl_easy_reset(handle)
        rc_curl_set_string(handle, CURLOPT_URL, mail.url)
        rc_curl_set_long(handle, CURLOPT_NOSIGNAL, 1)
        rc_curl_set_string(handle, CURLOPT_PROTOCOLS_STR, "smtp,smtps")
        rc_curl_set_long(handle, CURLOPT_USE_SSL, Int(mail.requireTLS ? CURLUSESSL_ALL.rawValue : CURLUSESSL_NONE.rawValue))
        rc_curl_set_long(handle, CURLOPT_SSL_VERIFYPEER, 1)
        rc_curl_set_long(handle, CURLOPT_SSL_VERIFYHOST, 2)
        if let caFile = mail.caFile { rc_curl_set_string(handle, CURLOPT_CAINFO, caFile) }
        if let username = mail.username { rc_curl_set_string(handle, CURLOPT_USERNAME, username) }
        if let password = mail.password { rc_curl_set_string(handle, CURLOPT_PASSWORD, password) }
        rc_curl_set_long(handle, CURLOPT_CONNECTTIMEOUT, min(15, mail.timeoutSeconds))
        rc_curl_set_long(handle, CURLOPT_TIMEOUT, mail.timeoutSeconds)
        rc_curl_set_string(handle, CURLOPT_MAIL_FROM, "<\(mail.from)>")
        var recipients: UnsafeMutablePointer<curl_slist>?
        for recipient in mail.recipients { recipients = curl_slist_append(recipients, "<\(recipient)>") }
        var headers: UnsafeMutablePointer<curl_slist>?
        for header in mail.headers { headers = curl_slist_append(headers, header) }
        defer {
            curl_slist_free_all(recipients)
            curl_slist_free_all(headers)
        }
        rc_curl_set_slist(handle, CURLOPT_MAIL_RCPT, recipients)
        rc_curl_set_slist(handle, CURLOPT_HTTPHEADER, headers)

        let mime = curl_mime_init(handle)
        defer { curl_mime_free(mime) }
        let alternatives = curl_mime_init(handle)  // owned by `mime` once attached below
        Self.addPart(alternatives, bytes: Array(mail.text.utf8), type: "text/plain; charset=utf-8", encoder: "quoted-printable")
        if let html = mail.html {
            Self.addPart(alternatives, bytes: Array(html.utf8), type: "text/html; charset=utf-8", encoder: "quoted-printable")
        }
        let body = curl_mime_addpart(mime)
        curl_mime_subparts(body, alternatives)
        curl_mime_type(body, "multipart/alternative")
        let inline = curl_slist_append(nil, "Content-Disposition: inline")
        curl_mime_headers(body, inline, 1)
        for attachment in mail.attachments {
            let part = Self.addPart(mime, bytes: attachment.bytes, type: attachment.type, encoder: "base64")
            curl_mime_filename(part, attachment.name)
        }
        rc_curl_set_pointer(handle, CURLOPT_MIMEPOST, UnsafeMutableRawPointer(mime))

        let (_, error) = performCapturingError()
        var status = 0
        rc_curl_get_long(handle, CURLINFO_RESPONSE_CODE, &status)
        var response = Response(status: status, headers: [:], firstByteSeconds: 0)
        response.transferError = error
        return response
    }

    /// A part holding `bytes` (copied by libcurl), of `type`, with a transfer encoding.
    @discardableResult
    private static func addPart(_ mime: OpaquePointer?, bytes: [UInt8], type: String, encoder: String) -> OpaquePointer? {
        let part = curl_mime_addpart(mime)
        bytes.withUnsafeBufferPointer { buffer in
            buffer.withMemoryRebound(to: CChar.self) { _ = curl_mime_data(part, $0.baseAddress, bytes.count) }
        }
        curl_mime_type(part, type)
        curl_mime_encoder(part, encoder)
        return part
    }

    /// The callbacks' state for one transfer.
    private final class Collector {
        let body: (UnsafeRawBufferPointer, Head) -> Bool
        var headers: [String: String] = [:]
        var status = 0
        var stopped = false

        init(body: @escaping (UnsafeRawBufferPointer, Head) -> Bool) { self.body = body }

        func header(_ bytes: UnsafeRawBufferPointer) {
            let line = String(decoding: bytes, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
            // A status line starts each response's headers (interim ones included): keep the last.
            if line.hasPrefix("HTTP/") {
                headers = [:]
                status = line.split(separator: " ").dropFirst().first.flatMap { Int($0) } ?? 0
                return
            }
            guard let colon = line.firstIndex(of: ":") else { return }
            headers[line[..<colon].lowercased()] = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
        }
    }
}
