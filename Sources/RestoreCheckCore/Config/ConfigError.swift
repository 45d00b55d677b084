/// A configuration problem, located: `restorecheck.yaml:14:5: targets[2].rpo: '26x' is not a duration`.
///
/// Every problem the loader finds is one of these; the CLI prints it and exits 2, and the daemon keeps
/// its previous config when a reload produces one.
public struct ConfigError: Error, Sendable, Hashable, CustomStringConvertible {
    public var file: String
    /// 1-based; nil when the problem is not tied to a line (an unreadable file).
    public var line: Int?
    public var column: Int?
    /// Where in the document, `targets[2].rpo`; empty for the whole file.
    public var keyPath: String
    public var message: String

    public init(file: String, line: Int? = nil, column: Int? = nil, keyPath: String = "", message: String) {
        self.file = file
        self.line = line
        self.column = column
        self.keyPath = keyPath
        self.message = message
    }

    public var description: String {
        var location = file
        if let line { location += ":\(line)" }
        if let column { location += ":\(column)" }
        return keyPath.isEmpty ? "\(location): \(message)" : "\(location): \(keyPath): \(message)"
    }
}
