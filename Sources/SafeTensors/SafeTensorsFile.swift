#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import SystemCalls

/// A validated safetensors file mapped read-only into memory.
///
/// Tensor data is never copied: ``data(of:)`` returns a view into the mapping, valid
/// while the file object lives. Pages touched count in the process's RSS until
/// ``release(_:)`` drops them, which is how a pass over a model larger than memory keeps
/// its footprint at one tensor.
public final class SafeTensorsFile: @unchecked Sendable {
    // Immutable after init; the mapping is read-only, so sharing across threads is safe.

    /// The path the file was opened with.
    public let path: String
    /// Tensors in the order of their data.
    public let tensors: [TensorInfo]
    /// The header's `__metadata__`.
    public let metadata: [String: String]
    /// Size of the whole file in bytes.
    public let fileSize: Int
    /// Byte offset of the data section (8 + header length).
    public let dataOffset: Int

    private let byName: [String: Int]
    private let base: UnsafeRawPointer?

    /// Opens, validates and maps `path`; throws a ``SafeTensorsError`` naming what is wrong.
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
        defer { close(fd) }
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

        let mapping = mmap(nil, size, PROT_READ, MAP_SHARED, fd, 0)
        guard let mapping, mapping != MAP_FAILED else { throw fail(.system(operation: "mmap", errno: errno)) }

        self.path = path
        self.tensors = header.tensors
        self.metadata = header.metadata
        self.fileSize = size
        self.dataOffset = 8 + headerCount
        self.base = UnsafeRawPointer(mapping)
        var byName: [String: Int] = [:]
        for (i, t) in header.tensors.enumerated() { byName[t.name] = i }
        self.byName = byName
    }

    deinit {
        if let base { munmap(UnsafeMutableRawPointer(mutating: base), fileSize) }
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

    /// A zero-copy view of the tensor's bytes as stored (little-endian), valid while `self` lives.
    public func data(of tensor: TensorInfo) -> UnsafeRawBufferPointer {
        guard let base, tensor.byteCount > 0 else { return UnsafeRawBufferPointer(start: nil, count: 0) }
        return UnsafeRawBufferPointer(start: base + dataOffset + tensor.dataRange.lowerBound, count: tensor.byteCount)
    }

    /// Converts elements `range` of a float tensor to F32 into `output` (`output.count == range.count`).
    public func readFloat32(_ tensor: TensorInfo, elements range: Range<Int>? = nil, into output: UnsafeMutableBufferPointer<Float>) throws(SafeTensorsError) {
        guard tensor.dtype.isConvertibleToFloat32 else {
            throw SafeTensorsError(path: path, reason: .unsupportedDType(tensor: tensor.name, dtype: tensor.dtype))
        }
        let range = range ?? 0..<tensor.elementCount
        precondition(range.lowerBound >= 0 && range.upperBound <= tensor.elementCount && output.count == range.count,
                     "element range outside tensor or output size mismatch")
        let bytes = data(of: tensor)
        let size = tensor.dtype.size
        let slice = UnsafeRawBufferPointer(rebasing: bytes[(range.lowerBound * size)..<(range.upperBound * size)])
        Float32Conversion.convert(slice, from: tensor.dtype, into: output)
    }

    /// The whole tensor as a new F32 array (for small tensors and tests).
    public func float32Array(_ tensor: TensorInfo) throws(SafeTensorsError) -> [Float] {
        var out = [Float](repeating: 0, count: tensor.elementCount)
        try out.withMutableBuffer { buf throws(SafeTensorsError) in try readFloat32(tensor, into: buf) }
        return out
    }

    /// Drops the tensor's pages from this process's resident set; the data stays readable
    /// (it is read again from the page cache or disk if touched).
    public func release(_ tensor: TensorInfo) {
        guard let base, tensor.byteCount > 0 else { return }
        let page = Int(sysconf(Int32(_SC_PAGESIZE)))
        let start = dataOffset + tensor.dataRange.lowerBound
        let end = dataOffset + tensor.dataRange.upperBound
        let alignedStart = start / page * page
        let alignedEnd = min((end + page - 1) / page * page, (fileSize + page - 1) / page * page)
        _ = madvise(UnsafeMutableRawPointer(mutating: base + alignedStart), alignedEnd - alignedStart, MADV_DONTNEED)
    }
}
