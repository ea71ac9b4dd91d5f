import Foundation
import NIOConcurrencyHelpers
import TrialDomain
import TrialProtocol
import TrialStore

/// Copies of the log for elsewhere: Backup (a verified copy of the database, written by
/// trialsd) and Export (the log as JSONL, streamed), both reads on the reader pool.
struct ArchiveService: Sendable {
    let context: ServiceContext
    /// Whether a backup is running: one at a time, so that backups never hold every reader.
    let backingUp = NIOLockedValueBox(false)

    typealias Reply = ControlService.Reply

    private var store: EventStore { context.store }

    /// Backs the database up to the request's path, on a reader connection of the pool (one
    /// read transaction: a snapshot; appends commit meanwhile). The path must be absolute:
    /// trialsd's working directory is nothing the caller knows. Every refusal and failure is
    /// BackupFailed with `BackupError`'s line.
    func backup(_ r: BackupRequest, peer: Peer) async throws -> BackupResponse {
        guard r.path.hasPrefix("/") else {
            throw TrialsError.backupFailed(
                path: r.path,
                reason:
                    "cannot back up to \(r.path): give an absolute path; trialsd writes the copy, and its working directory is not the caller's"
            )
        }
        let already = backingUp.withLockedValue { running in
            defer { running = true }
            return running
        }
        guard !already else {
            throw TrialsError.backupFailed(
                path: r.path,
                reason: "cannot back up to \(r.path): another backup is running; try again when it has finished")
        }
        defer { backingUp.withLockedValue { $0 = false } }
        let store = self.store
        let report: BackupReport
        do {
            report = try await context.blockingWork { try store.backup(to: r.path, overwrite: r.overwrite) }
        } catch let e as BackupError {
            context.logger.warning("backup to \(r.path) for \(peer.recordedBy) failed: \(e.description)")
            throw TrialsError.backupFailed(path: r.path, reason: e.description)
        }
        context.logger.notice(
            "backed up to \(r.path) for \(peer.recordedBy): seq \(report.lastSeq), \(report.bytes) bytes in \(String(format: "%.2f", report.seconds)) s"
        )
        return BackupResponse(
            lastSeq: report.lastSeq, headHash: report.headHash, bytes: report.bytes, seconds: report.seconds)
    }

    /// Export with `more`: the lines of the events after `since` up to the log's last seq at
    /// the call's start, `ExportResponse.pageSize` a reply, each page read once the reply
    /// before it has been written to the peer (`reply` returns when it has): a peer that reads
    /// slowly holds trialsd to one page, and no read transaction is held while it reads. The
    /// last reply (without `continues`) may be empty.
    func export(_ r: ExportRequest, reply: Reply) async throws {
        let store = self.store
        let end = try await store.read(.lastSeq)
        var after = max(0, r.since ?? 0)
        while true {
            let from = after
            let page = try await store.read(.exportPage(after: from, through: end, limit: ExportResponse.pageSize))
            let last = page.lines.isEmpty || page.lastSeq >= end
            try await reply(VarlinkReply(parameters: ExportResponse(lines: page.lines).parameters, continues: !last))
            if last { return }
            after = page.lastSeq
        }
    }
}
