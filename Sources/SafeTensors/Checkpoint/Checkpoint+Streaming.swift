#if canImport(Glibc)
import Glibc
#endif
import CSystemShims
import Dispatch
import Synchronization

/// One pass over a checkpoint's data that also yields its fingerprint.
extension Checkpoint {
    /// Bytes a background hasher reads at a time: large enough that a `pread` costs
    /// nothing beside hashing it, small enough to stay a few MiB per pass.
    static let hashChunkBytes = 4 << 20

    /// Visits every tensor in fingerprint order while another thread reads and hashes
    /// its bytes (and scans them for NaN/Inf).
    ///
    /// Hashing (SHA-256, about a core's worth of work per GB/s) and the scan run on a
    /// second thread that reads the same tensors through its own buffer, in step with
    /// `visit` (at most ``BackgroundHasher/lookahead`` tensors ahead), so the caller's
    /// reads find the pages in the page cache. `visit` runs on the caller's thread.
    ///
    /// - Parameters:
    ///   - rejectNonFinite: throw ``CheckpointError/Reason/nonFinite(tensor:elementIndex:)``
    ///     for the first float tensor holding NaN or Inf (after its visit).
    ///   - visit: receives the entry and its file; it reads what it needs.
    /// - Returns: the docs/spec.md §6 fingerprint.
    /// - Throws: ``CheckpointError`` when a file ends early (truncated while read) or
    ///   holds NaN/Inf, and whatever `visit` throws.
    @discardableResult
    public func stream(
        rejectNonFinite: Bool = false,
        _ visit: (TensorInfo, SafeTensorsFile) throws -> Void = { _, _ in }
    ) throws -> String {
        let names = tensorNames
        let locations = names.map { location(of: $0)! }
        let hasher = BackgroundHasher(locations: locations, scan: rejectNonFinite)
        let group = DispatchGroup()
        DedicatedThread.start(group: group) { hasher.run() }
        defer {
            hasher.cancel()
            group.wait()
        }
        for (i, location) in locations.enumerated() {
            try visit(location.tensor, location.file)
            hasher.waitUntilNextHashed()
            hasher.callerFinished(i)
            if let failure = hasher.failure {
                throw CheckpointError(checkpoint: path, reason: .file(failure))
            }
            if let index = hasher.nonFiniteIndex(i) {
                throw CheckpointError(checkpoint: path, reason: .nonFinite(tensor: names[i], elementIndex: index))
            }
        }
        group.wait()
        return hasher.digest()
    }

    /// The docs/spec.md §6 fingerprint (one read of every tensor).
    public func fingerprint() throws -> String {
        try stream()
    }

    /// Starts computing the fingerprint on another thread, for a pass that reads this
    /// checkpoint's tensors anyway (as drift reads the base): both read the same tensors
    /// in the same order, so the second read comes from the page cache, hashed on the
    /// second core.
    public func fingerprintInBackground() -> FingerprintTask {
        FingerprintTask(checkpoint: path, locations: tensorNames.map { location(of: $0)! })
    }
}

/// A fingerprint being computed on another thread; ``wait()`` returns it.
///
/// The caller reports each tensor it has finished with (``doneReading(_:)``), which
/// lets the hasher run at most ``BackgroundHasher/lookahead`` tensors ahead.
public final class FingerprintTask: Sendable {
    private let hasher: BackgroundHasher
    private let group = DispatchGroup()
    private let indices: [String: Int]
    private let checkpoint: String

    init(checkpoint: String, locations: [Checkpoint.Location]) {
        self.checkpoint = checkpoint
        hasher = BackgroundHasher(locations: locations, scan: false)
        indices = Dictionary(uniqueKeysWithValues: locations.enumerated().map { ($1.tensor.name, $0) })
        let hasher = hasher
        DedicatedThread.start(group: group) { hasher.run() }
    }

    /// The caller no longer needs tensor `name`; tensors must be reported in fingerprint order.
    public func doneReading(_ name: String) {
        if let i = indices[name] { hasher.callerFinished(i) }
    }

    deinit {
        hasher.cancel()
        group.wait()
    }

    /// Blocks until every tensor is hashed; returns the docs/spec.md §6 fingerprint.
    ///
    /// - Throws: ``CheckpointError`` when a file ended early (truncated while read).
    public func wait() throws(CheckpointError) -> String {
        hasher.unthrottle()
        group.wait()
        if let failure = hasher.failure { throw CheckpointError(checkpoint: checkpoint, reason: .file(failure)) }
        return hasher.digest()
    }
}

/// Reads, hashes (and optionally scans) tensors in order on its own thread, through one
/// reused buffer, signalling each one.
final class BackgroundHasher: @unchecked Sendable {
    // `fingerprinter`, `nonFinite` and `failure` are written by the hashing thread only;
    // the caller reads `nonFinite[i]` and `failure` after the `i`-th
    // `waitUntilNextHashed()`, and the digest after the thread ends.
    private let locations: [Checkpoint.Location]
    private let scan: Bool
    private var fingerprinter = Fingerprinter()
    private var nonFinite: [Int?]
    private var result = ""
    private let hashed = DispatchSemaphore(value: 0)
    private let cancelled = Atomic<Bool>(false)
    /// The read that failed (the file ended early); the hasher stops there.
    private(set) var failure: SafeTensorsError?

    init(locations: [Checkpoint.Location], scan: Bool) {
        self.locations = locations
        self.scan = scan
        self.nonFinite = Array(repeating: nil, count: locations.count)
    }

    /// How many tensors the hasher may run ahead of the caller: enough to overlap, few
    /// enough that what it has read is still in the page cache when the caller reads it.
    static let lookahead = 2
    private let permits = DispatchSemaphore(value: lookahead)

    /// The hasher's nice value: 10, so that on a machine whose every core runs a BLAS
    /// thread it takes the gaps between products rather than a core from under one
    /// (a stalled BLAS thread stalls the whole product). `RETAIND_HASHER_NICE` overrides
    /// it (0 to measure without), for re-measuring on another machine.
    static let nice: Int32 = getenv("RETAIND_HASHER_NICE").flatMap { Int32(String(cString: $0)) } ?? 10

    func run() {
        if Self.nice != 0 { _ = retaind_set_thread_nice(Self.nice) }
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: Checkpoint.hashChunkBytes, alignment: 64)
        defer { buffer.deallocate() }
        for (i, location) in locations.enumerated() {
            permits.wait()
            if cancelled.load(ordering: .relaxed) { return }
            do {
                try hash(location, index: i, buffer: buffer)
            } catch {
                failure = error
                hashed.signal()
                return
            }
            hashed.signal()
        }
        result = fingerprinter.finalize()
    }

    private func hash(_ location: Checkpoint.Location, index i: Int, buffer: UnsafeMutableRawBufferPointer) throws(SafeTensorsError) {
        let tensor = location.tensor
        fingerprinter.begin(tensor)
        let size = max(1, tensor.dtype.size)
        let step = max(size, buffer.count / size * size)
        var offset = 0
        while offset < tensor.byteCount {
            let n = min(step, tensor.byteCount - offset)
            let chunk = UnsafeMutableRawBufferPointer(rebasing: buffer[0..<n])
            try location.file.read(tensor, bytes: offset..<(offset + n), into: chunk)
            fingerprinter.update(UnsafeRawBufferPointer(chunk))
            if scan, nonFinite[i] == nil, let index = NonFiniteScan.firstNonFinite(UnsafeRawBufferPointer(chunk), dtype: tensor.dtype) {
                nonFinite[i] = offset / size + index
            }
            offset += n
        }
    }

    func callerFinished(_ i: Int) {
        permits.signal()
    }

    /// Lets the hasher run to the end without waiting for the caller.
    func unthrottle() {
        for _ in 0...locations.count { permits.signal() }
    }

    /// Blocks until the hasher has finished the next tensor (tensors are hashed, and
    /// waited for, in order).
    func waitUntilNextHashed() { hashed.wait() }
    func nonFiniteIndex(_ i: Int) -> Int? { nonFinite[i] }
    func cancel() {
        cancelled.store(true, ordering: .relaxed)
        unthrottle()
    }
    func digest() -> String { result }
}
