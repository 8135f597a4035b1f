/// A dense row-major matrix that owns its storage.
///
/// Row-major because weights arrive that way (`[out, in]`, PyTorch layout) and the
/// factors are stored `[k, d]`; BLAS is always called with `CblasRowMajor`.
public struct Matrix<Scalar: BinaryFloatingPoint & Sendable>: Sendable {
    public let rows: Int
    public let cols: Int
    public var storage: [Scalar]

    /// A zero matrix.
    public init(rows: Int, cols: Int) {
        precondition(rows >= 0 && cols >= 0)
        self.rows = rows
        self.cols = cols
        self.storage = [Scalar](repeating: 0, count: rows * cols)
    }

    /// A matrix over `storage` (row-major, `rows * cols` elements).
    public init(rows: Int, cols: Int, storage: [Scalar]) {
        precondition(storage.count == rows * cols, "storage holds \(storage.count) elements, not \(rows)×\(cols)")
        self.rows = rows
        self.cols = cols
        self.storage = storage
    }

    /// The identity.
    public static func identity(_ n: Int) -> Matrix {
        var m = Matrix(rows: n, cols: n)
        for i in 0..<n { m.storage[i * n + i] = 1 }
        return m
    }

    public subscript(row: Int, col: Int) -> Scalar {
        get { storage[row * cols + col] }
        set { storage[row * cols + col] = newValue }
    }

    /// The transpose, as a new matrix.
    public var transposed: Matrix {
        var t = Matrix(rows: cols, cols: rows)
        storage.withUnsafeBufferPointer { s in
            t.storage.withUnsafeMutableBufferPointer { transposeCopy(s, rows: rows, cols: cols, into: $0) }
        }
        return t
    }

    /// A read-only view for BLAS calls, valid inside `body`.
    public func withView<R>(_ body: (MatrixView<Scalar>) throws -> R) rethrows -> R {
        try storage.withUnsafeBufferPointer { buffer in
            try body(MatrixView(buffer.baseAddress!, rows: rows, cols: cols))
        }
    }

    /// A mutable view for BLAS calls, valid inside `body`.
    public mutating func withMutableView<R>(_ body: (MutableMatrixView<Scalar>) throws -> R) rethrows -> R {
        let (r, c) = (rows, cols)
        return try storage.withUnsafeMutableBufferPointer { buffer in
            try body(MutableMatrixView(buffer.baseAddress!, rows: r, cols: c))
        }
    }
}

/// A row-major view of memory someone else owns (a mapped tensor, a reused buffer).
public struct MatrixView<Scalar> {
    public let base: UnsafePointer<Scalar>
    public let rows: Int
    public let cols: Int
    /// Elements between the starts of consecutive rows (≥ `cols`).
    public let rowStride: Int

    public init(_ base: UnsafePointer<Scalar>, rows: Int, cols: Int, rowStride: Int? = nil) {
        self.base = base
        self.rows = rows
        self.cols = cols
        self.rowStride = rowStride ?? cols
        precondition(self.rowStride >= cols)
    }
}

/// A mutable row-major view of memory someone else owns.
public struct MutableMatrixView<Scalar> {
    public let base: UnsafeMutablePointer<Scalar>
    public let rows: Int
    public let cols: Int
    public let rowStride: Int

    public init(_ base: UnsafeMutablePointer<Scalar>, rows: Int, cols: Int, rowStride: Int? = nil) {
        self.base = base
        self.rows = rows
        self.cols = cols
        self.rowStride = rowStride ?? cols
        precondition(self.rowStride >= cols)
    }

    public var readOnly: MatrixView<Scalar> { MatrixView(UnsafePointer(base), rows: rows, cols: cols, rowStride: rowStride) }
}

/// Row-major storage BLAS can read: an owned ``Matrix`` or a view of someone else's memory.
public protocol MatrixOperand<Scalar> {
    associatedtype Scalar
    /// A read-only view, valid inside `body`.
    func withView<R>(_ body: (MatrixView<Scalar>) throws -> R) rethrows -> R
}

/// Row-major storage BLAS can write: an owned ``Matrix`` or a mutable view.
public protocol MatrixDestination<Scalar> {
    associatedtype Scalar
    /// A mutable view, valid inside `body`.
    mutating func withMutableView<R>(_ body: (MutableMatrixView<Scalar>) throws -> R) rethrows -> R
}

extension Matrix: MatrixOperand, MatrixDestination {}

extension MatrixView: MatrixOperand {
    public func withView<R>(_ body: (MatrixView<Scalar>) throws -> R) rethrows -> R { try body(self) }
}

extension MutableMatrixView: MatrixOperand, MatrixDestination {
    public func withView<R>(_ body: (MatrixView<Scalar>) throws -> R) rethrows -> R { try body(readOnly) }
    public func withMutableView<R>(_ body: (MutableMatrixView<Scalar>) throws -> R) rethrows -> R { try body(self) }
}

/// Copies the row-major `rows × cols` matrix `source` into `target` transposed
/// (`cols × rows`), converting each element: how an `[in, out]` weight becomes the
/// logical `[out, in]` one and back.
@inlinable
public func transposeCopy<Source: BinaryFloatingPoint, Target: BinaryFloatingPoint>(
    _ source: UnsafeBufferPointer<Source>, rows: Int, cols: Int, into target: UnsafeMutableBufferPointer<Target>
) {
    precondition(source.count == rows * cols && target.count == rows * cols, "transpose of \(rows)×\(cols) needs that many elements")
    for i in 0..<rows { for j in 0..<cols { target[j * rows + i] = Target(source[i * cols + j]) } }
}
