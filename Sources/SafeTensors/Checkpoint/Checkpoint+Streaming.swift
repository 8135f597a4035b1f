/// One pass over a checkpoint's data that also yields its fingerprint.
extension Checkpoint {
    /// Visits every tensor in fingerprint order, hashing its bytes as they stream through,
    /// and releases each tensor's pages afterwards so the resident set stays at one tensor.
    ///
    /// - Parameters:
    ///   - rejectNonFinite: throw ``CheckpointError/Reason/nonFinite(tensor:elementIndex:)``
    ///     at the first float tensor holding NaN or Inf.
    ///   - visit: receives the entry, its file and a view of its stored bytes, valid only
    ///     during the call.
    /// - Returns: the SPEC §6 fingerprint.
    @discardableResult
    public func stream(
        rejectNonFinite: Bool = false,
        _ visit: (TensorInfo, SafeTensorsFile, UnsafeRawBufferPointer) throws -> Void = { _, _, _ in }
    ) throws -> String {
        var fingerprinter = Fingerprinter()
        for name in tensorNames {
            let location = location(of: name)!
            let data = location.file.data(of: location.tensor)
            fingerprinter.add(location.tensor, data: data)
            if rejectNonFinite, let index = NonFiniteScan.firstNonFinite(data, dtype: location.tensor.dtype) {
                throw CheckpointError(checkpoint: path, reason: .nonFinite(tensor: name, elementIndex: index))
            }
            try visit(location.tensor, location.file, data)
            location.file.release(location.tensor)
        }
        return fingerprinter.finalize()
    }

    /// The SPEC §6 fingerprint (one read of every tensor).
    public func fingerprint() throws -> String {
        try stream()
    }
}
