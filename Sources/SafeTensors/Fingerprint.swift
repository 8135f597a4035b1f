import Crypto

/// The docs/spec.md §6 checkpoint fingerprint, fed one tensor at a time.
///
/// Per tensor, in byte-wise order of the UTF-8 names: name, 0x00, dtype, 0x00, shape
/// joined by `,`, 0x00, raw data. The same weights give the same fingerprint under any
/// sharding, which is what keys the history.
public struct Fingerprinter {
    private var hasher = SHA256()
    private var lastName: [UInt8]? = nil

    public init() {}

    /// Adds one tensor whose bytes are in memory; tensors must arrive in fingerprint order.
    public mutating func add(_ tensor: TensorInfo, data: UnsafeRawBufferPointer) {
        begin(tensor)
        update(data)
    }

    /// Starts a tensor whose bytes follow through ``update(_:)`` in chunks, in order;
    /// tensors must arrive in fingerprint order.
    public mutating func begin(_ tensor: TensorInfo) {
        let name = Array(tensor.name.utf8)
        if let lastName { precondition(lastName.lexicographicallyPrecedes(name), "tensors out of fingerprint order") }
        lastName = name
        var prefix = name
        prefix.append(0)
        prefix.append(contentsOf: tensor.dtype.rawValue.utf8)
        prefix.append(0)
        prefix.append(contentsOf: tensor.shapeText.utf8)
        prefix.append(0)
        hasher.update(data: prefix)
    }

    /// Adds the next chunk of the current tensor's bytes.
    public mutating func update(_ data: UnsafeRawBufferPointer) {
        if data.count > 0 { hasher.update(bufferPointer: data) }
    }

    /// The lowercase hex digest.
    public func finalize() -> String {
        Self.hex(hasher.finalize())
    }

    /// sha256 of `bytes` as lowercase hex, the spelling of every fingerprint retaind
    /// writes (a profile's `proxy_fingerprint` is this of the proxy file).
    public static func sha256(_ bytes: UnsafeRawBufferPointer) -> String {
        var hasher = SHA256()
        hasher.update(bufferPointer: bytes)
        return hex(hasher.finalize())
    }

    static func hex(_ digest: some Sequence<UInt8>) -> String {
        digest.map { byte in
            let hex = String(byte, radix: 16)
            return byte < 16 ? "0" + hex : hex
        }.joined()
    }
}
