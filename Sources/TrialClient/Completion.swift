import ArgumentParser
import TrialDomain
import TrialProtocol

/// What the shell completion scripts complete beyond options: trial names, asked of trialsd,
/// and event types, from the vocabulary.
public enum Completion {
    /// Every event type, for `--type` and `record`'s TYPE.
    public static let eventTypes = CompletionKind.list(EventType.allCases.map(\.rawValue))

    /// Trial names (acronyms, else keys) and NCT numbers from trialsd's Status.
    public static let trials = CompletionKind.custom { words, _, prefix in trialNames(words: words, prefix: prefix) }

    /// How long a completion waits for trialsd: a shell must not hang on a stuck daemon.
    static let timeout = Duration.milliseconds(1500)

    /// The names of every trial starting with `prefix`, from the trialsd that the command line
    /// being completed would talk to (its --socket, else as trialctl finds it). Nothing, and
    /// no message, when trialsd cannot be reached or answers wrongly: a shell prints whatever
    /// a completion writes.
    static func trialNames(words: [String], prefix: String, context: Context = .process()) -> [String] {
        let candidates = SocketLocator(
            environment: context.environment, fileExists: context.fileExists, uid: context.uid
        )
        .candidates(option: socketOption(in: words))
        guard let transport = candidates.lazy.compactMap({ try? context.connect($0.path, timeout) }).first else {
            return []
        }
        defer { transport.close() }
        var names: [String] = []
        do {
            try transport.stream(TrialsMethod.status.qualifiedName, JSONObject()) { reply in
                for t in (try? StatusResponse(parameters: reply))?.trials ?? [] {
                    guard let trial = try? TrialReply(json: t) else { continue }
                    names.append(trial.name)
                    if trial.primaryID != trial.name { names.append(trial.primaryID) }
                }
                return true
            }
        } catch {
            return []
        }
        return names.filter { $0.hasPrefix(prefix) && !$0.contains(" ") }
    }

    /// The value of `--socket PATH` or `--socket=PATH` in the words being completed.
    static func socketOption(in words: [String]) -> String? {
        for (i, w) in words.enumerated() {
            if w == "--socket", i + 1 < words.count { return words[i + 1] }
            if w.hasPrefix("--socket=") { return String(w.dropFirst("--socket=".count)) }
        }
        return nil
    }
}
