// Read + convert BF16 → F32 over a checkpoint, the way every retaind pass reads
// weights: `pread` chunk by chunk into a reused staging buffer, widened into one reused
// F32 buffer. `--mmap` measures the alternative on the same file in the same process:
// map the file, widen straight from the mapping, release each tensor's pages (what
// retaind did before; a SIGBUS-guarded mapping costs the same plus a sigsetjmp per
// chunk). Prints GB/s of input, a memcpy bandwidth measured in the same process for
// scale, and peak RSS. Usage: ConvertBenchmark FILE.safetensors [passes] [--mmap]
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

/// One pass: every tensor read (`pread`) and converted in chunks of `buffer.count`
/// elements; returns a checksum.
func convertPass(_ file: SafeTensorsFile, buffer: UnsafeMutableBufferPointer<Float>, staging: UnsafeMutableRawBufferPointer) throws -> Double {
    var checksum: Float = 0
    for tensor in file.tensors {
        var start = 0
        let count = tensor.elementCount
        while start < count {
            let n = min(buffer.count, count - start)
            let out = UnsafeMutableBufferPointer(rebasing: buffer[0..<n])
            try file.readFloat32(tensor, elements: start..<(start + n), into: out, staging: staging)
            checksum += out[n / 2]
            start += n
        }
    }
    return Double(checksum)
}

/// The same pass through a read-only mapping of the file: widen straight from the
/// mapped pages, then drop each tensor's pages (MADV_DONTNEED) as retaind used to.
func mappedPass(_ file: SafeTensorsFile, buffer: UnsafeMutableBufferPointer<Float>) throws -> Double {
    let fd = open(file.path, O_RDONLY)
    guard fd >= 0, let base = mmap(nil, file.fileSize, PROT_READ, MAP_SHARED, fd, 0), base != MAP_FAILED else { throw POSIXError(.EIO) }
    close(fd)
    defer { munmap(base, file.fileSize) }
    let page = Int(sysconf(Int32(_SC_PAGESIZE)))
    var checksum: Float = 0
    for tensor in file.tensors {
        let data = UnsafeRawPointer(base) + file.dataOffset + tensor.dataRange.lowerBound
        let size = tensor.dtype.size
        var start = 0
        let count = tensor.elementCount
        while start < count {
            let n = min(buffer.count, count - start)
            let out = UnsafeMutableBufferPointer(rebasing: buffer[0..<n])
            Float32Conversion.convert(UnsafeRawBufferPointer(start: data + start * size, count: n * size), from: tensor.dtype, into: out)
            checksum += out[n / 2]
            start += n
        }
        let first = (file.dataOffset + tensor.dataRange.lowerBound) / page * page
        let end = file.dataOffset + tensor.dataRange.upperBound
        madvise(base + first, end - first, MADV_DONTNEED)
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
let mapped = arguments.contains("--mmap")
let file = try SafeTensorsFile(path: arguments[1])
let inputBytes = file.tensors.reduce(0) { $0 + $1.byteCount }
let chunk = getenv("CHUNK").flatMap { Int(String(cString: $0)) } ?? (32 << 10)  // F32 elements per chunk (128 KiB), reused; CHUNK=… to try others
let buffer = UnsafeMutableBufferPointer<Float>.allocate(capacity: chunk)
buffer.initialize(repeating: 0)
let staging = UnsafeMutableRawBufferPointer.allocate(byteCount: chunk * 8, alignment: 64)
var rates: [Double] = []
var checksum = 0.0
for _ in 0..<passes {
    let t0 = now()
    checksum += try mapped ? mappedPass(file, buffer: buffer) : convertPass(file, buffer: buffer, staging: staging)
    rates.append(Double(inputBytes) / (now() - t0) / 1e9)
}
let peakRSS = peakRSSMiB()  // before the memcpy probe allocates its own buffers
let bandwidth = memcpyGBps()
let best = rates.max()!
let median = rates.sorted()[rates.count / 2]
let result: [String: Any] = [
    "impl": mapped ? "swift-mmap" : "swift-pread", "input_bytes": inputBytes, "passes": passes,
    "best_gbps": best, "median_gbps": median, "memcpy_gbps": bandwidth,
    "peak_rss_mib": peakRSS, "checksum": checksum,
]
let json = try JSONSerialization.data(withJSONObject: result, options: [.sortedKeys])
print(String(decoding: json, as: UTF8.self))
