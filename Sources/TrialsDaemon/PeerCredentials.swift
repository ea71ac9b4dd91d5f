import Foundation
import NIOCore
import TrialDomain
import TrialProtocol

/// Who is at the other end of a Unix socket (SO_PEERCRED): glibc's `struct ucred`.
public struct PeerCredentials: Sendable, Equatable {
    public var pid: Int32
    public var uid: UInt32
    public var gid: UInt32

    public init(pid: Int32, uid: UInt32, gid: UInt32) {
        self.pid = pid
        self.uid = uid
        self.gid = gid
    }

    /// Reads the credentials of a connected Unix socket channel.
    static func of(_ channel: Channel) -> EventLoopFuture<PeerCredentials> {
        guard let provider = channel as? SocketOptionProvider else {
            return channel.eventLoop.makeSucceededFuture(PeerCredentials(pid: 0, uid: UInt32.max, gid: UInt32.max))
        }
        return provider.unsafeGetSocketOption(level: .init(rawValue: SOL_SOCKET), name: .init(rawValue: SO_PEERCRED))
    }

    /// The user's account (name and primary group), read with the reentrant getpwuid_r.
    fileprivate func account() -> (name: String, gid: gid_t)? {
        var pw = passwd()
        var result: UnsafeMutablePointer<passwd>?
        var buffer = [CChar](repeating: 0, count: 4096)
        while true {
            let rc = getpwuid_r(uid, &pw, &buffer, buffer.count, &result)
            if rc == ERANGE && buffer.count < 1 << 20 {
                buffer = [CChar](repeating: 0, count: buffer.count * 4)
                continue
            }
            guard rc == 0, result != nil, let name = pw.pw_name else { return nil }
            return (String(cString: name), pw.pw_gid)
        }
    }
}

/// A connected client as the daemon sees it: its credentials, with its user name and groups
/// looked up once, when it connects. Not per call: each lookup reads /etc/passwd and
/// /etc/group (or asks NSS), which cost an append more than the append itself.
public struct Peer: Sendable {
    public let credentials: PeerCredentials
    /// `alice (uid 1000)`, or `uid 1000` for a uid with no account: what `recordedBy` says.
    public let recordedBy: String
    /// Every group the user is in: the peer's primary group and its account's supplementary
    /// groups (not looked up for root, who may write anyway).
    public let groups: Set<UInt32>

    public var pid: Int32 { credentials.pid }
    public var uid: UInt32 { credentials.uid }

    public init(_ c: PeerCredentials) {
        credentials = c
        let account = c.account()
        recordedBy = account.map { "\($0.name) (uid \(c.uid))" } ?? "uid \(c.uid)"
        var groups: Set<UInt32> = [c.gid]
        if c.uid != 0, let account {
            var count: Int32 = 64
            var list = [gid_t](repeating: 0, count: Int(count))
            if getgrouplist(account.name, account.gid, &list, &count) == -1 {
                list = [gid_t](repeating: 0, count: Int(count))
                _ = getgrouplist(account.name, account.gid, &list, &count)
            }
            for g in list.prefix(Int(max(0, count))) { groups.insert(g) }
        }
        self.groups = groups
    }
}

/// Who may write: root, the daemon's own user (a user's own trialsd lets its owner write), and
/// members of the writers group.
public struct AccessPolicy: Sendable {
    public let writersGroup: String?
    public let writersGID: UInt32?
    /// The user the daemon runs as.
    public let ownUID: UInt32

    public init(writersGroup: String?, ownUID: UInt32 = geteuid()) {
        self.writersGroup = writersGroup
        self.ownUID = ownUID
        if let name = writersGroup, let gr = getgrnam(name) { writersGID = gr.pointee.gr_gid } else { writersGID = nil }
    }

    public func mayWrite(_ peer: Peer) -> Bool {
        if peer.uid == 0 || peer.uid == ownUID { return true }
        guard let g = writersGID else { return false }
        return peer.groups.contains(g)
    }

    /// The refusal of a write: org.varlink.service.PermissionDenied, with the writers group it
    /// asked for (`writersGroup`, "" for none) so that the client can say which group, and
    /// which option sets it.
    public func refusal() -> TrialsError {
        .permissionDenied(writersGroup: writersGroup ?? "")
    }

    /// Why a peer was refused, for the daemon's log.
    public func refusalReason(_ peer: Peer) -> String {
        guard let name = writersGroup else {
            return "neither root nor trialsd's own user, and --writers-group names no group"
        }
        return writersGID == nil
            ? "neither root nor trialsd's own user, and there is no group \(name) (--writers-group)"
            : "neither root nor trialsd's own user nor in the group \(name) (--writers-group)"
    }
}
