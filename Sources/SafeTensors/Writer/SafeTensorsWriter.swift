#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import CSystemShims
import SystemCalls

/// Streams one safetensors file to disk: the header is computed up front from the specs,
/// then each tensor's bytes are appended in order, so peak memory is what the caller
/// holds for one tensor, never the model.
///
/// The file is created exclusively and fsynced by ``finish()``; publishing it atomically
/// is ``AtomicDirectory``'s job.
public final class SafeTensorsWriter {
    public let path: String
    private let specs: [TensorSpec]
    private var fd: Int32
    private var tensorIndex = 0
    private var writtenInTensor = 0
    /// Bytes written so far, and how far writeback has been started.
    private var fileOffset = 0
    private var writebackStarted = 0
    /// Writeback is started every this many bytes, so the disk writes while the caller
    /// computes the next tensors and ``finish()``'s fsync only waits for the tail.
    static let writebackInterval = 32 << 20

    /// Creates `path` (which must not exist) and writes the header.
    public init(path: String, tensors: [TensorSpec], metadata: [String: String] = [:]) throws(SafeTensorsError) {
        self.path = path
        self.specs = tensors
        var seen = Set<String>()
        for spec in tensors where !seen.insert(spec.name).inserted {
            throw SafeTensorsError(path: path, reason: .duplicateTensor(tensor: spec.name))
        }
        var entries: [String] = []
        if !metadata.isEmpty { entries.append("\"__metadata__\":" + JSONWriter.stringMap(metadata)) }
        var offset = 0
        for spec in tensors {
            let end = offset + spec.byteCount
            entries.append(JSONWriter.quote(spec.name) + ":{\"dtype\":\"\(spec.dtype.rawValue)\",\"shape\":[\(spec.shape.map(String.init).joined(separator: ","))],\"data_offsets\":[\(offset),\(end)]}")
            offset = end
        }
        var header = Array(("{" + entries.joined(separator: ",") + "}").utf8)
        while header.count % 8 != 0 { header.append(0x20) }  // as the reference writer pads
        do { fd = try Syscall.retrying("create") { open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o644) } } catch {
            throw SafeTensorsError(path: path, reason: .system(error))
        }
        let length = UInt64(header.count)
        let prefix = (0..<8).map { UInt8(truncatingIfNeeded: length >> (8 * $0)) }
        try (prefix + header).withBytes { raw throws(SafeTensorsError) in try writeAll(raw) }
        advancePastEmptyTensors()
    }

    deinit {
        if fd >= 0 { close(fd) }
    }

    /// The tensor whose bytes are expected next, or nil when all are written.
    public var nextTensor: TensorSpec? { tensorIndex < specs.count ? specs[tensorIndex] : nil }

    /// Appends bytes of the current tensor (a tensor may arrive in several chunks, never
    /// spanning two tensors).
    public func append(_ bytes: UnsafeRawBufferPointer) throws(SafeTensorsError) {
        guard let spec = nextTensor else {
            throw SafeTensorsError(path: path, reason: .dataSizeMismatch(dataEnd: bytes.count, dataSize: 0))
        }
        guard writtenInTensor + bytes.count <= spec.byteCount else {
            throw SafeTensorsError(path: path, reason: .sizeMismatch(tensor: spec.name, expectedBytes: spec.byteCount, actualBytes: writtenInTensor + bytes.count))
        }
        try writeAll(bytes)
        writtenInTensor += bytes.count
        if writtenInTensor == spec.byteCount {
            tensorIndex += 1
            writtenInTensor = 0
            advancePastEmptyTensors()
        }
    }

    /// Appends F32 values for the current tensor, which must be F32.
    public func append(_ values: UnsafeBufferPointer<Float>) throws(SafeTensorsError) {
        try append(UnsafeRawBufferPointer(values))
    }

    /// Checks every tensor was written in full, fsyncs and closes the file.
    public func finish() throws(SafeTensorsError) {
        if let spec = nextTensor {
            throw SafeTensorsError(path: path, reason: .sizeMismatch(tensor: spec.name, expectedBytes: spec.byteCount, actualBytes: writtenInTensor))
        }
        do { try Syscall.retrying("fsync") { fsync(fd) } } catch { throw SafeTensorsError(path: path, reason: .system(error)) }
        let result = close(fd)
        let code = errno
        fd = -1
        // close(2) is not retried: on Linux the descriptor is gone even when it reports EINTR.
        guard result == 0 else { throw SafeTensorsError(path: path, reason: .system(operation: "close", errno: code)) }
    }

    private func advancePastEmptyTensors() {
        while let spec = nextTensor, spec.byteCount == 0 { tensorIndex += 1 }
    }

    private func writeAll(_ bytes: UnsafeRawBufferPointer) throws(SafeTensorsError) {
        do { try FileSystem.writeAll(fd, bytes) } catch { throw SafeTensorsError(path: path, reason: .system(error)) }
        fileOffset += bytes.count
        if fileOffset - writebackStarted >= Self.writebackInterval {
            // Advisory: a failure here only means the fsync does more of the work.
            _ = retaind_start_writeback(fd, Int64(writebackStarted), Int64(fileOffset - writebackStarted))
            writebackStarted = fileOffset
        }
    }
}
