/// Copying a stored tensor unchanged from one file to the file being written.
extension SafeTensorsWriter {
    /// Bytes copied at a time: a few `pread`/`write` pairs per MiB, a few MiB of memory.
    static let copyChunkBytes = 4 << 20

    /// Appends all of `tensor`'s stored bytes, read from `file` in chunks through one
    /// buffer, so copying the largest tensor costs a few MiB of memory.
    ///
    /// - Throws: ``SafeTensorsError`` naming `file` when it ends early (truncated while
    ///   read), or this writer's file when writing fails.
    public func copy(_ tensor: TensorInfo, from file: SafeTensorsFile) throws(SafeTensorsError) {
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: min(Self.copyChunkBytes, max(1, tensor.byteCount)), alignment: 64)
        defer { buffer.deallocate() }
        var offset = 0
        while offset < tensor.byteCount {
            let n = min(buffer.count, tensor.byteCount - offset)
            let chunk = UnsafeMutableRawBufferPointer(rebasing: buffer[0..<n])
            try file.read(tensor, bytes: offset..<(offset + n), into: chunk)
            try append(UnsafeRawBufferPointer(chunk))
            offset += n
        }
    }
}
