import Foundation
import Synchronization
#if canImport(FoundationNetworking)
    import FoundationNetworking
#endif

/// `HTTPTransport` on FoundationNetworking's URLSession (libcurl and the system's CA store
/// underneath; see the module's documentation in RegistryClient.swift for why). No cache, no
/// cookies; redirects are followed; each request carries its own timeout.
///
/// On Linux, FoundationNetworking takes the timeout from the session's configuration
/// (`timeoutIntervalForRequest`), not from the request's `timeoutInterval`, and in whole
/// seconds: so there is one session per timeout asked for (in practice one), and a timeout is
/// at least a second. It is an idle timeout: it runs while no bytes come.
public final class URLSessionTransport: HTTPTransport, Sendable {
    private let sessions = Mutex<[Int: URLSession]>([:])

    public init() {}

    deinit { sessions.withLock { for session in $0.values { session.finishTasksAndInvalidate() } } }

    private func session(timeout: Double) -> (URLSession, Double) {
        let seconds = max(1, Int(timeout.rounded(.up)))
        return sessions.withLock { sessions in
            if let session = sessions[seconds] { return (session, Double(seconds)) }
            let configuration = URLSessionConfiguration.ephemeral
            configuration.urlCache = nil
            configuration.requestCachePolicy = .reloadIgnoringLocalCacheData
            configuration.httpCookieStorage = nil
            configuration.httpShouldSetCookies = false
            configuration.timeoutIntervalForRequest = Double(seconds)
            let session = URLSession(configuration: configuration)
            sessions[seconds] = session
            return (session, Double(seconds))
        }
    }

    public func get(_ url: String, headers: [(String, String)], timeout: Double) async throws(TransportFailure)
        -> HTTPResponse
    {
        guard let target = URL(string: url) else { throw .invalidURL }
        let (session, seconds) = session(timeout: timeout)
        var request = URLRequest(url: target, cachePolicy: .reloadIgnoringLocalCacheData, timeoutInterval: seconds)
        request.httpMethod = "GET"
        for (name, value) in headers { request.setValue(value, forHTTPHeaderField: name) }

        let box = TaskBox()
        let result: Result<(Data, URLResponse), Error> = await withTaskCancellationHandler {
            await withCheckedContinuation { continuation in
                let task = session.dataTask(with: request) { data, response, error in
                    if let error {
                        continuation.resume(returning: .failure(error))
                    } else if let response {
                        continuation.resume(returning: .success((data ?? Data(), response)))
                    } else {
                        continuation.resume(returning: .failure(URLError(.badServerResponse)))
                    }
                }
                box.set(task)
                task.resume()
            }
        } onCancel: {
            box.cancel()
        }

        switch result {
        case .failure(let error):
            throw Self.failure(error)
        case .success(let (data, response)):
            guard let http = response as? HTTPURLResponse else { throw .failed("not an HTTP answer") }
            var fields: [String: String] = [:]
            for (k, v) in http.allHeaderFields { fields[String(describing: k)] = String(describing: v) }
            let answer = HTTPResponse(status: http.statusCode, headers: fields, body: [UInt8](data))
            try Self.checkLength(answer)
            return answer
        }
    }

    /// A body shorter (or longer) than its `Content-Length`. Only for a body sent as it is:
    /// libcurl inflates a compressed one, whose length then differs from the header's.
    public static func checkLength(_ response: HTTPResponse) throws(TransportFailure) {
        guard let text = response.header("Content-Length"),
            let expected = Int(text.trimmingCharacters(in: .whitespaces))
        else { return }
        let encoding = response.header("Content-Encoding")?.lowercased() ?? "identity"
        guard encoding == "identity", response.body.count != expected else { return }
        throw .cutShort("body cut short: \(response.body.count) of \(expected) bytes (Content-Length)")
    }

    static func failure(_ error: Error) -> TransportFailure {
        if error is CancellationError { return .cancelled }
        guard let urlError = error as? URLError else { return .failed(String(describing: error)) }
        switch urlError.code {
        case .timedOut: return .timedOut
        case .cancelled: return .cancelled
        case .networkConnectionLost:
            return .cutShort(
                "body cut short: the connection closed before the whole answer came (\(urlError.localizedDescription))")
        default:
            // libcurl's CURLE_PARTIAL_FILE comes through with its own text and no code of its own:
            // "transfer closed with 75576 bytes remaining to read".
            let text = urlError.localizedDescription
            if text.contains("transfer closed with") || text.contains("bytes remaining") {
                return .cutShort("body cut short: \(text)")
            }
            return .failed("\(text) (URLError \(urlError.code.rawValue))")
        }
    }
}

/// The running task, so that cancelling the Swift task cancels the transfer.
private final class TaskBox: Sendable {
    private struct State {
        var task: URLSessionTask?
        var cancelled = false
    }
    private let state = Mutex(State())

    func set(_ task: URLSessionTask) {
        state.withLock {
            $0.task = task
            if $0.cancelled { task.cancel() }
        }
    }

    func cancel() {
        state.withLock {
            $0.cancelled = true
            $0.task?.cancel()
        }
    }
}
