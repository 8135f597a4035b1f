#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import SystemCalls

/// A validated safetensors file, held open and read with `pread` into the caller's buffers.
///
/// Nothing is mapped: a file truncated by another process while it is read gives a
/// short read, reported as ``SafeTensorsError/Reason/truncatedWhileReading(tensor:needed:size:)``,
/// never a SIGBUS; and no file page counts in this process's resident set, so a pass's
/// memory is its buffers, whatever the size of the largest tensor (docs/design.md,
/// "Reading weights"). `pread` is thread-safe, so several threads may read one file.
public final class SafeTensorsFile: @unchecked Sendable {
    // Immutable after init; `pread` takes its own offset, so sharing the descriptor
    // across threads is safe.

    /// The path the file was opened with.
    public let path: String
    /// Tensors in the order of their data.
    public let tensors: [TensorInfo]
    /// The header's `__metadata__`.
    public let metadata: [String: String]
    /// Size of the whole file in bytes, when it was opened.
    public let fileSize: Int
    /// Byte offset of the data section (8 + header length).
    public let dataOffset: Int

    private let byName: [String: Int]
    private let descriptor: Int32

    /// Opens and validates `path`; throws a ``SafeTensorsError`` naming what is wrong.
    ///
    /// Only a regular file (or a symlink to one) is opened; anything else fails at once
    /// with ``SafeTensorsError/Reason/system(_:)`` whose ``SystemError/fileKind`` says
    /// what it is.
    public init(path: String) throws(SafeTensorsError) {
        func fail(_ reason: SafeTensorsError.Reason) -> SafeTensorsError { SafeTensorsError(path: path, reason: reason) }
        @discardableResult
        func call<T: FixedWidthInteger & SignedInteger>(_ operation: String, _ body: () -> T) throws(SafeTensorsError) -> T {
            do { return try Syscall.retrying(operation, body) } catch { throw fail(.system(error)) }
        }

        // Never blocks: a FIFO, socket or device is refused ("open failed: not a regular
        // file (a FIFO)"), never opened for reading.
        let fd: Int32
        do { fd = try FileSystem.openRegularFile(path) } catch { throw fail(.system(error.withoutPath)) }
        var keep = false
        defer { if !keep { close(fd) } }
        var info = stat()
        try call("stat") { fstat(fd, &info) }
        let size = Int(info.st_size)
        guard size >= 8 else { throw fail(.fileTooSmall(size: size)) }

        var lengthLE: UInt64 = 0
        guard try call("read", { pread(fd, &lengthLE, 8, 0) }) == 8 else { throw fail(.system(operation: "read", errno: EIO)) }
        let headerCount = try SafeTensorsHeader.checkedLength(UInt64(littleEndian: lengthLE), fileSize: size, path: path)
        var headerBytes = [UInt8](repeating: 0, count: headerCount)
        let got = try headerBytes.withMutableBuffer { buffer throws(SafeTensorsError) in
            try call("read") { pread(fd, buffer.baseAddress, headerCount, 8) }
        }
        guard got == headerCount else { throw fail(.system(operation: "read", errno: EIO)) }

        let header = try headerBytes.withBytes { raw throws(SafeTensorsError) in
            try SafeTensorsHeader.parse(raw, dataSize: size - 8 - headerCount, path: path)
        }

        self.path = path
        self.tensors = header.tensors
        self.metadata = header.metadata
        self.fileSize = size
        self.dataOffset = 8 + headerCount
        self.descriptor = fd
        var byName: [String: Int] = [:]
        for (i, t) in header.tensors.enumerated() { byName[t.name] = i }
        self.byName = byName
        keep = true
    }

    deinit {
        close(descriptor)
    }

    /// The entry for `name`, or nil.
    public func tensor(named name: String) -> TensorInfo? {
        byName[name].map { tensors[$0] }
    }

    /// The entry for `name`, or a `tensorNotFound` error naming this file.
    public func requireTensor(_ name: String) throws(SafeTensorsError) -> TensorInfo {
        guard let t = tensor(named: name) else { throw SafeTensorsError(path: path, reason: .tensorNotFound(tensor: name)) }
        return t
    }

    /// Reads bytes `range` of the tensor's stored data (little-endian, as stored) into
    /// `buffer` (`buffer.count == range.count`).
    ///
    /// - Throws: ``SafeTensorsError/Reason/truncatedWhileReading(tensor:needed:size:)`` when
    ///   the file ends early (it was truncated after it was opened), or a system error.
    public func read(_ tensor: TensorInfo, bytes range: Range<Int>, into buffer: UnsafeMutableRawBufferPointer) throws(SafeTensorsError) {
        precondition(range.lowerBound >= 0 && range.upperBound <= tensor.byteCount && buffer.count == range.count,
                     "byte range outside tensor or buffer size mismatch")
        guard let destination = buffer.baseAddress, range.count > 0 else { return }
        let start = dataOffset + tensor.dataRange.lowerBound + range.lowerBound
        var done = 0
        while done < range.count {
            let n = pread(descriptor, destination + done, range.count - done, off_t(start + done))
            if n > 0 {
                done += n
            } else if n == 0 {
                var info = stat()
                let now = fstat(descriptor, &info) == 0 ? Int(info.st_size) : start + done
                throw SafeTensorsError(path: path, reason: .truncatedWhileReading(tensor: tensor.name, needed: start + range.count, size: now))
            } else if errno != EINTR {
                throw SafeTensorsError(path: path, reason: .system(operation: "read", errno: errno))
            }
        }
    }

    /// The tensor's stored bytes as a new array (for small tensors and tests).
    public func bytes(of tensor: TensorInfo) throws(SafeTensorsError) -> [UInt8] {
        var out = [UInt8](repeating: 0, count: tensor.byteCount)
        try out.withMutableBuffer { buffer throws(SafeTensorsError) in
            try read(tensor, bytes: 0..<tensor.byteCount, into: UnsafeMutableRawBufferPointer(buffer))
        }
        return out
    }

    /// Converts elements `range` of a float tensor to F32 into `output` (`output.count == range.count`).
    ///
    /// `staging` holds the stored bytes on their way to `output`; it must have room for
    /// `range.count` stored elements unless the tensor is F32 (read straight into
    /// `output`). Without it, a buffer is allocated for the call.
    public func readFloat32(_ tensor: TensorInfo, elements range: Range<Int>? = nil, into output: UnsafeMutableBufferPointer<Float>,
                            staging: UnsafeMutableRawBufferPointer? = nil) throws(SafeTensorsError) {
        guard tensor.dtype.isConvertibleToFloat32 else {
            throw SafeTensorsError(path: path, reason: .unsupportedDType(tensor: tensor.name, dtype: tensor.dtype))
        }
        let range = range ?? 0..<tensor.elementCount
        precondition(range.lowerBound >= 0 && range.upperBound <= tensor.elementCount && output.count == range.count,
                     "element range outside tensor or output size mismatch")
        let size = tensor.dtype.size
        let bytes = (range.lowerBound * size)..<(range.upperBound * size)
        #if _endian(little)
        if tensor.dtype == .f32 {
            try read(tensor, bytes: bytes, into: UnsafeMutableRawBufferPointer(output))
            return
        }
        #endif
        if let staging {
            precondition(staging.count >= bytes.count, "staging buffer too small")
            let stored = UnsafeMutableRawBufferPointer(rebasing: staging[0..<bytes.count])
            try read(tensor, bytes: bytes, into: stored)
            Float32Conversion.convert(UnsafeRawBufferPointer(stored), from: tensor.dtype, into: output)
        } else {
            let stored = UnsafeMutableRawBufferPointer.allocate(byteCount: bytes.count, alignment: 16)
            defer { stored.deallocate() }
            try read(tensor, bytes: bytes, into: stored)
            Float32Conversion.convert(UnsafeRawBufferPointer(stored), from: tensor.dtype, into: output)
        }
    }

    /// The whole tensor as a new F32 array (for small tensors and tests).
    public func float32Array(_ tensor: TensorInfo) throws(SafeTensorsError) -> [Float] {
        var out = [Float](repeating: 0, count: tensor.elementCount)
        try out.withMutableBuffer { buf throws(SafeTensorsError) in try readFloat32(tensor, into: buf) }
        return out
    }

    /// Calls `body` with the tensor's stored bytes in order, `buffer.count` bytes at a
    /// time (rounded down to whole elements), each chunk read into `buffer` and valid
    /// only during the call; `body` also gets the chunk's first byte offset in the tensor.
    public func forEachChunk(of tensor: TensorInfo, buffer: UnsafeMutableRawBufferPointer,
                             _ body: (UnsafeRawBufferPointer, Int) throws -> Void) throws {
        let step = max(tensor.dtype.size, buffer.count / tensor.dtype.size * tensor.dtype.size)
        precondition(buffer.count >= step || tensor.byteCount == 0, "chunk buffer smaller than one element")
        var offset = 0
        while offset < tensor.byteCount {
            let n = min(step, tensor.byteCount - offset)
            let chunk = UnsafeMutableRawBufferPointer(rebasing: buffer[0..<n])
            try read(tensor, bytes: offset..<(offset + n), into: chunk)
            try body(UnsafeRawBufferPointer(chunk), offset)
            offset += n
        }
    }
}
