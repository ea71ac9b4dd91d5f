import CCrypto
import TrialDomain

/// SHA-256 from the system libcrypto.
enum SHA256Digest {
    static let zero = [UInt8](repeating: 0, count: 32)

    /// The algorithm, fetched once: OpenSSL 3's one-shot SHA256() fetches it on every call,
    /// which costs more than hashing an event.
    nonisolated(unsafe) private static let sha256: OpaquePointer? = EVP_MD_fetch(nil, "SHA256", nil)

    static func hash(_ bytes: [UInt8]) -> [UInt8] {
        var out = [UInt8](repeating: 0, count: 32)
        bytes.withUnsafeBufferPointer { b in
            out.withUnsafeMutableBufferPointer { o in
                if let md = sha256, EVP_Digest(b.baseAddress, b.count, o.baseAddress, nil, md, nil) == 1 { return }
                _ = SHA256(b.baseAddress, b.count, o.baseAddress)
            }
        }
        return out
    }

    /// The hash-chain link: SHA-256(previous hash || content).
    static func chain(previous: [UInt8], content: [UInt8]) -> [UInt8] {
        var buffer = previous
        buffer.append(contentsOf: content)
        return hash(buffer)
    }

    static func hex(_ text: String) -> String {
        hexString(hash(Array(text.utf8)))
    }
}
