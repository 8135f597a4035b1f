import Foundation
import Testing
@testable import SafeTensors

/// A file truncated by another process after it was opened gives a typed error naming
/// the file and the tensor, never a SIGBUS (with a mapping, touching a page past the new
/// end of file kills the process).
@Suite struct TruncatedWhileReadingTests {
    /// A file of `count` tensors of `elements` F32 each; returns its path.
    func file(_ dir: TemporaryDirectory, count: Int = 3, elements: Int = 1 << 16) throws -> String {
        let path = dir.file("model.safetensors")
        try CheckpointBuilder.writeFile(path, (0..<count).map { ("t\($0).weight", [elements]) })
        return path
    }

    func truncate(_ path: String, to size: Int) {
        #expect(Foundation.truncate(path, off_t(size)) == 0)
    }

    @Test func readAfterTruncation_throwsTruncatedWhileReading() throws {
        let dir = try TemporaryDirectory()
        let path = try file(dir)
        let file = try SafeTensorsFile(path: path)
        let last = file.tensors[2]
        truncate(path, to: file.dataOffset + last.dataRange.lowerBound + 100)
        // Earlier tensors still read; the cut one does not.
        #expect(try file.float32Array(file.tensors[0]).count == 1 << 16)
        let error = #expect(throws: SafeTensorsError.self) { try file.float32Array(last) }
        #expect(error?.path == path)
        #expect(error?.reason == .truncatedWhileReading(tensor: "t2.weight", needed: file.dataOffset + last.dataRange.upperBound,
                                                        size: file.dataOffset + last.dataRange.lowerBound + 100))
        #expect(error?.description.contains("truncated while it was read") == true)
    }

    /// Truncation in the middle of a pass: the visit of the first tensor cuts the file
    /// while the hashing thread and the caller are both reading it.
    @Test func truncationDuringStream_isACheckpointError() throws {
        let dir = try TemporaryDirectory()
        let path = try file(dir, count: 4, elements: 1 << 20)  // 16 MiB, several hash chunks per tensor
        let checkpoint = try Checkpoint.open(path)
        let file = checkpoint.files[0]
        var visited: [String] = []
        let error = #expect(throws: (any Error).self) {
            try checkpoint.stream(rejectNonFinite: true) { tensor, file in
                visited.append(tensor.name)
                if visited.count == 1 { truncate(path, to: file.dataOffset + 4096) }
                _ = try file.float32Array(tensor)
            }
        }
        let reason: SafeTensorsError.Reason? = switch error {
        case let error as SafeTensorsError: error.reason
        case let error as CheckpointError: if case .file(let inner) = error.reason { inner.reason } else { nil }
        default: nil
        }
        guard case .truncatedWhileReading(_, _, let size) = reason else {
            Issue.record("expected truncatedWhileReading, got \(String(describing: error))")
            return
        }
        #expect(size == file.dataOffset + 4096)
        #expect((error as? any FaultAttributable)?.isCheckpointFault ?? (error is SafeTensorsError))
    }

    /// The background fingerprint reports the truncation from `wait()`.
    @Test func truncationUnderBackgroundFingerprint_throwsFromWait() throws {
        let dir = try TemporaryDirectory()
        let path = try file(dir, count: 2, elements: 1 << 20)
        let checkpoint = try Checkpoint.open(path)
        truncate(path, to: checkpoint.files[0].dataOffset)
        let task = checkpoint.fingerprintInBackground()
        let error = #expect(throws: CheckpointError.self) { try task.wait() }
        guard case .file(let inner) = error?.reason, case .truncatedWhileReading = inner.reason else {
            Issue.record("expected a truncation, got \(String(describing: error))")
            return
        }
        #expect(error?.isCheckpointFault == true)
    }

    /// Copying a tensor into an output stops with the reader's error, naming the input.
    @Test func copyFromTruncatedFile_namesTheInput() throws {
        let dir = try TemporaryDirectory()
        let path = try file(dir, count: 1)
        let file = try SafeTensorsFile(path: path)
        truncate(path, to: file.dataOffset + 8)
        let writer = try SafeTensorsWriter(path: dir.file("out.safetensors"), tensors: [TensorSpec(name: "t0.weight", dtype: .f32, shape: [1 << 16])])
        let error = #expect(throws: SafeTensorsError.self) { try writer.copy(file.tensors[0], from: file) }
        #expect(error?.path == path)
    }
}
