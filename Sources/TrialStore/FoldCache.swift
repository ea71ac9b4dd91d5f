import TrialDomain

/// The writer's bounded memory of folded trials, least recently used evicted first, so that
/// appends need not replay a trial's history while memory stays bounded by `capacity`.
struct FoldCache {
    private var entries: [String: (fold: TrialFold, tick: UInt64)] = [:]
    private var tick: UInt64 = 0
    let capacity: Int

    init(capacity: Int) { self.capacity = max(1, capacity) }

    var count: Int { entries.count }

    mutating func get(_ key: String) -> TrialFold? {
        guard let i = entries.index(forKey: key) else { return nil }
        tick += 1
        entries.values[i].tick = tick  // in place: a fold is some 600 bytes to copy
        return entries.values[i].fold
    }

    func peek(_ key: String) -> TrialFold? { entries[key]?.fold }

    mutating func put(_ key: String, _ fold: consuming TrialFold?) {
        guard let fold else { entries[key] = nil; return }
        tick += 1
        entries[key] = (fold, tick)
        if entries.count > capacity { evict() }
    }

    mutating func removeAll() { entries.removeAll(keepingCapacity: true) }

    /// Drops the least recently used quarter (amortised O(log n) per insert), in place: a
    /// filtered copy would make a new table of the three quarters kept (megabytes of folds at
    /// the default capacity, freshly faulted in) every `capacity / 4` new trials.
    private mutating func evict() {
        let ticks = entries.values.map(\.tick).sorted()
        let cut = ticks[max(0, entries.count - capacity * 3 / 4 - 1)]
        let old = entries.compactMap { $0.value.tick <= cut ? $0.key : nil }
        for key in old { entries.removeValue(forKey: key) }
    }
}
