/// The body of a `/api/v2/studies` page, `{"studies":[…],"nextPageToken":…,"totalCount":…}`,
/// with each study's bytes as they are: what every stand-in and benchmark serves.
public enum StudiesPageBody {
    public static func make(_ studies: some Sequence<[UInt8]>, next: String? = nil, total: Int? = nil) -> [UInt8] {
        var out = Array(#"{"studies":["#.utf8)
        var first = true
        for study in studies {
            if !first { out.append(UInt8(ascii: ",")) }
            first = false
            out += study
        }
        out.append(UInt8(ascii: "]"))
        if let next { out += Array(#","nextPageToken":"\#(next)""#.utf8) }
        if let total { out += Array(#","totalCount":\#(total)"#.utf8) }
        out.append(UInt8(ascii: "}"))
        return out
    }
}
