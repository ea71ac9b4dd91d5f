/// The registries a trial identifier can come from.
public enum Registry: String, CaseIterable, Sendable, Hashable {
    /// ClinicalTrials.gov: `NCT` and 8 digits.
    case nct
    /// EU Clinical Trials Information System: `YYYY-NNNNNN-NN-NN`.
    case ctis
    /// EudraCT: `YYYY-NNNNNN-NN`.
    case eudract
    /// A sponsor's protocol id (`GORTEC 2024-04`).
    case sponsor
    /// Any other registry's or group's id (`SWOG S2302`).
    case other
}

/// One identifier of a trial, validated for its registry.
public struct TrialIdentifier: Hashable, Sendable, CustomStringConvertible {
    public let registry: Registry
    public let id: String

    /// Validates and normalises (`nct06171568` → `NCT06171568`).
    public init(registry: Registry, id raw: String) throws(ValidationError) {
        let id = raw.trimmingSpaces
        switch registry {
        case .nct:
            let up = id.uppercased()
            guard TrialIdentifier.isNCT(up) else {
                throw ValidationError(
                    field: "",
                    reason: "'\(raw)' is not an NCT number; the form is NCT followed by 8 digits, e.g. NCT07264075")
            }
            self.id = up
        case .ctis:
            guard TrialIdentifier.matches(id, [4, 6, 2, 2]) else {
                throw ValidationError(
                    field: "",
                    reason: "'\(raw)' is not an EU CT number; the form is YYYY-NNNNNN-NN-NN, e.g. 2025-522996-27-00")
            }
            self.id = id
        case .eudract:
            guard TrialIdentifier.matches(id, [4, 6, 2]) else {
                throw ValidationError(
                    field: "",
                    reason: "'\(raw)' is not a EudraCT number; the form is YYYY-NNNNNN-NN, e.g. 2004-000001-12")
            }
            self.id = id
        case .sponsor, .other:
            guard !id.isEmpty, id.hasAtMost(characters: 200) else {
                throw ValidationError(field: "", reason: "an identifier must be 1 to 200 characters")
            }
            self.id = id
        }
        self.registry = registry
    }

    public var description: String { id }

    /// The case-folded form under which the identifier is looked up.
    public var lookupKey: String { id.caseFolded }

    static func isNCT(_ s: String) -> Bool {
        let u = Array(s.utf8)
        return u.count == 11 && u[0] == 78 && u[1] == 67 && u[2] == 84 && u[3...].allSatisfy { $0 >= 48 && $0 <= 57 }
    }

    /// Digit groups separated by '-'.
    static func matches(_ s: String, _ groups: [Int]) -> Bool {
        let parts = s.split(separator: "-", omittingEmptySubsequences: false)
        guard parts.count == groups.count else { return false }
        return zip(parts, groups).allSatisfy { p, n in p.utf8.count == n && p.utf8.allSatisfy { $0 >= 48 && $0 <= 57 } }
    }
}

/// How an event names its trial: any identifier or acronym. Registry-shaped references are
/// validated (a malformed NCT number is refused, never taken for an acronym).
public struct TrialReference: Hashable, Sendable, CustomStringConvertible {
    /// The reference as normalised (`NCT07264075`, `2025-522996-27-00`, `HARMONi-6`).
    public let text: String
    /// The registry the reference's shape says it is from; nil for acronyms and free names.
    public let registry: Registry?

    public init(_ raw: String) throws(ValidationError) {
        let s = raw.trimmingSpaces
        guard !s.isEmpty else { throw ValidationError(field: "", reason: "a trial reference must not be empty") }
        // ASCII (nearly every reference) is checked byte by byte; other text by its characters
        // and Unicode properties. Both give the same answers for ASCII.
        let u = s.utf8
        let ascii = u.allSatisfy { $0 < 0x80 }
        func isDigit(_ b: UInt8) -> Bool { b >= 0x30 && b <= 0x39 }
        guard s.hasAtMost(characters: 200) else {
            throw ValidationError(field: "", reason: "a trial reference must be at most 200 characters")
        }
        let control =
            ascii
            ? u.contains { $0 < 0x20 || $0 == 0x7F }
            : s.unicodeScalars.contains { $0.properties.generalCategory == .control }
        guard !control else {
            throw ValidationError(field: "", reason: "a trial reference must not contain control characters")
        }
        let looksNCT: Bool
        if ascii {
            var b = u.makeIterator()
            let (n, c, t, digit) = (b.next() ?? 0, b.next() ?? 0, b.next() ?? 0, b.next() ?? 0)
            looksNCT =
                n | 0x20 == UInt8(ascii: "n") && c | 0x20 == UInt8(ascii: "c") && t | 0x20 == UInt8(ascii: "t")
                && isDigit(digit)
        } else {
            looksNCT = s.uppercased().hasPrefix("NCT") && s.dropFirst(3).first?.isNumber == true
        }
        let digitsAndDashes =
            ascii
            ? isDigit(u.first!) && u.contains(UInt8(ascii: "-"))
                && u.allSatisfy { isDigit($0) || $0 == UInt8(ascii: "-") }
            : s.first!.isNumber && s.contains("-") && s.allSatisfy { $0.isNumber || $0 == "-" }
        if looksNCT {
            let id = try TrialIdentifier(registry: .nct, id: s)
            text = id.id
            registry = .nct
        } else if digitsAndDashes {
            // Digits and dashes: an EU CT (CTIS) or EudraCT number, and nothing else.
            if TrialIdentifier.matches(s, [4, 6, 2, 2]) {
                text = s; registry = .ctis
            } else if TrialIdentifier.matches(s, [4, 6, 2]) {
                text = s; registry = .eudract
            } else {
                throw ValidationError(
                    field: "",
                    reason:
                        "'\(s)' is neither an EU CT number (YYYY-NNNNNN-NN-NN) nor a EudraCT number (YYYY-NNNNNN-NN)")
            }
        } else {
            text = s
            registry = nil
        }
    }

    public var description: String { text }
    public var lookupKey: String { text.caseFolded }
}

extension String {
    /// `lowercased()`, without its Unicode tables for ASCII text (identifiers, acronyms, keys)
    /// and without a copy when there is nothing to fold: alias look-ups run on every append.
    public var caseFolded: String {
        var s = self
        return s.withUTF8 { u -> String? in
            // One pass over the bytes: anything beyond ASCII takes the Unicode path.
            var upper = false
            for b in u {
                if b >= 0x80 { return nil }
                if b &- 0x41 < 26 { upper = true }
            }
            guard upper else { return self }
            return String(unsafeUninitializedCapacity: u.count) { out in
                for i in 0..<u.count {
                    let b = u[i]
                    out[i] = b &- 0x41 < 26 ? b | 0x20 : b
                }
                return u.count
            }
        } ?? lowercased()
    }
}
