import CSystemd
import Foundation

/// sd_listen_fds_with_names(3): the sockets systemd passed to this process (socket activation).
public enum ListenFDs {
    /// The passed descriptors with their names (FileDescriptorName=), empty without systemd.
    /// Unsets LISTEN_FDS and friends so children do not inherit them.
    public static func take() -> [(fd: Int32, name: String)] {
        var names: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?
        let n = sd_listen_fds_with_names(1, &names)
        guard n > 0 else { return [] }
        defer {
            if let names {
                for i in 0..<Int(n) { free(names[i]) }
                free(names)
            }
        }
        return (0..<Int(n)).map { i in
            (Int32(3 + i), names?[i].map { String(cString: $0) } ?? "unknown")
        }
    }

    /// The passed socket named `name`, else the only one passed.
    public static func socket(named name: String) -> Int32? {
        let fds = take()
        return fds.first { $0.name == name }?.fd ?? (fds.count == 1 ? fds[0].fd : nil)
    }
}
