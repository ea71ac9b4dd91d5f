/// `/api/v2/version`: `{"apiVersion":"2.0.5","dataTimestamp":"2025-06-20T09:00:05"}`.
public struct RegistryVersion: Equatable, Sendable {
    public let apiVersion: String
    /// When the registry's data was last refreshed, as the API gives it (no time zone).
    public let dataTimestamp: String

    public init(apiVersion: String, dataTimestamp: String) {
        self.apiVersion = apiVersion
        self.dataTimestamp = dataTimestamp
    }

    public static func decode(_ bytes: [UInt8], url: String) throws(RegistryError) -> RegistryVersion {
        let shape = AnswerShape(url: url)
        let top = try shape.top(try shape.parse(bytes), requiring: "apiVersion")
        return RegistryVersion(
            apiVersion: try shape.string(top["apiVersion"], "\"apiVersion\""),
            dataTimestamp: try shape.string(top["dataTimestamp"], "\"dataTimestamp\""))
    }
}
