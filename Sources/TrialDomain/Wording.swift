/// Words a person reads around numbers, shared by trialctl's output and trialsd's log and
/// status line.
public enum Wording {
    /// `1 trial`, `3 trials`; `plural` when adding "s" is not it.
    public static func count(_ n: some BinaryInteger, _ singular: String, _ plural: String? = nil) -> String {
        "\(n) " + (n == 1 ? singular : (plural ?? singular + "s"))
    }
}
