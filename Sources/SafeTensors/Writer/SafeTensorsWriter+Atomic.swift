#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import SystemCalls

extension SafeTensorsWriter {
    /// Writes one safetensors file so that `path` holds either its old content or the
    /// complete new file, never a partial one: written beside it under a temporary
    /// name, fsynced, renamed over it, parent directory fsynced.
    ///
    /// `produce` must append every tensor of `tensors`, in order.
    public static func writeAtomically(
        path: String, tensors: [TensorSpec], metadata: [String: String] = [:],
        produce: (SafeTensorsWriter) throws -> Void
    ) throws {
        let (parent, name) = AtomicDirectory.split(path)
        let temporary = parent + "/." + name + AtomicDirectory.marker + String(getpid())
        unlink(temporary)
        do {
            let writer = try SafeTensorsWriter(path: temporary, tensors: tensors, metadata: metadata)
            try produce(writer)
            try writer.finish()
            do { try Syscall.retrying("rename into place") { rename(temporary, path) } } catch {
                throw SafeTensorsError(path: path, reason: .system(error))
            }
            try AtomicDirectory.fsyncDirectory(parent)
        } catch {
            unlink(temporary)
            throw error
        }
    }
}
