import Foundation
import Testing
@testable import Linalg

/// Splitting work across threads covers every index exactly once.
@Suite struct ParallelTests {
    @Test(arguments: [0, 1, 5, 1000, 1001])
    func chunks_coverEveryIndexOnce(count: Int) {
        let seen = UnsafeMutableBufferPointer<Int>.allocate(capacity: max(count, 1))
        seen.initialize(repeating: 0)
        defer { seen.deallocate() }
        Parallel.forEachChunk(count, minimumChunk: 1, workers: 4) { range in
            for i in range { seen[i] += 1 }
        }
        #expect(Array(seen.prefix(count)) == [Int](repeating: 1, count: count))
    }
}
