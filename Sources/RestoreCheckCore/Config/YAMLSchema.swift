import Yams

/// One section of a YAML document: its keys, each with the function that reads its value.
///
/// The table is the only list of what a section allows. Before this, a set of allowed keys and a
/// `switch` over them were two lists, and a key in the set but not in the `switch` was accepted and
/// silently ignored.
public struct YAMLSection<Value> {
    /// Reads one key's value into the section's value; `path` is the key's path for messages.
    public typealias Field = (YAMLReader, Node, String, inout Value) throws(ConfigError) -> Void

    let fields: [(key: String, read: Field)]

    public init(_ fields: [(String, Field)]) {
        self.fields = fields.map { (key: $0.0, read: $0.1) }
    }

    /// The keys, in the order the schema lists them (for "allowed here" messages).
    public var keys: [String] { fields.map(\.key) }

    /// The same fields, reading into a part of a larger value (a target is its inheritable settings
    /// plus keys of its own).
    public func lifted<Outer>(into part: WritableKeyPath<Outer, Value>) -> YAMLSection<Outer> {
        YAMLSection<Outer>(fields.map { field in
            (field.key, { (reader: YAMLReader, node: Node, path: String, outer: inout Outer) throws(ConfigError) in
                try field.read(reader, node, path, &outer[keyPath: part])
            })
        })
    }

    /// These fields and `more`.
    public func adding(_ more: [(String, Field)]) -> YAMLSection<Value> {
        YAMLSection(fields.map { ($0.key, $0.read) } + more)
    }
}

/// Reads YAML nodes strictly: unknown and duplicate keys, and values of the wrong kind, are errors
/// that name the file, line, column and key path. Shared by the restorecheck config and the
/// exporter-toolkit web config, so both are equally strict.
public struct YAMLReader: Sendable {
    public let file: String

    public init(file: String) { self.file = file }

    public func error(_ node: Node?, _ path: String, _ message: String) -> ConfigError {
        ConfigError(file: file, line: node?.mark?.line, column: node?.mark?.column, keyPath: path, message: message)
    }

    /// Reads the mapping `node` through `section`, in document order; returns the keys present.
    @discardableResult
    public func read<Value>(_ node: Node, _ path: String, _ section: YAMLSection<Value>, into value: inout Value) throws(ConfigError) -> Set<String> {
        guard let mapping = node.mapping else {
            throw error(node, path, "expected a mapping (key: value lines)")
        }
        var seen: Set<String> = []
        for (keyNode, valueNode) in mapping {
            guard let key = keyNode.string else { throw error(keyNode, path, "keys must be plain strings") }
            let keyPath = path.isEmpty ? key : "\(path).\(key)"
            guard let field = section.fields.first(where: { $0.key == key }) else {
                throw error(keyNode, keyPath, "unknown key (allowed here: \(section.keys.sorted().joined(separator: ", ")))")
            }
            guard seen.insert(key).inserted else { throw error(keyNode, keyPath, "duplicate key") }
            try field.read(self, valueNode, keyPath, &value)
        }
        return seen
    }

    /// A non-empty scalar. A mapping or a list where text belongs is an error, never skipped.
    public func string(_ node: Node, _ path: String) throws(ConfigError) -> String {
        guard let scalar = node.scalar, !scalar.string.isEmpty else {
            throw error(node, path, "expected a non-empty string")
        }
        return scalar.string
    }

    /// One of `choices` (a closed set of words, e.g. TLS versions).
    public func choice<T>(_ node: Node, _ path: String, _ choices: [(String, T)]) throws(ConfigError) -> T {
        let text = try string(node, path)
        guard let match = choices.first(where: { $0.0 == text }) else {
            throw error(node, path, "'\(text)' is not one of \(choices.map(\.0).joined(separator: ", "))")
        }
        return match.1
    }

    public func timeSpan(_ node: Node, _ path: String) throws(ConfigError) -> TimeSpan {
        let text = try string(node, path)
        guard let span = TimeSpan(parsing: text), span.seconds > 0 else {
            throw error(node, path, "'\(text)' is not a duration (use forms like 90s, 15m, 26h, 7d, 1h30m)")
        }
        return span
    }

    public func byteCount(_ node: Node, _ path: String) throws(ConfigError) -> Int64 {
        let text = try string(node, path)
        guard let size = ByteCount(parsing: text), size.bytes > 0 else {
            throw error(node, path, "'\(text)' is not a size (use forms like 4096, 512MiB, 2GiB, 10GB)")
        }
        return size.bytes
    }

    public func positiveInt(_ node: Node, _ path: String) throws(ConfigError) -> Int {
        guard let text = node.scalar?.string, let value = Int(text), value > 0 else {
            throw error(node, path, "expected a whole number greater than 0")
        }
        return value
    }

    public func positiveDouble(_ node: Node, _ path: String) throws(ConfigError) -> Double {
        guard let text = node.scalar?.string, let value = Double(text), value > 0, value.isFinite else {
            throw error(node, path, "expected a number greater than 0")
        }
        return value
    }
}
