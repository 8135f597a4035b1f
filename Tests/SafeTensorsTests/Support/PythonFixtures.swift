import Foundation
import TestSupport

/// Runs `tools/testing/st_fixtures.py`: the Python `safetensors` package as the
/// independent implementation the round-trip tests compare against.
enum PythonFixtures {
    /// Runs the script with `arguments` and returns its standard output.
    @discardableResult
    static func run(_ arguments: [String]) throws -> Data {
        try PythonScript.run("tools/testing/st_fixtures.py", arguments)
    }

    /// Expected tensors as the script prints them: name → (shape, values).
    struct Tensor: Decodable {
        let shape: [Int]
        let values: [Double]
    }

    static func decode<T: Decodable>(_ type: T.Type, from data: Data) throws -> T {
        try PythonScript.decode(type, from: data)
    }
}
