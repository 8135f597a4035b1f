import CFuzzerDriver
import SafeTensors

/// Feeds each input to the full in-memory file validation. A crash, a sanitizer report
/// or a broken invariant on an accepted header is a finding; a thrown error is the
/// expected outcome for garbage.
@_cdecl("LLVMFuzzerTestOneInput")
func fuzzOne(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
    let bytes = UnsafeRawBufferPointer(start: data, count: size)
    guard let header = try? SafeTensorsHeader.parse(file: bytes) else { return 0 }
    // Accepted: tensors must tile the data section exactly and sizes must agree.
    var end = 0
    for tensor in header.tensors {
        precondition(tensor.dataRange.lowerBound == end, "accepted a header whose tensors do not tile the data")
        precondition(tensor.byteCount == tensor.shape.reduce(tensor.dtype.size, *), "accepted a size mismatch")
        end = tensor.dataRange.upperBound
    }
    precondition(8 + (size - 8 - end) <= size, "data section arithmetic")
    return 0
}

/// SwiftPM links the executable's `main` to this symbol; libFuzzer's own `main`, where
/// the runtime brings one, calls `LLVMFuzzerTestOneInput` directly.
@_cdecl("HeaderFuzzer_main")
func fuzzerMain(_ argc: Int32, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> Int32 {
    var count = argc
    var arguments = argv
    return LLVMFuzzerRunDriver(&count, &arguments) { data, size in fuzzOne(data, size) }
}
