import Dispatch
import Synchronization

/// One pass over a checkpoint's data that also yields its fingerprint.
extension Checkpoint {
    /// Visits every tensor in fingerprint order, hashing its bytes as they stream through,
    /// and releases each tensor's pages afterwards so the resident set stays at one tensor.
    ///
    /// Hashing (SHA-256, about a core's worth of work per GB/s) and the NaN/Inf scan run
    /// on a second thread that walks the same mapped pages in step with `visit`, so on a
    /// machine with two cores they cost little wall time. `visit` runs on the caller's thread.
    ///
    /// - Parameters:
    ///   - rejectNonFinite: throw ``CheckpointError/Reason/nonFinite(tensor:elementIndex:)``
    ///     for the first float tensor holding NaN or Inf (after its visit).
    ///   - visit: receives the entry, its file and a view of its stored bytes, valid only
    ///     during the call.
    /// - Returns: the docs/spec.md §6 fingerprint.
    @discardableResult
    public func stream(
        rejectNonFinite: Bool = false,
        _ visit: (TensorInfo, SafeTensorsFile, UnsafeRawBufferPointer) throws -> Void = { _, _, _ in }
    ) throws -> String {
        let names = tensorNames
        let locations = names.map { location(of: $0)! }
        let hasher = BackgroundHasher(locations: locations, scan: rejectNonFinite, releasesShared: true)
        let group = DispatchGroup()
        DispatchQueue.global().async(group: group) { hasher.run() }
        defer {
            hasher.cancel()
            group.wait()
        }
        for (i, location) in locations.enumerated() {
            try visit(location.tensor, location.file, location.file.data(of: location.tensor))
            hasher.waitUntilNextHashed()
            hasher.callerFinished(i)
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
    /// checkpoint's tensors anyway (as drift reads the base): both walk the same mapped
    /// pages in the same order, so the data is read from memory once, hashed on the
    /// second core.
    public func fingerprintInBackground() -> FingerprintTask {
        FingerprintTask(locations: tensorNames.map { location(of: $0)! })
    }
}

/// A fingerprint being computed on another thread; ``wait()`` returns it.
///
/// The caller reports each tensor it has finished with (``doneReading(_:)``); a
/// tensor's pages are released once both the caller and the hasher are past it, so
/// the resident set stays at a tensor or two whichever side runs ahead.
public final class FingerprintTask: Sendable {
    private let hasher: BackgroundHasher
    private let group = DispatchGroup()
    private let indices: [String: Int]

    init(locations: [Checkpoint.Location]) {
        hasher = BackgroundHasher(locations: locations, scan: false, releasesShared: true)
        indices = Dictionary(uniqueKeysWithValues: locations.enumerated().map { ($1.tensor.name, $0) })
        let hasher = hasher
        DispatchQueue.global().async(group: group) { hasher.run() }
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
    public func wait() -> String {
        hasher.unthrottle()
        group.wait()
        return hasher.digest()
    }
}

/// Hashes (and optionally scans) tensors in order on its own thread, signalling each one.
final class BackgroundHasher: @unchecked Sendable {
    // `fingerprinter` and `nonFinite` are written by the hashing thread only; the caller
    // reads `nonFinite[i]` after the `i`-th `waitUntilNextHashed()` and the digest after the thread ends.
    private let locations: [Checkpoint.Location]
    private let scan: Bool
    private var fingerprinter = Fingerprinter()
    private var nonFinite: [Int?]
    private var result = ""
    private let hashed = DispatchSemaphore(value: 0)
    private let cancelled = Atomic<Bool>(false)
    /// With `releasesShared`: the last tensor each side finished; whichever side sees the
    /// other already past a tensor releases its pages (both may; never neither).
    private let releasesShared: Bool
    private let hasherProgress = Atomic<Int>(-1)
    private let callerProgress = Atomic<Int>(-1)

    init(locations: [Checkpoint.Location], scan: Bool, releasesShared: Bool = false) {
        self.locations = locations
        self.scan = scan
        self.releasesShared = releasesShared
        self.nonFinite = Array(repeating: nil, count: locations.count)
    }

    /// How many tensors the hasher may run ahead of the caller: enough to overlap, few
    /// enough that the pages it has touched and the caller has not released stay small.
    static let lookahead = 2
    private let permits = DispatchSemaphore(value: lookahead)

    func run() {
        for (i, location) in locations.enumerated() {
            permits.wait()
            if cancelled.load(ordering: .relaxed) { return }
            let data = location.file.data(of: location.tensor)
            fingerprinter.add(location.tensor, data: data)
            if scan { nonFinite[i] = NonFiniteScan.firstNonFinite(data, dtype: location.tensor.dtype) }
            if releasesShared {
                hasherProgress.store(i, ordering: .sequentiallyConsistent)
                if callerProgress.load(ordering: .sequentiallyConsistent) >= i { location.file.release(location.tensor) }
            }
            hashed.signal()
        }
        result = fingerprinter.finalize()
    }

    func callerFinished(_ i: Int) {
        callerProgress.store(i, ordering: .sequentiallyConsistent)
        if hasherProgress.load(ordering: .sequentiallyConsistent) >= i { locations[i].file.release(locations[i].tensor) }
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
