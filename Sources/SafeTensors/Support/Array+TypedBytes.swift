extension Array {
    /// `withUnsafeBytes` that keeps a typed error (the standard one only rethrows `any Error`).
    func withBytes<R, E: Error>(_ body: (UnsafeRawBufferPointer) throws(E) -> R) throws(E) -> R {
        let result: Result<R, E> = withUnsafeBytes { raw in Result { () throws(E) in try body(raw) } }
        return try result.get()
    }

    /// `withUnsafeMutableBufferPointer` that keeps a typed error.
    mutating func withMutableBuffer<R, E: Error>(_ body: (UnsafeMutableBufferPointer<Element>) throws(E) -> R) throws(E) -> R {
        let result: Result<R, E> = withUnsafeMutableBufferPointer { buffer in Result { () throws(E) in try body(buffer) } }
        return try result.get()
    }
}
