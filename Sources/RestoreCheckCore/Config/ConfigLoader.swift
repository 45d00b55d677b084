import Foundation
import Yams

/// Reads and validates a restorecheck YAML config.
///
/// Works on Yams' node tree rather than `Codable` so that every error carries the line and column of
/// the offending key, unknown keys are errors (a typo like `rpo_` must not silently mean "default"),
/// and durations and sizes are parsed with messages that show the accepted forms.
///
/// Relative paths (`scratch_dir`, `state_dir`, `archives`, `manifest`) are resolved against the
/// config file's directory, so a config and the backups beside it can move together.
public struct ConfigLoader: Sendable {
    public init() {}

    /// Loads the config at `path`.
    public func load(path: String) throws(ConfigError) -> Config {
        let data: Data
        do {
            data = try Data(contentsOf: URL(fileURLWithPath: path))
        } catch {
            throw ConfigError(file: path, message: "cannot read the config: \(Self.reason(error))")
        }
        guard let text = String(data: data, encoding: .utf8) else {
            throw ConfigError(file: path, message: "the config is not UTF-8 text")
        }
        let directory = URL(fileURLWithPath: path).deletingLastPathComponent().path
        return try parse(text, file: path, baseDirectory: directory)
    }

    /// Parses config text; `file` names it in errors, `baseDirectory` anchors relative paths.
    public func parse(_ text: String, file: String, baseDirectory: String) throws(ConfigError) -> Config {
        let root: Node
        do {
            guard let node = try Yams.compose(yaml: text) else {
                throw ConfigError(file: file, message: "the config is empty")
            }
            root = node
        } catch let error as ConfigError {
            throw error
        } catch let error as YamlError {
            throw Self.locate(error, file: file, text: text)
        } catch {
            throw ConfigError(file: file, message: "\(error)")
        }
        var reader = NodeReader(file: file, baseDirectory: baseDirectory)
        return try reader.config(root)
    }

    private static func locate(_ error: YamlError, file: String, text: String) -> ConfigError {
        switch error {
        case .scanner(_, let problem, let mark, _), .parser(_, let problem, let mark, _),
            .composer(_, let problem, let mark, _):
            return ConfigError(file: file, line: mark.line, column: mark.column, message: "YAML: \(problem)")
        case .duplicatedKeysInMapping(let duplicates, let context):
            // Yams marks the mapping, not the key: point at the second occurrence, which is the one to
            // delete or rename.
            let key = duplicates.sorted().first ?? ""
            let line = secondOccurrence(of: key, in: text, after: context.mark.line) ?? context.mark.line
            return ConfigError(
                file: file, line: line, keyPath: key,
                message: "duplicate key \(duplicates.sorted().map { "'\($0)'" }.joined(separator: ", "))")
        default:
            return ConfigError(file: file, message: "YAML: \(error)")
        }
    }

    /// The line of the second `key:` at one indentation, from `startLine` on (1-based).
    private static func secondOccurrence(of key: String, in text: String, after startLine: Int) -> Int? {
        var seenIndent: Set<Int> = []
        for (index, line) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated()
        where index + 1 >= startLine {
            let trimmed = line.drop { $0 == " " || $0 == "-" }
            guard trimmed.hasPrefix("\(key):") else { continue }
            let indent = line.count - trimmed.count
            if !seenIndent.insert(indent).inserted { return index + 1 }
        }
        return nil
    }

    private static func reason(_ error: Error) -> String {
        let nsError = error as NSError
        if let underlying = nsError.userInfo[NSUnderlyingErrorKey] as? NSError, underlying.domain == NSPOSIXErrorDomain {
            return String(cString: strerror(Int32(underlying.code)))
        }
        return nsError.localizedDescription
    }
}

/// Walks the YAML node tree, keeping the key path for messages.
private struct NodeReader {
    let file: String
    let baseDirectory: String

    static let topKeys: Set<String> = ["scratch_dir", "state_dir", "defaults", "targets", "max_concurrent", "history_days"]
    static let targetKeys: Set<String> = [
        "name", "tenant", "archives", "manifest", "rpo", "rto", "sample", "limits", "every", "window", "jitter",
    ]
    static let defaultKeys: Set<String> = ["manifest", "rpo", "rto", "sample", "limits", "every", "window", "jitter"]
    static let sampleKeys: Set<String> = ["files", "bytes", "percent", "include"]
    static let limitKeys: Set<String> = ["max_bytes", "max_entries", "max_ratio", "timeout", "stall_timeout", "memory"]

    func error(_ node: Node?, _ path: String, _ message: String) -> ConfigError {
        ConfigError(file: file, line: node?.mark?.line, column: node?.mark?.column, keyPath: path, message: message)
    }

    /// The node's mapping with its keys checked against `allowed`.
    func mapping(_ node: Node, _ path: String, allowed: Set<String>) throws(ConfigError) -> [(key: String, keyNode: Node, value: Node)] {
        guard let mapping = node.mapping else {
            throw error(node, path, "expected a mapping (key: value lines)")
        }
        var seen: Set<String> = []
        var result: [(String, Node, Node)] = []
        for (keyNode, value) in mapping {
            guard let key = keyNode.string else { throw error(keyNode, path, "keys must be plain strings") }
            let keyPath = path.isEmpty ? key : "\(path).\(key)"
            guard allowed.contains(key) else {
                let suggestion = allowed.sorted().joined(separator: ", ")
                throw error(keyNode, keyPath, "unknown key (allowed here: \(suggestion))")
            }
            guard seen.insert(key).inserted else { throw error(keyNode, keyPath, "duplicate key") }
            result.append((key, keyNode, value))
        }
        return result
    }

    func string(_ node: Node, _ path: String) throws(ConfigError) -> String {
        guard let scalar = node.scalar, !scalar.string.isEmpty else {
            throw error(node, path, "expected a non-empty string")
        }
        return scalar.string
    }

    func timeSpan(_ node: Node, _ path: String) throws(ConfigError) -> TimeSpan {
        let text = try string(node, path)
        guard let span = TimeSpan(parsing: text), span.seconds > 0 else {
            throw error(node, path, "'\(text)' is not a duration (use forms like 90s, 15m, 26h, 7d, 1h30m)")
        }
        return span
    }

    func byteCount(_ node: Node, _ path: String) throws(ConfigError) -> Int64 {
        let text = try string(node, path)
        guard let size = ByteCount(parsing: text), size.bytes > 0 else {
            throw error(node, path, "'\(text)' is not a size (use forms like 4096, 512MiB, 2GiB, 10GB)")
        }
        return size.bytes
    }

    func positiveInt(_ node: Node, _ path: String) throws(ConfigError) -> Int {
        guard let text = node.scalar?.string, let value = Int(text), value > 0 else {
            throw error(node, path, "expected a whole number greater than 0")
        }
        return value
    }

    func positiveDouble(_ node: Node, _ path: String) throws(ConfigError) -> Double {
        guard let text = node.scalar?.string, let value = Double(text), value > 0, value.isFinite else {
            throw error(node, path, "expected a number greater than 0")
        }
        return value
    }

    func path(_ node: Node, _ keyPath: String) throws(ConfigError) -> String {
        resolve(try string(node, keyPath))
    }

    /// Anchors a relative path at the config's directory and removes `.`/`..` so that messages and
    /// outcomes show the path an operator would type.
    func resolve(_ text: String) -> String {
        if text.hasPrefix("/") || text.hasPrefix("{archive}") { return text }
        let joined = baseDirectory.isEmpty ? text : "\(baseDirectory)/\(text)"
        return URL(fileURLWithPath: joined).standardizedFileURL.path
    }

    /// Settings a target may inherit from `defaults`.
    struct Inheritable {
        var manifest: String?
        var rpo: TimeSpan?
        var rto: TimeSpan?
        var sample = SampleSpec()
        var limits = RestoreLimits()
        var every = TimeSpan(seconds: 86_400)
        var window: DailyWindow?
        var jitter: TimeSpan?
    }

    mutating func config(_ root: Node) throws(ConfigError) -> Config {
        var scratch = "/var/cache/restorecheck"
        var state = "/var/lib/restorecheck"
        var defaults = Inheritable()
        var maxConcurrent = 1
        var historyDays = 400
        var targetsNode: (key: Node, value: Node)?
        for (key, keyNode, value) in try mapping(root, "", allowed: Self.topKeys) {
            switch key {
            case "scratch_dir": scratch = try path(value, key)
            case "state_dir": state = try path(value, key)
            case "defaults": defaults = try inheritable(value, key, base: Inheritable(), allowed: Self.defaultKeys)
            case "targets": targetsNode = (keyNode, value)
            case "max_concurrent": maxConcurrent = try positiveInt(value, key)
            case "history_days": historyDays = try positiveInt(value, key)
            default: break
            }
        }
        guard let targetsNode else {
            throw error(root, "targets", "missing required key (a list of backup targets)")
        }
        guard let list = targetsNode.value.sequence, !list.isEmpty else {
            throw error(targetsNode.value, "targets", "expected a non-empty list of targets")
        }
        var targets: [Target] = []
        var names: [String: Int] = [:]
        for (index, node) in list.enumerated() {
            let target = try target(node, "targets[\(index)]", defaults: defaults)
            if let firstLine = names[target.name] {
                throw error(node, "targets[\(index)].name", "duplicate target name '\(target.name)' (first defined on line \(firstLine))")
            }
            names[target.name] = node.mark?.line ?? 0
            targets.append(target)
        }
        return Config(
            scratchDirectory: scratch, stateDirectory: state, targets: targets, maxConcurrent: maxConcurrent,
            historyDays: historyDays, sourcePath: file)
    }

    func inheritable(_ node: Node, _ path: String, base: Inheritable, allowed: Set<String>) throws(ConfigError) -> Inheritable {
        var result = base
        for (key, _, value) in try mapping(node, path, allowed: allowed) {
            let keyPath = "\(path).\(key)"
            switch key {
            case "manifest": result.manifest = try string(value, keyPath)
            case "rpo": result.rpo = try timeSpan(value, keyPath)
            case "rto": result.rto = try timeSpan(value, keyPath)
            case "sample": result.sample = try sample(value, keyPath, base: base.sample)
            case "limits": result.limits = try limits(value, keyPath, base: base.limits)
            case "every": result.every = try timeSpan(value, keyPath)
            case "jitter":
                let text = try string(value, keyPath)
                guard let span = TimeSpan(parsing: text) else {
                    throw error(value, keyPath, "'\(text)' is not a duration (use forms like 0s, 90s, 15m)")
                }
                result.jitter = span
            case "window":
                let text = try string(value, keyPath)
                guard let window = DailyWindow(parsing: text) else {
                    throw error(value, keyPath, "'\(text)' is not a daily window (use HH:MM-HH:MM, e.g. \"22:00-06:00\")")
                }
                result.window = window
            default: break
            }
        }
        return result
    }

    func target(_ node: Node, _ path: String, defaults: Inheritable) throws(ConfigError) -> Target {
        let settings = try inheritable(node, path, base: defaults, allowed: Self.targetKeys)
        let entries = try mapping(node, path, allowed: Self.targetKeys)
        func required(_ key: String) throws(ConfigError) -> Node {
            guard let entry = entries.first(where: { $0.key == key }) else {
                throw error(node, "\(path).\(key)", "missing required key")
            }
            return entry.value
        }
        let name = try identifier(try required("name"), "\(path).name")
        let tenant = try identifier(try required("tenant"), "\(path).tenant")
        let archives = try self.path(try required("archives"), "\(path).archives")
        guard let rpo = settings.rpo else {
            throw error(node, "\(path).rpo", "missing: set rpo on the target or under defaults")
        }
        guard let rto = settings.rto else {
            throw error(node, "\(path).rto", "missing: set rto on the target or under defaults")
        }
        let manifest = settings.manifest.map(resolve)
        return Target(
            name: name, tenant: tenant, archiveGlob: archives, manifestTemplate: manifest,
            rpo: rpo, rto: rto, sample: settings.sample, limits: settings.limits,
            schedule: Schedule(every: settings.every, window: settings.window, jitter: settings.jitter))
    }

    /// Names become metric label values and scratch directory names: keep them to a safe alphabet.
    func identifier(_ node: Node, _ path: String) throws(ConfigError) -> String {
        let text = try string(node, path)
        let allowed = text.unicodeScalars.allSatisfy {
            ($0.isASCII && ($0.properties.isAlphabetic || ("0"..."9").contains($0))) || "-_.".unicodeScalars.contains($0)
        }
        guard allowed, text.count <= 128, !text.hasPrefix(".") else {
            throw error(node, path, "'\(text)' must be 1–128 characters of A–Z, a–z, 0–9, '-', '_', '.' (not starting with '.')")
        }
        return text
    }

    func sample(_ node: Node, _ path: String, base: SampleSpec) throws(ConfigError) -> SampleSpec {
        var result = SampleSpec(size: base.size, include: base.include)
        var sizeKeys: [String] = []
        for (key, _, value) in try mapping(node, path, allowed: Self.sampleKeys) {
            let keyPath = "\(path).\(key)"
            switch key {
            case "files":
                sizeKeys.append(key)
                if value.scalar?.string == "all" {
                    result.size = .all
                } else {
                    guard let text = value.scalar?.string, let count = Int(text), count > 0 else {
                        throw error(value, keyPath, "expected a whole number greater than 0, or 'all'")
                    }
                    result.size = .files(count)
                }
            case "bytes":
                sizeKeys.append(key)
                result.size = .bytes(try byteCount(value, keyPath))
            case "percent":
                sizeKeys.append(key)
                let percent = try positiveDouble(value, keyPath)
                guard percent <= 100 else { throw error(value, keyPath, "a percentage must be at most 100") }
                result.size = .percent(percent)
            case "include":
                guard let list = value.sequence else { throw error(value, keyPath, "expected a list of paths") }
                var includes: [String] = []
                for (index, item) in list.enumerated() {
                    includes.append(try string(item, "\(keyPath)[\(index)]"))
                }
                result.include = includes
            default: break
            }
        }
        if sizeKeys.count > 1 {
            throw error(node, path, "choose one of files, bytes, percent (found \(sizeKeys.joined(separator: " and ")))")
        }
        return result
    }

    func limits(_ node: Node, _ path: String, base: RestoreLimits) throws(ConfigError) -> RestoreLimits {
        var result = base
        for (key, _, value) in try mapping(node, path, allowed: Self.limitKeys) {
            let keyPath = "\(path).\(key)"
            switch key {
            case "max_bytes": result.maxBytes = try byteCount(value, keyPath)
            case "max_entries": result.maxEntries = try positiveInt(value, keyPath)
            case "max_ratio": result.maxRatio = try positiveDouble(value, keyPath)
            case "timeout": result.timeout = try timeSpan(value, keyPath)
            case "stall_timeout": result.stallTimeout = try timeSpan(value, keyPath)
            case "memory":
                result.memoryBytes = try byteCount(value, keyPath)
                guard result.memoryBytes >= 256 << 20 else {
                    throw error(value, keyPath, "at least 256MiB: the worker's runtime alone maps ~100 MiB")
                }
            default: break
            }
        }
        return result
    }
}
