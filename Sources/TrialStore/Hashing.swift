import CCrypto
import TrialDomain

/// SHA-256 from the system libcrypto.
enum SHA256Digest {
    static let zero = [UInt8](repeating: 0, count: 32)

    /// The algorithm, fetched once: OpenSSL 3's one-shot SHA256() fetches it on every call,
    /// which costs more than hashing an event.
    nonisolated(unsafe) static let sha256: OpaquePointer? = EVP_MD_fetch(nil, "SHA256", nil)

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

/// Hash-chain links made one after another with one digest context (the writer's, a
/// verification's): no context made and freed per event, and the previous hash and the
/// content fed as they are, not copied into one buffer first. One thread at a time.
final class ChainHasher {
    private let context = EVP_MD_CTX_new()

    deinit { EVP_MD_CTX_free(context) }

    /// SHA-256(previous hash || content), as `SHA256Digest.chain`.
    func link(previous: [UInt8], content: [UInt8]) -> [UInt8] {
        guard let context, let md = SHA256Digest.sha256, EVP_DigestInit_ex(context, md, nil) == 1 else {
            return SHA256Digest.chain(previous: previous, content: content)
        }
        var out = [UInt8](repeating: 0, count: 32)
        previous.withUnsafeBufferPointer { _ = EVP_DigestUpdate(context, $0.baseAddress, $0.count) }
        content.withUnsafeBufferPointer { _ = EVP_DigestUpdate(context, $0.baseAddress, $0.count) }
        out.withUnsafeMutableBufferPointer { _ = EVP_DigestFinal_ex(context, $0.baseAddress, nil) }
        return out
    }
}
