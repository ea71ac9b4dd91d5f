import Foundation
import Logging

/// A swift-log handler writing structured entries to journald (PRIORITY, SYSLOG_IDENTIFIER,
/// CODE_FILE/LINE/FUNC, metadata as upper-case fields).
public struct JournalLogHandler: LogHandler {
    public var logLevel: Logger.Level = .info
    public var metadata: Logger.Metadata = [:]
    public let identifier: String
    public let label: String

    public init(label: String, identifier: String) {
        self.label = label
        self.identifier = identifier
    }

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    public func log(event: LogEvent) {
        var fields: [(String, String)] = [
            ("MESSAGE", event.message.description), ("PRIORITY", String(Self.priority(event.level).rawValue)),
            ("SYSLOG_IDENTIFIER", identifier), ("CODE_FILE", event.file), ("CODE_LINE", String(event.line)),
            ("CODE_FUNC", event.function), ("LOGGER", label),
        ]
        if let error = event.error { fields.append(("ERROR", "\(error)")) }
        for (k, v) in metadata.merging(event.metadata ?? [:], uniquingKeysWith: { $1 }) {
            let key = k.uppercased().map { $0.isLetter || $0.isNumber ? $0 : "_" }
            fields.append((String(key), "\(v)"))
        }
        Journal.send(fields)
    }

    static func priority(_ level: Logger.Level) -> Journal.Priority {
        switch level {
        case .trace, .debug: return .debug
        case .info: return .info
        case .notice: return .notice
        case .warning: return .warning
        case .error: return .error
        case .critical: return .critical
        }
    }

    /// True when standard error goes to the journal (systemd sets JOURNAL_STREAM to its device
    /// and inode), so logs should go there directly.
    public static var stderrIsJournal: Bool {
        guard let stream = ProcessInfo.processInfo.environment["JOURNAL_STREAM"] else { return false }
        let parts = stream.split(separator: ":").compactMap { UInt64($0) }
        var st = stat()
        guard parts.count == 2, fstat(2, &st) == 0 else { return false }
        return UInt64(st.st_dev) == parts[0] && UInt64(st.st_ino) == parts[1]
    }
}
