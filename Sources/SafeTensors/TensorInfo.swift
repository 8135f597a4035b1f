/// One tensor's entry in a safetensors header, validated.
public struct TensorInfo: Sendable, Equatable {
    public let name: String
    public let dtype: DType
    /// Dimensions, outermost first (PyTorch order).
    public let shape: [Int]
    /// Byte range of the data, relative to the start of the data section.
    public let dataRange: Range<Int>

    public init(name: String, dtype: DType, shape: [Int], dataRange: Range<Int>) {
        self.name = name
        self.dtype = dtype
        self.shape = shape
        self.dataRange = dataRange
    }

    /// Number of elements (1 for a scalar).
    public var elementCount: Int { shape.reduce(1, *) }

    /// Bytes of data.
    public var byteCount: Int { dataRange.count }

    /// The shape as the fingerprint and messages spell it: `576,1536`, empty for a scalar.
    public var shapeText: String { shape.map(String.init).joined(separator: ",") }
}
