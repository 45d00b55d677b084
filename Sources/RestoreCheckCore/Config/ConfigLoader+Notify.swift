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
            guard (channel.webhook == nil) != (channel.email == nil) else {
                throw error(item, itemPath, "give exactly one of 'webhook' or 'email' (where to send)")
            }
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
            ("email", { yaml, node, path, channel throws(ConfigError) in
                var email = NotifyChannel.Email(to: [])
                let keys = try yaml.read(node, path, self.email, into: &email)
                guard keys.contains("to") else { throw yaml.error(node, path, "missing required key 'to' (a list of addresses)") }
                channel.email = email
            }),
            ("only", { yaml, node, path, channel throws(ConfigError) in
                // `only: breaches`: no all-clear mails; the same as `events: [ opened ]`.
                _ = try yaml.choice(node, path, [("breaches", true)])
                channel.states = [.opened]
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

    var email: YAMLSection<NotifyChannel.Email> {
        YAMLSection([
            ("to", { yaml, node, path, email throws(ConfigError) in email.to = try self.addresses(node, path) }),
            ("digest", { yaml, node, path, email throws(ConfigError) in email.dailyDigest = try yaml.choice(node, path, [("daily", true), ("none", false)]) }),
        ])
    }

    /// A non-empty list of plain e-mail addresses (no display names, nothing a header could be
    /// broken with).
    func addresses(_ node: Node, _ path: String) throws(ConfigError) -> [String] {
        guard let items = node.sequence, !items.isEmpty else { throw error(node, path, "expected a non-empty list of e-mail addresses") }
        var result: [String] = []
        for (index, item) in items.enumerated() { result.append(try address(item, "\(path)[\(index)]")) }
        return result
    }

    func address(_ node: Node, _ path: String) throws(ConfigError) -> String {
        let text = try yaml.string(node, path)
        let parts = text.split(separator: "@", omittingEmptySubsequences: false)
        let plain = text.unicodeScalars.allSatisfy { $0.value > 0x20 && $0.value < 0x7F && !"<>,;\"()[]\\".unicodeScalars.contains($0) }
        guard parts.count == 2, !parts[0].isEmpty, parts[1].contains("."), plain else {
            throw error(node, path, "'\(text)' is not a plain e-mail address (name@domain.example)")
        }
        return text
    }

    /// `smtp:`.
    func smtp(_ node: Node, _ path: String) throws(ConfigError) -> SMTPSettings {
        var settings = SMTPSettings(server: "", from: "")
        let keys = try yaml.read(node, path, smtpSection, into: &settings)
        for required in ["server", "from"] where !keys.contains(required) {
            throw error(node, path, "missing required key '\(required)'")
        }
        guard (settings.username == nil) == (settings.passwordFile == nil) else {
            throw error(node, path, "give both 'username' and 'password_file', or neither")
        }
        let host = settings.server.split(separator: ":").first.map(String.init) ?? ""
        let encrypted = settings.starttls || settings.server.hasSuffix(":465")
        if settings.username != nil, !encrypted, !["127.0.0.1", "localhost", "::1"].contains(host) {
            throw error(node, "\(path).starttls", "a password is never sent in clear: keep starttls (or port 465), or send through a loopback relay")
        }
        return settings
    }

    var smtpSection: YAMLSection<SMTPSettings> {
        YAMLSection([
            ("server", { yaml, node, path, smtp throws(ConfigError) in
                let text = try yaml.string(node, path)
                guard let colon = text.lastIndex(of: ":"), let port = Int(text[text.index(after: colon)...]), (1...65_535).contains(port),
                    colon != text.startIndex
                else { throw yaml.error(node, path, "'\(text)' is not host:port (mail.example:587)") }
                smtp.server = text
            }),
            ("starttls", { yaml, node, path, smtp throws(ConfigError) in smtp.starttls = try yaml.choice(node, path, [("true", true), ("false", false)]) }),
            ("username", { yaml, node, path, smtp throws(ConfigError) in smtp.username = try yaml.string(node, path) }),
            ("password_file", { _, node, path, smtp throws(ConfigError) in smtp.passwordFile = try self.path(node, path) }),
            ("ca_file", { _, node, path, smtp throws(ConfigError) in smtp.caFile = try self.path(node, path) }),
            ("from", { _, node, path, smtp throws(ConfigError) in smtp.from = try self.address(node, path) }),
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

    /// `reports:` (the deliveries; `report:` holds branding and serving).
    var reports: YAMLSection<[ReportDeliverySpec]> {
        YAMLSection([
            ("deliver", { yaml, node, path, deliveries throws(ConfigError) in
                guard let items = node.sequence else { throw yaml.error(node, path, "expected a list of deliveries ({ tenant, to, schedule })") }
                for (index, item) in items.enumerated() {
                    let itemPath = "\(path)[\(index)]"
                    var draft = DeliveryDraft()
                    let keys = try yaml.read(item, itemPath, self.delivery, into: &draft)
                    for required in ["tenant", "to", "schedule"] where !keys.contains(required) {
                        throw yaml.error(item, itemPath, "missing required key '\(required)'")
                    }
                    guard let schedule = draft.schedule else { continue }
                    var spec = ReportDeliverySpec(tenant: draft.tenant, to: draft.to, schedule: schedule)
                    spec.format = draft.format
                    spec.locale = draft.locale
                    spec.onlyBreaches = draft.onlyBreaches
                    deliveries.append(spec)
                }
            })
        ])
    }

    /// One delivery as read.
    struct DeliveryDraft {
        var tenant = ""
        var to: [String] = []
        var schedule: CalendarSchedule?
        var format = ReportDeliverySpec.Format.pdf
        var locale = "en"
        var onlyBreaches = false
    }

    var delivery: YAMLSection<DeliveryDraft> {
        YAMLSection([
            ("tenant", { _, node, path, draft throws(ConfigError) in draft.tenant = try self.identifier(node, path) }),
            ("to", { _, node, path, draft throws(ConfigError) in draft.to = try self.addresses(node, path) }),
            ("schedule", { yaml, node, path, draft throws(ConfigError) in
                let text = try yaml.string(node, path)
                do throws(CalendarSchedule.ParseError) { draft.schedule = try CalendarSchedule(parsing: text) } catch {
                    throw yaml.error(node, path, error.message)
                }
            }),
            ("format", { yaml, node, path, draft throws(ConfigError) in
                draft.format = try yaml.choice(node, path, ReportDeliverySpec.Format.allCases.map { ($0.rawValue, $0) })
            }),
            ("locale", { yaml, node, path, draft throws(ConfigError) in
                draft.locale = try self.identifier(node, path)  // checked against the catalogues once template_dir is known
            }),
            ("only", { yaml, node, path, draft throws(ConfigError) in draft.onlyBreaches = try yaml.choice(node, path, [("breaches", true)]) }),
        ])
    }
}
