// Read + convert BF16 → F32 over a checkpoint, the way every retaind pass reads
// weights: mmap, widen tensor by tensor into one reused buffer, release the pages.
// Prints GB/s of input, a memcpy bandwidth measured in the same process for scale, and
// peak RSS. Usage: ConvertBenchmark FILE.safetensors [passes]
import Foundation
import SafeTensors

func now() -> Double {
    var ts = timespec()
    clock_gettime(CLOCK_MONOTONIC, &ts)
    return Double(ts.tv_sec) + Double(ts.tv_nsec) * 1e-9
}

func peakRSSMiB() -> Double {
    var usage = rusage()
    getrusage(__rusage_who_t(RUSAGE_SELF.rawValue), &usage)
    return Double(usage.ru_maxrss) / 1024
}

/// One pass: every tensor converted in chunks of `chunk` elements; returns a checksum.
func convertPass(_ file: SafeTensorsFile, buffer: UnsafeMutableBufferPointer<Float>) throws -> Double {
    var checksum: Float = 0
    for tensor in file.tensors {
        var start = 0
        let count = tensor.elementCount
        while start < count {
            let n = min(buffer.count, count - start)
            let out = UnsafeMutableBufferPointer(rebasing: buffer[0..<n])
            try file.readFloat32(tensor, elements: start..<(start + n), into: out)
            checksum += out[n / 2]
            start += n
        }
        file.release(tensor)
    }
    return Double(checksum)
}

/// memcpy bandwidth (bytes copied per second) over 256 MiB, best of 5. The copy is
/// read back afterwards so the optimiser cannot drop it.
func memcpyGBps() -> Double {
    let bytes = 256 << 20
    let src = UnsafeMutableRawPointer.allocate(byteCount: bytes, alignment: 64)
    let dst = UnsafeMutableRawPointer.allocate(byteCount: bytes, alignment: 64)
    defer { src.deallocate(); dst.deallocate() }
    memset(src, 1, bytes)
    memset(dst, 0, bytes)
    var best = 0.0
    var sink: UInt8 = 0
    for pass in 0..<5 {
        src.storeBytes(of: UInt8(pass), toByteOffset: pass * 4096, as: UInt8.self)
        let t0 = now()
        memcpy(dst, src, bytes)
        let seconds = now() - t0
        sink &+= dst.load(fromByteOffset: pass * 4096, as: UInt8.self)
        best = max(best, Double(bytes) / seconds / 1e9)
    }
    if sink == 255 { print("") }
    return best
}

let arguments = CommandLine.arguments
guard arguments.count >= 2 else {
    print("usage: ConvertBenchmark FILE.safetensors [passes]")
    exit(64)
}
let passes = arguments.count > 2 ? Int(arguments[2]) ?? 3 : 3
let file = try SafeTensorsFile(path: arguments[1])
let inputBytes = file.tensors.reduce(0) { $0 + $1.byteCount }
let chunk = 256 << 10  // 1 MiB of F32 output, reused: conversion streams through cache
let buffer = UnsafeMutableBufferPointer<Float>.allocate(capacity: chunk)
buffer.initialize(repeating: 0)
var rates: [Double] = []
var checksum = 0.0
for _ in 0..<passes {
    let t0 = now()
    checksum += try convertPass(file, buffer: buffer)
    rates.append(Double(inputBytes) / (now() - t0) / 1e9)
}
let peakRSS = peakRSSMiB()  // before the memcpy probe allocates its own buffers
let bandwidth = memcpyGBps()
let best = rates.max()!
let median = rates.sorted()[rates.count / 2]
let result: [String: Any] = [
    "impl": "swift", "input_bytes": inputBytes, "passes": passes,
    "best_gbps": best, "median_gbps": median, "memcpy_gbps": bandwidth,
    "peak_rss_mib": peakRSS, "checksum": checksum,
]
let json = try JSONSerialization.data(withJSONObject: result, options: [.sortedKeys])
print(String(decoding: json, as: UTF8.self))
