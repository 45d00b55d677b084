import Foundation
import ObjectStorage
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

/// Walks the YAML node tree through the config's schema: one `YAMLSection` per section below is the
/// only list of its keys, and says how each is read.
struct NodeReader {
    let file: String
    let baseDirectory: String
    var yaml: YAMLReader { YAMLReader(file: file) }

    func error(_ node: Node?, _ path: String, _ message: String) -> ConfigError { yaml.error(node, path, message) }

    func path(_ node: Node, _ keyPath: String) throws(ConfigError) -> String {
        resolve(try yaml.string(node, keyPath))
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
        var clockSkew = RestorePointAge.defaultAllowance
        var sample = SampleSpec()
        var limits = RestoreLimits()
        var every = TimeSpan(seconds: 86_400)
        var window: DailyWindow?
        var jitter: TimeSpan?
        var canary: String?
        var canaryKey: String?
        var contentChecks = CheckMode.fail
        var changeChecks = CheckMode.fail
        var changeThresholds = ChangeThresholds()
        var validate: [ValidationRule] = []
    }

    /// The top level as read, before targets are built.
    struct TopLevel {
        var scratch = "/var/cache/restorecheck"
        var state = "/var/lib/restorecheck"
        var defaults = Inheritable()
        var targets: Node?
        var maxConcurrent = 1
        var historyDays = 400
        var report = ReportSettings()
        var notify: [NotifyChannel] = []
        var smtp: (settings: SMTPSettings, node: Node)?
        var deliveries: [ReportDeliverySpec] = []
        var history = HistorySection()
        var fleet = FleetSettings()
    }

    /// A target as read: its inheritable settings (starting from `defaults`) and its own keys.
    struct TargetDraft {
        var settings: Inheritable
        var name: String?
        var tenant: String?
        var archives: String?
        var repository: (source: RepositorySource, node: Node)?
        var objectStorage: (source: ObjectStorageTarget, node: Node)?
        var egressBudget: (bytes: Int64, node: Node)?
        var liveSource: LiveSource?
        var location: String?
    }

    var topLevel: YAMLSection<TopLevel> {
        YAMLSection([
            ("scratch_dir", { _, node, path, top throws(ConfigError) in top.scratch = try self.path(node, path) }),
            ("state_dir", { _, node, path, top throws(ConfigError) in top.state = try self.path(node, path) }),
            ("defaults", { yaml, node, path, top throws(ConfigError) in try yaml.read(node, path, self.inheritable, into: &top.defaults) }),
            ("targets", { _, node, _, top throws(ConfigError) in top.targets = node }),
            ("max_concurrent", { yaml, node, path, top throws(ConfigError) in top.maxConcurrent = try yaml.positiveInt(node, path) }),
            ("history_days", { yaml, node, path, top throws(ConfigError) in top.historyDays = try yaml.positiveInt(node, path) }),
            ("report", { yaml, node, path, top throws(ConfigError) in try yaml.read(node, path, self.report, into: &top.report) }),
            ("notify", { _, node, path, top throws(ConfigError) in top.notify = try self.notifyChannels(node, path) }),
            ("smtp", { _, node, path, top throws(ConfigError) in top.smtp = (try self.smtp(node, path), node) }),
            ("reports", { yaml, node, path, top throws(ConfigError) in try yaml.read(node, path, self.reports, into: &top.deliveries) }),
            ("history", { yaml, node, path, top throws(ConfigError) in try yaml.read(node, path, self.historySection, into: &top.history) }),
            ("fleet", { yaml, node, path, top throws(ConfigError) in try yaml.read(node, path, self.fleetSection, into: &top.fleet) }),
        ])
    }

    var report: YAMLSection<ReportSettings> {
        YAMLSection([
            ("company", { yaml, node, path, report throws(ConfigError) in report.company = try yaml.string(node, path) }),
            ("logo", { _, node, path, report throws(ConfigError) in report.logoPath = try self.path(node, path) }),
            ("template_dir", { _, node, path, report throws(ConfigError) in report.templateDirectory = try self.path(node, path) }),
            ("serve", { yaml, node, path, report throws(ConfigError) in
                report.serve = try yaml.choice(node, path, [("true", true), ("false", false)])
            }),
            ("period", { yaml, node, path, report throws(ConfigError) in report.period = try yaml.timeSpan(node, path) }),
        ])
    }

    var inheritable: YAMLSection<Inheritable> {
        YAMLSection([
            ("manifest", { yaml, node, path, value throws(ConfigError) in value.manifest = try yaml.string(node, path) }),
            ("rpo", { yaml, node, path, value throws(ConfigError) in value.rpo = try yaml.timeSpan(node, path) }),
            ("rto", { yaml, node, path, value throws(ConfigError) in value.rto = try yaml.timeSpan(node, path) }),
            ("clock_skew", { yaml, node, path, value throws(ConfigError) in
                let span = try yaml.timeSpan(node, path)
                guard span <= RestorePointAge.maximumAllowance else {
                    throw yaml.error(node, path, "at most \(RestorePointAge.maximumAllowance): a larger allowance would trust forged dates")
                }
                value.clockSkew = span
            }),
            ("sample", { yaml, node, path, value throws(ConfigError) in value.sample = try self.sample(node, path, base: value.sample) }),
            ("limits", { yaml, node, path, value throws(ConfigError) in try yaml.read(node, path, Self.limits, into: &value.limits) }),
            ("every", { yaml, node, path, value throws(ConfigError) in value.every = try yaml.timeSpan(node, path) }),
            ("canary", { yaml, node, path, value throws(ConfigError) in
                let text = try yaml.string(node, path)
                guard case .success = EntryName.validate(EntryName.strippingRoot(Array(text.utf8)).bytes) else {
                    throw yaml.error(node, path, "'\(text)' is not an entry name an archive can hold (no '..', not empty)")
                }
                value.canary = text
            }),
            ("canary_key", { _, node, path, value throws(ConfigError) in value.canaryKey = try self.path(node, path) }),
            ("content_checks", { yaml, node, path, value throws(ConfigError) in
                value.contentChecks = try yaml.choice(node, path, CheckMode.allCases.map { ($0.rawValue, $0) })
            }),
            ("change_checks", { yaml, node, path, value throws(ConfigError) in
                value.changeChecks = try yaml.choice(node, path, CheckMode.allCases.map { ($0.rawValue, $0) })
            }),
            ("validate", { yaml, node, path, value throws(ConfigError) in
                guard let list = node.sequence else { throw yaml.error(node, path, "expected a list of { match: GLOB, check: NAME }") }
                var rules: [ValidationRule] = []
                for (index, item) in list.enumerated() {
                    var draft = ValidationDraft()
                    try yaml.read(item, "\(path)[\(index)]", Self.validationRule, into: &draft)
                    guard let match = draft.match else { throw yaml.error(item, "\(path)[\(index)].match", "missing required key") }
                    switch (draft.check, draft.command) {
                    case (let check?, nil): rules.append(ValidationRule(match: match, check: check))
                    case (nil, let command?): rules.append(ValidationRule(match: match, command: command, timeout: draft.timeout ?? TimeSpan(seconds: 600)))
                    case (.some, .some): throw yaml.error(item, "\(path)[\(index)]", "choose one of check and command")
                    case (nil, nil): throw yaml.error(item, "\(path)[\(index)].check", "missing: set check (a built-in) or command")
                    }
                    if draft.timeout != nil, draft.command == nil {
                        throw yaml.error(item, "\(path)[\(index)].timeout", "timeout applies to commands only")
                    }
                }
                value.validate = rules
            }),
            ("change_thresholds", { yaml, node, path, value throws(ConfigError) in
                try yaml.read(node, path, Self.changeThresholds, into: &value.changeThresholds)
            }),
            ("jitter", { yaml, node, path, value throws(ConfigError) in
                let text = try yaml.string(node, path)
                guard let span = TimeSpan(parsing: text) else {
                    throw yaml.error(node, path, "'\(text)' is not a duration (use forms like 0s, 90s, 15m)")
                }
                value.jitter = span
            }),
            ("window", { yaml, node, path, value throws(ConfigError) in
                let text = try yaml.string(node, path)
                guard let window = DailyWindow(parsing: text) else {
                    throw yaml.error(node, path, "'\(text)' is not a daily window (use HH:MM-HH:MM, e.g. \"22:00-06:00\")")
                }
                value.window = window
            }),
        ])
    }

    var target: YAMLSection<TargetDraft> {
        inheritable.lifted(into: \TargetDraft.settings).adding([
            ("name", { _, node, path, draft throws(ConfigError) in draft.name = try self.identifier(node, path) }),
            ("tenant", { _, node, path, draft throws(ConfigError) in draft.tenant = try self.identifier(node, path) }),
            ("location", { _, node, path, draft throws(ConfigError) in draft.location = try self.identifier(node, path) }),
            ("archives", { _, node, path, draft throws(ConfigError) in draft.archives = try self.path(node, path) }),
            ("compare_with_source", { yaml, node, path, draft throws(ConfigError) in
                if node.scalar != nil {
                    draft.liveSource = LiveSource(path: try self.path(node, path))
                    return
                }
                var source = LiveSource(path: "")
                try yaml.read(node, path, YAMLSection<LiveSource>([
                    ("path", { _, node, path, source throws(ConfigError) in source.path = try self.path(node, path) }),
                    ("exclude", { yaml, node, path, source throws(ConfigError) in
                        guard let items = node.sequence else { throw yaml.error(node, path, "expected a list of globs over entry names") }
                        source.exclude = try items.enumerated().map { index, item throws(ConfigError) in try yaml.string(item, "\(path)[\(index)]") }
                    }),
                ]), into: &source)
                guard !source.path.isEmpty else { throw self.error(node, "\(path).path", "missing required key") }
                draft.liveSource = source
            }),
            ("restic", { _, node, path, draft throws(ConfigError) in
                try self.setRepository(&draft, try self.repository(node, path, tool: .restic), node: node, path: path)
            }),
            ("borg", { _, node, path, draft throws(ConfigError) in
                try self.setRepository(&draft, try self.repository(node, path, tool: .borg), node: node, path: path)
            }),
            ("s3", { _, node, path, draft throws(ConfigError) in draft.objectStorage = (try self.objectStorage(node, path), node) }),
            ("egress_budget", { yaml, node, path, draft throws(ConfigError) in
                // Providers bill egress by the month: the unit is part of the value, so no one reads it as per test.
                let text = try yaml.string(node, path)
                guard text.hasSuffix("/month"), let size = ByteCount(parsing: String(text.dropLast("/month".count))), size.bytes > 0 else {
                    throw yaml.error(node, path, "'\(text)' is not a monthly size (use forms like 200GiB/month)")
                }
                draft.egressBudget = (size.bytes, node)
            }),
        ])
    }

    /// `s3: { endpoint, bucket, key, region, credentials_file, profile, path_style, ca_file }`.
    func objectStorage(_ node: Node, _ path: String) throws(ConfigError) -> ObjectStorageTarget {
        var target = ObjectStorageTarget(bucket: S3Bucket(endpoint: "", bucket: ""), keyGlob: "")
        var fields: [(String, YAMLSection<ObjectStorageTarget>.Field)] = [
            ("endpoint", { yaml, node, path, target throws(ConfigError) in
                let text = try yaml.string(node, path)
                target.bucket.endpoint = text
                guard text.hasPrefix("https://") || text.hasPrefix("http://"), URLComponents(string: text)?.host?.isEmpty == false else {
                    throw yaml.error(node, path, "expected an https:// URL, got '\(text)'")
                }
                // Plain http would carry the signed requests and the backup's bytes in the clear.
                if text.hasPrefix("http://"), !target.bucket.endpointIsLoopback {
                    throw yaml.error(node, path, "plain http is allowed only for a loopback endpoint: use https://")
                }
            }),
            ("bucket", { yaml, node, path, target throws(ConfigError) in target.bucket.bucket = try yaml.string(node, path) }),
            ("key", { yaml, node, path, target throws(ConfigError) in target.keyGlob = try yaml.string(node, path) }),
            ("region", { yaml, node, path, target throws(ConfigError) in target.bucket.region = try yaml.string(node, path) }),
            ("profile", { yaml, node, path, target throws(ConfigError) in target.bucket.profile = try yaml.string(node, path) }),
            ("credentials_file", { _, node, path, target throws(ConfigError) in target.bucket.credentialsFile = try self.path(node, path) }),
            ("ca_file", { _, node, path, target throws(ConfigError) in target.bucket.caFile = try self.path(node, path) }),
            ("path_style", { yaml, node, path, target throws(ConfigError) in
                target.bucket.pathStyle = try yaml.choice(node, path, [("true", true), ("false", false)])
            }),
        ]
        for secret in ["secret_key", "secret_access_key", "aws_secret_access_key", "access_key", "aws_access_key_id", "session_token"] {
            fields.append((secret, { yaml, node, path, _ throws(ConfigError) in
                throw yaml.error(node, path, "secrets are never kept in the config: use credentials_file (AWS shared-credentials format) or AWS_* in the service's environment")
            }))
        }
        try yaml.read(node, path, YAMLSection(fields), into: &target)
        for (key, value) in [("endpoint", target.bucket.endpoint), ("bucket", target.bucket.bucket), ("key", target.keyGlob)] where value.isEmpty {
            throw error(node, "\(path).\(key)", "missing required key")
        }
        return target
    }

    func setRepository(_ draft: inout TargetDraft, _ source: RepositorySource, node: Node, path: String) throws(ConfigError) {
        if let other = draft.repository {
            throw error(node, path, "choose one source: \(other.source.tool.rawValue) is already set")
        }
        draft.repository = (source, node)
    }

    /// `restic: { repository, password_file, snapshot }` or
    /// `borg: { repository, passcommand | password_file, archive }`.
    func repository(_ node: Node, _ path: String, tool: RepositorySource.Tool) throws(ConfigError) -> RepositorySource {
        var source = RepositorySource(tool: tool, repository: "")
        var fields: [(String, YAMLSection<RepositorySource>.Field)] = [
            ("repository", { yaml, node, path, source throws(ConfigError) in
                let text = try yaml.string(node, path)
                // A local repository is a path (resolved like every path); anything with a scheme is the tool's URL.
                source.repository = text.contains(":") ? text : self.resolve(text)
            }),
            ("password_file", { _, node, path, source throws(ConfigError) in source.passwordFile = try self.path(node, path) }),
            ("binary", { _, node, path, source throws(ConfigError) in source.binary = try self.path(node, path) }),
            (tool == .restic ? "snapshot" : "archive", { yaml, node, path, source throws(ConfigError) in source.snapshot = try yaml.string(node, path) }),
        ]
        if tool == .restic {
            fields.append(("credentials_file", { _, node, path, source throws(ConfigError) in source.credentialsFile = try self.path(node, path) }))
        }
        if tool == .borg {
            fields.append(("passcommand", { yaml, node, path, source throws(ConfigError) in source.passcommand = try yaml.string(node, path) }))
        }
        for secret in ["password", "passphrase"] {
            fields.append((secret, { yaml, node, path, _ throws(ConfigError) in
                throw yaml.error(node, path, "secrets are never kept in the config: use password_file\(tool == .borg ? " or passcommand" : "")")
            }))
        }
        try yaml.read(node, path, YAMLSection(fields), into: &source)
        guard !source.repository.isEmpty else { throw error(node, "\(path).repository", "missing required key") }
        if source.credentialsFile != nil, !source.repository.hasPrefix("s3:") {
            throw error(node, "\(path).credentials_file", "credentials_file is for an s3: repository")
        }
        if tool == .borg, source.repository.hasPrefix("s3:") {
            throw error(node, "\(path).repository", "borg has no S3 backend: test archives in a bucket with s3:, or a borg repository on a host")
        }
        if tool == .restic, source.passwordFile == nil {
            throw error(node, "\(path).password_file", "missing required key (restic repositories are always encrypted)")
        }
        if source.passwordFile != nil, source.passcommand != nil {
            throw error(node, path, "choose one of password_file and passcommand")
        }
        return source
    }

    /// One `validate:` item as read.
    struct ValidationDraft {
        var match: String?
        var check: BuiltInCheck?
        var command: [String]?
        var timeout: TimeSpan?
    }

    static var validationRule: YAMLSection<ValidationDraft> { YAMLSection([
        ("match", { yaml, node, path, rule throws(ConfigError) in
            let text = try yaml.string(node, path)
            guard !text.isEmpty, !text.hasPrefix("/") else { throw yaml.error(node, path, "a glob over entry names, e.g. \"**/*.sqlite\" or \"db/*.dump\"") }
            rule.match = text
        }),
        ("check", { yaml, node, path, rule throws(ConfigError) in
            rule.check = try yaml.choice(node, path, BuiltInCheck.allCases.map { ($0.rawValue, $0) })
        }),
        ("command", { yaml, node, path, rule throws(ConfigError) in
            guard let list = node.sequence, !list.isEmpty else {
                throw yaml.error(node, path, "expected a non-empty list: the program and its arguments (no shell)")
            }
            var argv: [String] = []
            for (index, item) in list.enumerated() { argv.append(try yaml.string(item, "\(path)[\(index)]")) }
            guard argv[0].hasPrefix("/") else { throw yaml.error(node, path, "the program must be an absolute path (there is no shell and no PATH search)") }
            rule.command = argv
        }),
        ("timeout", { yaml, node, path, rule throws(ConfigError) in rule.timeout = try yaml.timeSpan(node, path) }),
    ]) }

    static var changeThresholds: YAMLSection<ChangeThresholds> { YAMLSection([
        ("deleted_files", { yaml, node, path, rules throws(ConfigError) in rules.deletedFiles = try yaml.positiveInt(node, path) }),
        ("deleted_percent", { yaml, node, path, rules throws(ConfigError) in rules.deletedPercent = try percent(yaml, node, path) }),
        ("new_extensions", { yaml, node, path, rules throws(ConfigError) in rules.newExtensions = try yaml.positiveInt(node, path) }),
        ("changed_sigma", { yaml, node, path, rules throws(ConfigError) in rules.changedSigma = try yaml.positiveDouble(node, path) }),
        ("changed_min_points", { yaml, node, path, rules throws(ConfigError) in rules.changedMinPoints = try yaml.positiveInt(node, path) }),
        ("changed_min_percent", { yaml, node, path, rules throws(ConfigError) in rules.changedMinPercent = try percent(yaml, node, path) }),
        ("size_drop_percent", { yaml, node, path, rules throws(ConfigError) in rules.sizeDropPercent = try percent(yaml, node, path) }),
    ]) }

    static func percent(_ yaml: YAMLReader, _ node: Node, _ path: String) throws(ConfigError) -> Double {
        let value = try yaml.positiveDouble(node, path)
        guard value <= 100 else { throw yaml.error(node, path, "a percentage must be at most 100") }
        return value
    }

    static var limits: YAMLSection<RestoreLimits> { YAMLSection([
        ("max_bytes", { yaml, node, path, limits throws(ConfigError) in limits.maxBytes = try yaml.byteCount(node, path) }),
        ("max_entries", { yaml, node, path, limits throws(ConfigError) in limits.maxEntries = try yaml.positiveInt(node, path) }),
        ("max_ratio", { yaml, node, path, limits throws(ConfigError) in limits.maxRatio = try yaml.positiveDouble(node, path) }),
        ("timeout", { yaml, node, path, limits throws(ConfigError) in limits.timeout = try yaml.timeSpan(node, path) }),
        ("stall_timeout", { yaml, node, path, limits throws(ConfigError) in limits.stallTimeout = try yaml.timeSpan(node, path) }),
        ("memory", { yaml, node, path, limits throws(ConfigError) in
            limits.memoryBytes = try yaml.byteCount(node, path)
            guard limits.memoryBytes >= 256 << 20 else {
                throw yaml.error(node, path, "at least 256MiB: the worker's runtime alone maps ~100 MiB")
            }
        }),
        ("processes", { yaml, node, path, limits throws(ConfigError) in
            limits.processes = try yaml.positiveInt(node, path)
            guard limits.processes >= 16 else {
                throw yaml.error(node, path, "at least 16: a validation command's tools start helpers (initdb alone runs several)")
            }
        }),
    ]) }

    /// A sample: the size keys (one of them) and `include`.
    static var sampleSection: YAMLSection<(spec: SampleSpec, sizeKeys: [String])> { YAMLSection([
        ("files", { yaml, node, path, sample throws(ConfigError) in
            sample.sizeKeys.append("files")
            if node.scalar?.string == "all" {
                sample.spec.size = .all
            } else {
                guard let text = node.scalar?.string, let count = Int(text), count > 0 else {
                    throw yaml.error(node, path, "expected a whole number greater than 0, or 'all'")
                }
                sample.spec.size = .files(count)
            }
        }),
        ("bytes", { yaml, node, path, sample throws(ConfigError) in
            sample.sizeKeys.append("bytes")
            sample.spec.size = .bytes(try yaml.byteCount(node, path))
        }),
        ("percent", { yaml, node, path, sample throws(ConfigError) in
            sample.sizeKeys.append("percent")
            let percent = try yaml.positiveDouble(node, path)
            guard percent <= 100 else { throw yaml.error(node, path, "a percentage must be at most 100") }
            sample.spec.size = .percent(percent)
        }),
        ("coverage", { yaml, node, path, sample throws(ConfigError) in sample.spec.coverage = try yaml.timeSpan(node, path) }),
        ("include", { yaml, node, path, sample throws(ConfigError) in
            guard let list = node.sequence else { throw yaml.error(node, path, "expected a list of paths") }
            var includes: [String] = []
            for (index, item) in list.enumerated() {
                includes.append(try yaml.string(item, "\(path)[\(index)]"))
            }
            sample.spec.include = includes
        }),
    ]) }

    func sample(_ node: Node, _ path: String, base: SampleSpec) throws(ConfigError) -> SampleSpec {
        var sample = (spec: SampleSpec(size: base.size, include: base.include, coverage: base.coverage), sizeKeys: [String]())
        try yaml.read(node, path, Self.sampleSection, into: &sample)
        if sample.sizeKeys.count > 1 {
            throw error(node, path, "choose one of files, bytes, percent (found \(sample.sizeKeys.joined(separator: " and ")))")
        }
        switch (sample.spec.coverage, sample.spec.size) {
        case (.some, .bytes), (.some, .percent):
            throw error(node, "\(path).coverage", "coverage rotates a 'files' sample (files: N or files: all), not bytes or percent")
        default: break
        }
        return sample.spec
    }

    mutating func config(_ root: Node) throws(ConfigError) -> Config {
        var top = TopLevel()
        try yaml.read(root, "", topLevel, into: &top)
        guard let targetsNode = top.targets else {
            throw error(root, "targets", "missing required key (a list of backup targets)")
        }
        guard let list = targetsNode.sequence, !list.isEmpty else {
            throw error(targetsNode, "targets", "expected a non-empty list of targets")
        }
        var targets: [Target] = []
        var names: [String: Int] = [:]
        for (index, node) in list.enumerated() {
            let target = try target(node, "targets[\(index)]", defaults: top.defaults, stateDirectory: top.state)
            if let firstLine = names[target.name] {
                throw error(node, "targets[\(index)].name", "duplicate target name '\(target.name)' (first defined on line \(firstLine))")
            }
            names[target.name] = node.mark?.line ?? 0
            targets.append(target)
        }
        var config = Config(
            scratchDirectory: top.scratch, stateDirectory: top.state, targets: targets, maxConcurrent: top.maxConcurrent,
            historyDays: top.historyDays, sourcePath: file)
        config.report = top.report
        config.notify = top.notify
        config.smtp = top.smtp?.settings
        if config.smtp == nil, let channel = config.notify.first(where: { $0.email != nil }) {
            throw error(root, "smtp", "notify channel '\(channel.name)' sends e-mail: add an smtp: section (server, from)")
        }
        config.deliveries = top.deliveries
        config.postgresql = top.history.postgresql
        config.fleet = top.fleet
        if config.smtp == nil, !config.deliveries.isEmpty {
            throw error(root, "smtp", "reports.deliver mails reports: add an smtp: section (server, from)")
        }
        for delivery in config.deliveries where !ReportLocale.isAvailable(delivery.locale, templateDirectory: config.report.templateDirectory) {
            throw error(
                root, "reports.deliver",
                "locale '\(delivery.locale)' has no catalogue: built in are \(ReportLocale.builtIn.joined(separator: ", ")); a third language is messages.\(delivery.locale).yaml in report.template_dir")
        }
        for delivery in config.deliveries where !config.tenants.contains(delivery.tenant) {
            throw error(root, "reports.deliver", "tenant '\(delivery.tenant)' has no target (tenants: \(config.tenants.joined(separator: ", ")))")
        }
        for channel in config.notify {
            for tenant in channel.tenants ?? [] where !config.tenants.contains(tenant) {
                throw error(root, "notify", "channel '\(channel.name)' names tenant '\(tenant)', which no target has (tenants: \(config.tenants.joined(separator: ", ")))")
            }
        }
        return config
    }

    func target(_ node: Node, _ path: String, defaults: Inheritable, stateDirectory: String) throws(ConfigError) -> Target {
        var draft = TargetDraft(settings: defaults)
        try yaml.read(node, path, target, into: &draft)
        guard let name = draft.name else { throw error(node, "\(path).name", "missing required key") }
        guard let tenant = draft.tenant else { throw error(node, "\(path).tenant", "missing required key") }
        if draft.archives != nil, let repository = draft.repository {
            throw error(repository.node, "\(path).\(repository.source.tool.rawValue)", "choose one source: archives or \(repository.source.tool.rawValue)")
        }
        if let storage = draft.objectStorage, draft.archives != nil || draft.repository != nil {
            throw error(storage.node, "\(path).s3", "choose one source: s3, archives, restic or borg")
        }
        guard let archives = draft.archives ?? draft.repository?.source.display ?? draft.objectStorage?.source.display else {
            throw error(node, "\(path).archives", "missing required key (or a restic:, borg: or s3: source)")
        }
        let settings = draft.settings
        guard let rpo = settings.rpo else {
            throw error(node, "\(path).rpo", "missing: set rpo on the target or under defaults")
        }
        guard let rto = settings.rto else {
            throw error(node, "\(path).rto", "missing: set rto on the target or under defaults")
        }
        var target = Target(
            name: name, tenant: tenant, archiveGlob: archives, manifestTemplate: settings.manifest.map(resolve),
            rpo: rpo, rto: rto, sample: settings.sample, limits: settings.limits,
            schedule: Schedule(every: settings.every, window: settings.window, jitter: settings.jitter))
        target.repository = draft.repository?.source
        target.location = draft.location
        if let storage = draft.objectStorage?.source {
            target.objectStorage = storage
            // The manifest is a key in the same bucket, not a path on this host.
            target.manifestTemplate = settings.manifest
        }
        if let budget = draft.egressBudget {
            guard target.objectStorage != nil else {
                throw error(budget.node, "\(path).egress_budget", "an egress budget is for an s3: target")
            }
            target.egressBudget = budget.bytes
            target.egressLedgerPath = "\(stateDirectory)/egress/\(name)"
        }
        target.clockSkew = settings.clockSkew
        if target.repository != nil { target.restoreTimePath = "\(stateDirectory)/restore-times/\(name).json" }
        target.liveSource = draft.liveSource
        target.canary = settings.canary.map { CanarySpec(entry: $0, keyPath: settings.canaryKey ?? "\(stateDirectory)/canary.key") }
        target.contentChecks = settings.contentChecks
        if settings.sample.coverage != nil {
            guard target.manifestTemplate != nil else {
                throw error(node, "\(path).sample.coverage", "coverage counts manifest entries: set a manifest")
            }
            target.coverageStatePath = "\(stateDirectory)/coverage/\(name).state"
        }
        target.validate = settings.validate
        target.changeChecks = settings.changeChecks
        target.changeThresholds = settings.changeThresholds
        if target.manifestTemplate != nil { target.changeSummaryPath = "\(stateDirectory)/changes/\(name).summary" }
        return target
    }

    /// Names become metric label values and scratch directory names: keep them to a safe alphabet.
    func identifier(_ node: Node, _ path: String) throws(ConfigError) -> String {
        let text = try yaml.string(node, path)
        let allowed = text.unicodeScalars.allSatisfy {
            ($0.isASCII && ($0.properties.isAlphabetic || ("0"..."9").contains($0))) || "-_.".unicodeScalars.contains($0)
        }
        guard allowed, text.count <= 128, !text.hasPrefix(".") else {
            throw error(node, path, "'\(text)' must be 1–128 characters of A–Z, a–z, 0–9, '-', '_', '.' (not starting with '.')")
        }
        return text
    }
}
