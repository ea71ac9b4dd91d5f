import TrialDomain

extension StudyDocument {
    /// The modules of a v2 record that `parse` reads (and nothing else: locations, eligibility,
    /// adverse events and the rest stay behind): what `trialctl sync` sends trialsd, so that a
    /// page of records costs a fraction of its bytes to send and to parse again. `parse` of the
    /// essentials gives the same study as `parse` of the whole record.
    /// (A record in hand as a tree, a backfilled version: the same selection as `essentials(raw:)`.)
    public static func essentials(_ record: JSONValue) throws -> JSONValue {
        try JSONValue.parse(try essentials(raw: Array(record.canonicalText.utf8)[...]).bytes)
    }

    static let protocolModulesRead = [
        "identificationModule", "statusModule", "sponsorCollaboratorsModule", "conditionsModule", "designModule",
        "armsInterventionsModule", "outcomesModule",
    ]
}

extension StudyDocument {
    /// `essentials` of a record's bytes, as bytes, without parsing it: the kept modules' bytes
    /// copied as sent (scanned with JSONSlicer). With the record's NCT number (nil when the
    /// record does not say it where expected), for a message naming it.
    public static func essentials(raw record: ArraySlice<UInt8>) throws -> (bytes: [UInt8], nctId: String?) {
        let bytes = Array(record)
        let top = try JSONSlicer.topMembers(bytes)
        var out = Array("{".utf8)
        var nctId: String?
        func key(_ k: ArraySlice<UInt8>) -> String { String(decoding: k, as: UTF8.self) }
        func member(_ name: ArraySlice<UInt8>, _ value: ArraySlice<UInt8>, first: inout Bool) {
            if !first { out.append(UInt8(ascii: ",")) }
            first = false
            out.append(UInt8(ascii: "\""))
            out += name
            out += Array("\":".utf8)
            out += value
        }
        var firstTop = true
        for m in top {
            switch key(m.key) {
            case "protocolSection" where bytes[m.value.lowerBound] == UInt8(ascii: "{"):
                var inner = Array("{".utf8)
                swap(&inner, &out)
                var first = true
                for p in try JSONSlicer.members(bytes, in: m.value) where protocolModulesRead.contains(key(p.key)) {
                    member(p.key, bytes[p.value], first: &first)
                    if key(p.key) == "identificationModule", bytes[p.value.lowerBound] == UInt8(ascii: "{") {
                        for i in try JSONSlicer.members(bytes, in: p.value) where key(i.key) == "nctId" {
                            nctId = (try? JSONValue.parse(Array(bytes[i.value])))?.stringValue
                        }
                    }
                }
                out.append(UInt8(ascii: "}"))
                swap(&inner, &out)
                member(m.key, inner[...], first: &firstTop)
            case "hasResults":
                member(m.key, bytes[m.value], first: &firstTop)
            case "resultsSection" where bytes[m.value.lowerBound] == UInt8(ascii: "{"):
                for r in try JSONSlicer.members(bytes, in: m.value) where key(r.key) == "outcomeMeasuresModule" {
                    var section = Array("{\"outcomeMeasuresModule\":".utf8)
                    section += bytes[r.value]
                    section.append(UInt8(ascii: "}"))
                    member(m.key, section[...], first: &firstTop)
                }
            default:
                continue
            }
        }
        out.append(UInt8(ascii: "}"))
        return (out, nctId)
    }
}
