import Foundation
import Logging
import RestoreCheckCore

/// One line per event on stderr. Under journald (`$JOURNAL_STREAM` set) each line starts with a
/// `<N>` syslog priority and has no timestamp (journald adds its own); elsewhere lines carry an
/// ISO 8601 time and the level name.
///
/// A record is always one line: the message and every metadata value go through
/// `UntrustedText.visible` (a test's summary carries names from the backup; a newline in one would
/// start a forged line, and under journald a forged `<0>` prefix is an emergency broadcast to every
/// terminal).
public struct JournalLogHandler: LogHandler {
    public var logLevel: Logger.Level = .info
    public var metadata: Logger.Metadata = [:]
    let label: String
    let journald: Bool

    public init(label: String, journald: Bool = ProcessInfo.processInfo.environment["JOURNAL_STREAM"] != nil) {
        self.label = label
        self.journald = journald
    }

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    public func log(event: LogEvent) {
        let merged = metadata.merging(event.metadata ?? [:]) { $1 }
        let fields = merged.sorted { $0.key < $1.key }.map { "\($0.key)=\(Self.quote(UntrustedText.visible("\($0.value)", limit: UntrustedText.detailLimit)))" }
            .joined(separator: " ")
        let message = UntrustedText.visible("\(event.message)", limit: UntrustedText.lineLimit)
        let text = fields.isEmpty ? message : "\(message) \(fields)"
        let line: String
        if journald {
            line = "<\(Self.priority(event.level))>\(text)\n"
        } else {
            line = "\(Date().formatted(.iso8601)) \(event.level) \(label): \(text)\n"
        }
        FileHandle.standardError.write(Data(line.utf8))
    }

    /// syslog priorities as journald reads them from the `<N>` prefix.
    static func priority(_ level: Logger.Level) -> Int {
        switch level {
        case .trace, .debug: 7
        case .info: 6
        case .notice: 5
        case .warning: 4
        case .error: 3
        case .critical: 2
        }
    }

    static func quote(_ value: String) -> String {
        value.contains(where: { $0 == " " || $0 == "\"" || $0 == "=" }) ? "\"\(value.replacingOccurrences(of: "\"", with: "\\\""))\"" : value
    }
}
