import Linalg
import SafeTensors

/// Block buffers reused across the modules of a pass, so memory is a few MiB of blocks
/// plus the `m × k` products, not a copy of the largest module.
final class DriftWorkspace {
    private(set) var capacity = 0
    private(set) var delta = UnsafeMutableBufferPointer<Float>.allocate(capacity: 0)
    private(set) var base = UnsafeMutableBufferPointer<Float>.allocate(capacity: 0)
    let scratch = DeltaScratch()
    /// Target elements per row block: 1M (4 MiB of F32), small enough to stay in cache
    /// between forming a block and multiplying it.
    static let defaultBlockElements = 1 << 20
    let blockElements: Int

    init(blockElements: Int = defaultBlockElements) {
        self.blockElements = blockElements
    }

    deinit {
        delta.deallocate()
        base.deallocate()
    }

    /// Makes room for `elements` per block buffer.
    func reserve(_ elements: Int) {
        guard elements > capacity else { return }
        delta.deallocate()
        base.deallocate()
        delta = .allocate(capacity: elements)
        base = .allocate(capacity: elements)
        capacity = elements
    }

    /// What one module's pass produced.
    struct ModuleResult {
        var energies: [Double]
        var deltaSquaredNorm: Double
        var deltaMeanNorm: Double
        var reference: ModuleReference?
    }

    /// Streams one module in row blocks: `Δ`'s products when `candidate` is given, `W0`'s
    /// (the reference) when `needsReference`.
    func measure(candidate: Checkpoint.Location?, base b: Checkpoint.Location, geometry: ModuleGeometry,
                 site: SiteProfile, needsReference: Bool) throws -> ModuleResult {
        let storedRows = b.tensor.shape[0], storedColumns = b.tensor.shape[1]
        let rowsPerBlock = max(1, blockElements / max(1, storedColumns))
        reserve(rowsPerBlock * storedColumns)
        var deltaProducts = ModuleProducts(geometry, rank: site.rank)
        var referenceProducts = needsReference ? ModuleProducts(geometry, rank: site.rank) : nil
        var deltaSquaredNorm = 0.0
        for start in stride(from: 0, to: storedRows, by: rowsPerBlock) {
            let rows = start..<min(start + rowsPerBlock, storedRows)
            let elements = (rows.lowerBound * storedColumns)..<(rows.upperBound * storedColumns)
            if let candidate {
                let squares = try DeltaKernel.form(candidate: candidate, base: b, elements: elements, into: delta,
                                               keepingBase: needsReference ? base : nil, scratch: scratch)
                deltaSquaredNorm += squares
                if squares > 0 { deltaProducts.accumulate(delta.baseAddress!, rows: rows, site: site) }
            } else if needsReference {
                try b.file.readFloat32(b.tensor, elements: elements, into: UnsafeMutableBufferPointer(rebasing: base[0..<elements.count]))
            }
            referenceProducts?.accumulate(base.baseAddress!, rows: rows, site: site)
        }
        return ModuleResult(
            energies: candidate == nil ? [Double](repeating: 0, count: site.rank) : deltaProducts.factorEnergies,
            deltaSquaredNorm: deltaSquaredNorm,
            deltaMeanNorm: candidate == nil ? 0 : deltaProducts.meanOutputNorm,
            reference: referenceProducts.map { ModuleReference(energy: $0.factorEnergies.reduce(0, +), meanOutputNorm: $0.meanOutputNorm) })
    }
}
