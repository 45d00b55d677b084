import Foundation
import Yams

/// `history:` and `fleet:` (README "Fleet"): where the outcome history lives when it is not the
/// embedded SQLite file, and this host's name in the fleet.
extension NodeReader {
    /// What `history:` says.
    struct HistorySection {
        var postgresql: PostgresSettings?
        var url: String?
        var passwordFile: String?
    }

    var historySection: YAMLSection<HistorySection> {
        YAMLSection([
            ("postgresql", { _, node, path, history throws(ConfigError) in history.postgresql = try self.postgresql(node, path) })
        ])
    }

    func postgresql(_ node: Node, _ path: String) throws(ConfigError) -> PostgresSettings {
        var section = HistorySection()
        let keys = try yaml.read(node, path, postgresqlSection, into: &section)
        guard keys.contains("url"), let url = section.url else { throw error(node, path, "missing required key 'url'") }
        var settings: PostgresSettings
        do {
            settings = try PostgresSettings.parse(url: url)
        } catch {
            throw self.error(node, "\(path).url", error.description)
        }
        settings.passwordFile = section.passwordFile
        return settings
    }

    var postgresqlSection: YAMLSection<HistorySection> {
        YAMLSection([
            ("url", { yaml, node, path, section throws(ConfigError) in section.url = try yaml.string(node, path) }),
            ("password_file", { _, node, path, section throws(ConfigError) in section.passwordFile = try self.path(node, path) }),
        ])
    }

    var fleetSection: YAMLSection<FleetSettings> {
        YAMLSection([
            ("node", { yaml, node, path, fleet throws(ConfigError) in
                let text = try yaml.string(node, path)
                guard FleetSettings.isValidNodeName(text) else {
                    throw yaml.error(node, path, "'\(text)' is not a node name (letters, digits, - _ ., at most 63)")
                }
                fleet.node = text
            }),
            ("locations", { _, node, path, fleet throws(ConfigError) in
                guard let list = node.sequence, !list.isEmpty else { throw self.error(node, path, "expected a non-empty list of location names") }
                var locations: [String] = []
                for (index, item) in list.enumerated() { locations.append(try self.identifier(item, "\(path)[\(index)]")) }
                fleet.locations = locations
            }),
            ("lease", { yaml, node, path, fleet throws(ConfigError) in
                let lease = try yaml.timeSpan(node, path)
                // Renewed every third of it: shorter would turn a slow database round trip into a lost test.
                guard lease.seconds >= 3 else { throw yaml.error(node, path, "a lease shorter than 3s would be lost to one slow round trip") }
                fleet.lease = lease
            }),
            ("max_concurrent", { yaml, node, path, fleet throws(ConfigError) in fleet.maxConcurrent = try yaml.positiveInt(node, path) }),
            ("per_tenant", { yaml, node, path, fleet throws(ConfigError) in fleet.perTenant = try yaml.positiveInt(node, path) }),
        ])
    }
}
