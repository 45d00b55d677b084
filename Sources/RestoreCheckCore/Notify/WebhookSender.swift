import Foundation
import ObjectStorage

/// Delivers one event to a `webhook:` channel: the CloudEvent as the body, signed with
/// HMAC-SHA-256 under the channel's secret (`X-Hub-Signature-256: sha256=<hex>`, GitHub's scheme, so
/// receivers verify it with their existing code). A 2xx answer is an acknowledgement.
public enum WebhookSender {
    /// The headers every delivery carries (README "Notifications": a contract).
    public static let signatureHeader = "X-Hub-Signature-256"

    /// Sends `event`; nil when delivered, else why not (no secret, the URL redacted).
    public static func send(_ event: BreachEvent, to webhook: NotifyChannel.Webhook, timeoutSeconds: Int) async -> String? {
        let key: [UInt8]
        switch readSecret(webhook.secretFile) {
        case .success(let bytes): key = bytes
        case .failure(let problem): return problem.message
        }
        let cloudEvent = CloudEvent(event)
        let body = cloudEvent.body()
        let signature = "sha256=" + Hex.encode(SHA256.hmac(key: key, message: body))
        let headers = [
            "Content-Type: application/cloudevents+json; charset=utf-8",
            "\(signatureHeader): \(signature)",
            "User-Agent: restorecheck",
        ]
        let answer = await DedicatedThread.run(name: "webhook") {
            HTTPPost.send(url: webhook.url, headers: headers, body: body, caFile: webhook.caFile, timeoutSeconds: timeoutSeconds)
        }
        if answer.delivered { return nil }
        let receiver = NotifyChannel.redacted(webhook.url)
        if let error = answer.error { return "\(receiver): \(error)" }
        return "\(receiver) answered HTTP \(answer.status)"
    }

    /// The key as the file holds it, without a trailing newline (`openssl rand -hex 32 > file` adds one).
    static func readSecret(_ path: String) -> Result<[UInt8], SecretProblem> {
        guard let data = FileManager.default.contents(atPath: path) else {
            return .failure(SecretProblem(message: "secret_file \(path) cannot be read"))
        }
        var bytes = Array(data)
        while let last = bytes.last, last == 0x0A || last == 0x0D { bytes.removeLast() }
        guard !bytes.isEmpty else { return .failure(SecretProblem(message: "secret_file \(path) is empty")) }
        return .success(bytes)
    }

    struct SecretProblem: Error { var message: String }
}
