import Foundation
import Yams

/// `notify:`: a list of channels, each a name, one way to send and its filters.
extension NodeReader {
    func notifyChannels(_ node: Node, _ path: String) throws(ConfigError) -> [NotifyChannel] {
        guard let list = node.sequence else { throw error(node, path, "expected a list of channels ({ name: ..., webhook: {...} })") }
        var channels: [NotifyChannel] = []
        for (index, item) in list.enumerated() {
            let itemPath = "\(path)[\(index)]"
            var channel = NotifyChannel(name: "", webhook: nil)
            let keys = try yaml.read(item, itemPath, notifyChannel, into: &channel)
            guard keys.contains("name") else { throw error(item, itemPath, "missing required key 'name'") }
            guard channel.webhook != nil else { throw error(item, itemPath, "missing 'webhook' (where to send)") }
            if channels.contains(where: { $0.name == channel.name }) {
                throw error(item, "\(itemPath).name", "duplicate channel name '\(channel.name)'")
            }
            channels.append(channel)
        }
        return channels
    }

    var notifyChannel: YAMLSection<NotifyChannel> {
        YAMLSection([
            ("name", { _, node, path, channel throws(ConfigError) in channel.name = try self.identifier(node, path) }),
            ("webhook", { yaml, node, path, channel throws(ConfigError) in
                var draft = WebhookDraft()
                let keys = try yaml.read(node, path, self.webhook, into: &draft)
                for required in ["url", "secret_file"] where !keys.contains(required) {
                    throw yaml.error(node, path, "missing required key '\(required)'")
                }
                channel.webhook = NotifyChannel.Webhook(url: draft.url, secretFile: draft.secretFile, caFile: draft.caFile)
            }),
            ("email", { yaml, node, path, _ throws(ConfigError) in
                throw yaml.error(node, path, "e-mail notifications are not built yet: use a webhook (README \"Notifications\")")
            }),
            ("events", { yaml, node, path, channel throws(ConfigError) in
                channel.states = Set(try self.words(node, path, BreachEvent.State.allCases.map { ($0.rawValue, $0) }))
            }),
            ("kinds", { yaml, node, path, channel throws(ConfigError) in
                channel.kinds = try self.words(node, path, Breach.Kind.allCases.map { ($0.rawValue, $0) })
            }),
            ("tenants", { yaml, node, path, channel throws(ConfigError) in
                guard let items = node.sequence, !items.isEmpty else { throw yaml.error(node, path, "expected a non-empty list of tenants") }
                var tenants: [String] = []
                for (index, item) in items.enumerated() { tenants.append(try self.identifier(item, "\(path)[\(index)]")) }
                channel.tenants = tenants
            }),
        ])
    }

    /// `webhook:` as read.
    struct WebhookDraft {
        var url = ""
        var secretFile = ""
        var caFile: String?
    }

    var webhook: YAMLSection<WebhookDraft> {
        YAMLSection([
            ("url", { yaml, node, path, draft throws(ConfigError) in draft.url = try self.webhookURL(node, path) }),
            ("secret_file", { _, node, path, draft throws(ConfigError) in draft.secretFile = try self.path(node, path) }),
            ("ca_file", { _, node, path, draft throws(ConfigError) in draft.caFile = try self.path(node, path) }),
        ])
    }

    /// https, or http to a loopback receiver only (events name customers and their failures).
    func webhookURL(_ node: Node, _ path: String) throws(ConfigError) -> String {
        let text = try yaml.string(node, path)
        guard let url = URLComponents(string: text), let scheme = url.scheme?.lowercased(), ["http", "https"].contains(scheme),
            let host = url.host, !host.isEmpty
        else {
            throw error(node, path, "'\(NotifyChannel.redacted(text))' is not an http(s) URL")
        }
        let loopback = ["127.0.0.1", "::1", "[::1]", "localhost"].contains(host.lowercased())
        guard scheme == "https" || (scheme == "http" && loopback) else {
            throw error(node, path, "use https (plain http is allowed only to a loopback receiver): events name customers and their failures")
        }
        return text
    }

    /// A non-empty list of words from a closed set.
    func words<T>(_ node: Node, _ path: String, _ choices: [(String, T)]) throws(ConfigError) -> [T] {
        guard let items = node.sequence, !items.isEmpty else {
            throw error(node, path, "expected a non-empty list of \(choices.map(\.0).joined(separator: ", "))")
        }
        var values: [T] = []
        for (index, item) in items.enumerated() { values.append(try yaml.choice(item, "\(path)[\(index)]", choices)) }
        return values
    }
}
