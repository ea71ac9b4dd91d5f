import Foundation

/// A request as the stand-in saw it.
public struct RecordedRequest: Sendable {
    public let method: String
    /// The request target as sent: the path and the still-encoded query.
    public let target: String
    /// Header names in lower case.
    public let headers: [String: String]

    public var path: String { String(target.split(separator: "?", maxSplits: 1, omittingEmptySubsequences: false)[0]) }

    /// The query as sent (still percent-encoded), or nil.
    public var rawQuery: String? {
        let parts = target.split(separator: "?", maxSplits: 1, omittingEmptySubsequences: false)
        return parts.count == 2 ? String(parts[1]) : nil
    }

    /// The query's names and values, decoded, in order.
    public var query: [(name: String, value: String)] {
        guard let raw = rawQuery, !raw.isEmpty else { return [] }
        return raw.split(separator: "&").map { item in
            let pair = item.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            let name = String(pair[0]).removingPercentEncoding ?? String(pair[0])
            let value = pair.count == 2 ? (String(pair[1]).removingPercentEncoding ?? String(pair[1])) : ""
            return (name, value)
        }
    }

    /// The first value of a query parameter.
    public func query(_ name: String) -> String? { query.first { $0.name == name }?.value }

    public func header(_ name: String) -> String? { headers[name.lowercased()] }
}
