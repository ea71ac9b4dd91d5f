/// Every alias in `trial_aliases`, as a Bloom filter over their look-up keys: "absent" is
/// certain, "present" may be wrong (about 1% of the time). The writer asks it before reading the
/// table for an alias it does not know, which a new trial's identifiers always are: most of
/// those reads are then not needed.
///
/// Aliases are only added (one that a registration drops stays in the filter, a harmless
/// "present"); past its capacity the filter is made again, larger, from the table.
struct AliasFilter {
    private var bits: [UInt64]
    private let mask: UInt64
    /// Aliases added, and how many it holds at about 1% false "present".
    private(set) var count = 0
    let capacity: Int
    private static let probes = 7

    /// An empty filter for `capacity` aliases (10 bits each, a power of two in all).
    init(capacity: Int) {
        var words = 1
        while words * 64 < capacity * 10 { words *= 2 }
        bits = Array(repeating: 0, count: words)
        mask = UInt64(words * 64 - 1)
        self.capacity = capacity
    }

    mutating func insert(_ lookup: String) {
        count += 1
        var (h, step) = Self.hashes(lookup)
        for _ in 0..<Self.probes {
            let bit = h & mask
            bits[Int(bit >> 6)] |= 1 << (bit & 63)
            h &+= step
        }
    }

    /// False: no alias with this look-up key was added.
    func mayContain(_ lookup: String) -> Bool {
        var (h, step) = Self.hashes(lookup)
        for _ in 0..<Self.probes {
            let bit = h & mask
            if bits[Int(bit >> 6)] & (1 << (bit & 63)) == 0 { return false }
            h &+= step
        }
        return true
    }

    /// Two 64-bit hashes of the key's bytes (FNV-1a, then mixed), for double hashing.
    private static func hashes(_ s: String) -> (UInt64, UInt64) {
        var h: UInt64 = 0xcbf2_9ce4_8422_2325
        for b in s.utf8 { h = (h ^ UInt64(b)) &* 0x100_0000_01b3 }
        var g = h ^ (h >> 33)
        g &*= 0xff51_afd7_ed55_8ccd
        g ^= g >> 33
        return (h, g | 1)
    }
}
