import Foundation
import NIOCore

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

    /// The user's name, else the uid.
    public var userName: String {
        guard let pw = getpwuid(uid), let name = pw.pointee.pw_name else { return "uid \(uid)" }
        return String(cString: name)
    }

    /// `alice (uid 1000)`: what `recordedBy` says.
    public var recordedBy: String { "\(userName) (uid \(uid))" }

    /// Every group the user is in: the primary group of the peer and the supplementary groups
    /// of its account.
    public var groups: Set<UInt32> {
        var result: Set<UInt32> = [gid]
        guard let pw = getpwuid(uid), let name = pw.pointee.pw_name else { return result }
        var count: Int32 = 64
        var list = [gid_t](repeating: 0, count: Int(count))
        if getgrouplist(name, pw.pointee.pw_gid, &list, &count) == -1 {
            list = [gid_t](repeating: 0, count: Int(count))
            _ = getgrouplist(name, pw.pointee.pw_gid, &list, &count)
        }
        for g in list.prefix(Int(max(0, count))) { result.insert(g) }
        return result
    }
}

/// Who may write: root, and members of the writers group.
public struct AccessPolicy: Sendable {
    public let writersGroup: String?
    public let writersGID: UInt32?

    public init(writersGroup: String?) {
        self.writersGroup = writersGroup
        if let name = writersGroup, let gr = getgrnam(name) { writersGID = gr.pointee.gr_gid } else { writersGID = nil }
    }

    public func mayWrite(_ peer: PeerCredentials) -> Bool {
        if peer.uid == 0 { return true }
        guard let g = writersGID else { return false }
        return peer.groups.contains(g)
    }
}
