/// A tensor to be written: its name, dtype and shape (the data comes later, streamed).
public struct TensorSpec: Sendable, Equatable {
    public let name: String
    public let dtype: DType
    public let shape: [Int]

    public init(name: String, dtype: DType, shape: [Int]) {
        self.name = name
        self.dtype = dtype
        self.shape = shape
    }

    /// Bytes of data.
    public var byteCount: Int { shape.reduce(dtype.size, *) }
}
