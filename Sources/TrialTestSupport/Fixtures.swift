import TrialDomain

/// Builders for events of the real trials of the demo data (demo/trial-timeline.jsonl), shared by the tests.
public enum Fixture {
    public static let today = Day(year: 2026, month: 11, day: 21)!

    public static func date(_ s: String) -> PartialDate { try! PartialDate(parsing: s) }

    public static func new(
        _ trial: String, _ type: EventType, _ occurred: String, _ payload: JSONValue, source: String? = nil
    ) throws -> NewEvent {
        let v: JSONValue = [
            "trial": .string(trial), "type": .string(type.rawValue), "occurred": .string(occurred), "payload": payload,
        ]
        var o = v.objectValue!
        if let source { o["source"] = .string(source) }
        return try NewEvent(json: .object(o), today: today)
    }

    /// A recorded event for fold tests (seq = version).
    public static func recorded(
        _ seq: Int64, _ trial: String, _ type: EventType, _ occurred: String, _ payload: JSONValue
    ) throws -> RecordedEvent {
        RecordedEvent(
            seq: seq, id: "id-\(seq)", trial: trial, version: seq, payload: try Payload(type: type, json: payload),
            occurred: date(occurred), recorded: Timestamp(microseconds: seq * 1_000_000), recordedBy: "test",
            source: nil, hash: [])
    }

    /// HARMONi-2's preplanned interim analysis (Lancet 2025): PFS 11.1 vs 5.8 months, HR 0.51
    /// (95% CI 0.38–0.69), 1-sided P < .0001.
    public static let harmoni2Interim: JSONValue = [
        "analysis": "preplanned interim analysis", "endpoints": ["PFS"], "outcome": "met",
        "results": [
            [
                "endpoint": "PFS", "arms": ["ivonescimab", "pembrolizumab"],
                "values": [
                    ["arm": "ivonescimab", "value": 11.1, "unit": "months", "ciLow": 7.3],
                    ["arm": "pembrolizumab", "value": 5.8, "unit": "months", "ciLow": 5.0, "ciHigh": 8.2],
                ],
                "hazardRatio": ["value": 0.51, "ciLow": 0.38, "ciHigh": 0.69, "ciLevel": 95],
                "pValue": ["value": 0.0001, "comparator": "<", "sided": 1], "n": 398,
            ]
        ],
    ]
}

extension JSONValue {
    public static func parsed(_ s: String) -> JSONValue { try! JSONValue.parse(s) }
}
