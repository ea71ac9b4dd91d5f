import Foundation
import TrialDomain

/// A bounded hand-over of trials' projection rows from the rebuild's reading thread (which
/// decodes, folds and serialises) to its writing one (which binds and steps).
/// The reader blocks when `capacity` chunks wait; the writer blocks until one arrives. Either
/// side can stop the other: the writer by cancelling, the reader by finishing with an error.
final class FoldPipe: @unchecked Sendable {  // state guarded by `condition`, which both sides wait on
    typealias Chunk = [(rows: TrialRows, events: Int)]
    static let chunkSize = 256

    private let condition = NSCondition()
    private let capacity: Int
    private var chunks: [Chunk] = []
    private var finished = false
    private var failure: Error?
    private var cancelled = false
    private var typeCounts: [EventType: Int64] = [:]

    init(capacity: Int) { self.capacity = capacity }

    /// Reader side: hands over a chunk, waiting for room. Throws once the writer cancelled.
    func put(_ chunk: Chunk) throws {
        condition.lock()
        defer { condition.unlock() }
        while chunks.count >= capacity && !cancelled { condition.wait() }
        if cancelled { throw CancellationError() }
        chunks.append(chunk)
        condition.broadcast()
    }

    /// Reader side: no more chunks; `error` is what stopped the reader, if anything did;
    /// `counts`: the events of each type it read.
    func finish(_ error: Error?, counts: [EventType: Int64] = [:]) {
        condition.lock()
        finished = true
        failure = error
        typeCounts = counts
        condition.broadcast()
        condition.unlock()
    }

    /// Writer side: the next chunk, nil once the reader finished; rethrows the reader's error.
    func take() throws -> Chunk? {
        condition.lock()
        defer { condition.unlock() }
        while chunks.isEmpty && !finished { condition.wait() }
        if !chunks.isEmpty {
            condition.broadcast()
            return chunks.removeFirst()
        }
        if let failure, !(failure is CancellationError) { throw failure }
        return nil
    }

    /// Writer side, once `take` has returned nil: the events of each type the reader read.
    var counts: [EventType: Int64] {
        condition.lock()
        defer { condition.unlock() }
        return typeCounts
    }

    /// Writer side: stops the reader (if still running) and waits until it has finished.
    func cancelAndWait() {
        condition.lock()
        cancelled = true
        chunks.removeAll()
        condition.broadcast()
        while !finished { condition.wait() }
        condition.unlock()
    }
}
