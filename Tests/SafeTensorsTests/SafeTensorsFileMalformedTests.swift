import Testing
@testable import SafeTensors

/// Every class of malformed file is a typed error naming the file, never a crash.
@Suite struct SafeTensorsFileMalformedTests {
    typealias Reason = SafeTensorsError.Reason

    struct Case: CustomTestStringConvertible, Sendable {
        let label: String
        let bytes: [UInt8]
        let expect: @Sendable (Reason) -> Bool
        var testDescription: String { label }
    }

    static let four = [UInt8](repeating: 0, count: 4)
    static let e = SafeTensorsBytes.entry

    static func exact(_ reason: Reason) -> @Sendable (Reason) -> Bool { { $0 == reason } }
    static func json(_ check: @escaping @Sendable (JSONError.Kind) -> Bool) -> @Sendable (Reason) -> Bool {
        { if case .invalidJSON(let error) = $0 { return check(error.kind) } else { return false } }
    }

    static let cases: [Case] = [
        Case(label: "file shorter than the length prefix", bytes: [1, 2, 3], expect: exact(.fileTooSmall(size: 3))),
        Case(label: "header length over 100 MB", bytes: SafeTensorsBytes.file(header: "{}", declaredLength: 100_000_001),
             expect: exact(.headerTooLarge(length: 100_000_001, limit: 100_000_000))),
        Case(label: "header length past end of file", bytes: SafeTensorsBytes.file(header: "{}", declaredLength: 50),
             expect: exact(.headerBeyondFile(length: 50, fileSize: 10))),
        Case(label: "header not starting with {", bytes: SafeTensorsBytes.file(header: " {}"), expect: exact(.headerNotJSONObject)),
        Case(label: "header that is a JSON array", bytes: SafeTensorsBytes.file(header: "[]"), expect: exact(.headerNotJSONObject)),
        Case(label: "invalid UTF-8 in a key", bytes: SafeTensorsBytes.file(headerBytes: Array("{\"a".utf8) + [0xFF, 0xFE] + Array("\":1}".utf8)),
             expect: json { if case .syntax(let s) = $0 { s.contains("UTF-8") } else { false } }),
        Case(label: "truncated JSON", bytes: SafeTensorsBytes.file(header: "{\"w\":{\"dtype\":\"F32\""),
             expect: json { if case .syntax = $0 { true } else { false } }),
        Case(label: "100 000-deep nesting", bytes: SafeTensorsBytes.file(header: "{\"a\":" + String(repeating: "[", count: 100_000) + String(repeating: "]", count: 100_000) + "}"),
             expect: json { $0 == .tooDeep(limit: JSONParser.defaultMaxDepth) }),
        Case(label: "__metadata__ not an object", bytes: SafeTensorsBytes.file(header: "{\"__metadata__\":[1]}"),
             expect: exact(.invalidMetadata(key: "__metadata__", detail: "is an array, not an object"))),
        Case(label: "__metadata__ value not a string", bytes: SafeTensorsBytes.file(header: "{\"__metadata__\":{\"format\":3}}"),
             expect: exact(.invalidMetadata(key: "format", detail: "value is a number, not a string"))),
        Case(label: "tensor entry not an object", bytes: SafeTensorsBytes.file(header: "{\"w\":7}"),
             expect: exact(.invalidTensorEntry(tensor: "w", detail: "entry is a number, not an object"))),
        Case(label: "tensor without dtype", bytes: SafeTensorsBytes.file(header: "{\"w\":{\"shape\":[1],\"data_offsets\":[0,4]}}", data: four),
             expect: exact(.invalidTensorEntry(tensor: "w", detail: "missing \"dtype\""))),
        Case(label: "unknown dtype", bytes: SafeTensorsBytes.file(header: "{" + e("w", "F12", [1], (0, 4)) + "}", data: four),
             expect: exact(.unknownDType(tensor: "w", dtype: "F12"))),
        Case(label: "negative dimension", bytes: SafeTensorsBytes.file(header: "{" + e("w", "F32", [-1], (0, 4)) + "}", data: four),
             expect: { if case .invalidTensorEntry(tensor: "w", _) = $0 { true } else { false } }),
        Case(label: "shape whose byte size overflows", bytes: SafeTensorsBytes.file(header: "{" + e("w", "F32", [1 << 40, 1 << 30], (0, 4)) + "}", data: four),
             expect: exact(.shapeOverflow(tensor: "w"))),
        Case(label: "data_offsets with three numbers", bytes: SafeTensorsBytes.file(header: "{\"w\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4,8]}}", data: four),
             expect: exact(.invalidTensorEntry(tensor: "w", detail: "\"data_offsets\" must be an array of two integers"))),
        Case(label: "begin after end", bytes: SafeTensorsBytes.file(header: "{" + e("w", "F32", [0], (4, 0)) + "}", data: four),
             expect: exact(.invalidOffsets(tensor: "w", begin: 4, end: 0))),
        Case(label: "shape × dtype size differs from the byte range", bytes: SafeTensorsBytes.file(header: "{" + e("w", "F32", [2], (0, 4)) + "}", data: four),
             expect: exact(.sizeMismatch(tensor: "w", expectedBytes: 8, actualBytes: 4))),
        Case(label: "first tensor not at offset 0", bytes: SafeTensorsBytes.file(header: "{" + e("w", "F32", [1], (4, 8)) + "}", data: four + four),
             expect: exact(.notContiguous(tensor: "w", expectedBegin: 0, actualBegin: 4))),
        Case(label: "gap between tensors", bytes: SafeTensorsBytes.file(header: "{" + e("a", "F32", [1], (0, 4)) + "," + e("b", "F32", [1], (8, 12)) + "}", data: four + four + four),
             expect: exact(.notContiguous(tensor: "b", expectedBegin: 4, actualBegin: 8))),
        Case(label: "overlapping tensors", bytes: SafeTensorsBytes.file(header: "{" + e("a", "F32", [2], (0, 8)) + "," + e("b", "F32", [1], (4, 8)) + "}", data: four + four),
             expect: exact(.notContiguous(tensor: "b", expectedBegin: 8, actualBegin: 4))),
        Case(label: "trailing bytes after the last tensor", bytes: SafeTensorsBytes.file(header: "{" + e("w", "F32", [1], (0, 4)) + "}", data: four + four),
             expect: exact(.dataSizeMismatch(dataEnd: 4, dataSize: 8))),
        Case(label: "data truncated", bytes: SafeTensorsBytes.file(header: "{" + e("w", "F32", [2], (0, 8)) + "}", data: four),
             expect: exact(.dataSizeMismatch(dataEnd: 8, dataSize: 4))),
        Case(label: "duplicate tensor name", bytes: SafeTensorsBytes.file(header: "{" + e("w", "F32", [1], (0, 4)) + "," + e("w", "F32", [1], (4, 8)) + "}", data: four + four),
             expect: exact(.duplicateTensor(tensor: "w"))),
        Case(label: "offset beyond 64-bit Int", bytes: SafeTensorsBytes.file(header: "{\"w\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,99999999999999999999]}}", data: four),
             expect: exact(.invalidTensorEntry(tensor: "w", detail: "\"data_offsets\" must hold non-negative integers"))),
        Case(label: "fractional dimension", bytes: SafeTensorsBytes.file(header: "{\"w\":{\"dtype\":\"F32\",\"shape\":[1.5],\"data_offsets\":[0,4]}}", data: four),
             expect: { if case .invalidTensorEntry(tensor: "w", _) = $0 { true } else { false } }),
    ]

    @Test(arguments: cases)
    func malformedFile_isRejectedWithTypedError(_ c: Case) throws {
        let dir = try TemporaryDirectory()
        try dir.write("bad.safetensors", bytes: c.bytes)
        let error = #expect(throws: SafeTensorsError.self) { try SafeTensorsFile(path: dir.file("bad.safetensors")) }
        let reason = try #require(error?.reason)
        #expect(c.expect(reason), "got \(reason)")
        #expect(error?.path == dir.file("bad.safetensors"))
        #expect(error?.description.hasPrefix(dir.file("bad.safetensors") + ": ") == true)
    }

    @Test func missingFile_isSystemErrorNamingIt() throws {
        let error = #expect(throws: SafeTensorsError.self) { try SafeTensorsFile(path: "/nonexistent/x.safetensors") }
        #expect(error?.reason == .system(operation: "open", errno: 2))
        #expect(error?.description.contains("No such file") == true)
    }

    @Test func paddedHeaderAndEmptyTensors_areAccepted() throws {
        // The reference writer pads the header with spaces; zero-size tensors share offsets.
        let header = "{" + Self.e("empty", "F32", [0, 3], (0, 0)) + "," + Self.e("w", "BF16", [2], (0, 4)) + "}    "
        let dir = try TemporaryDirectory()
        try dir.write("ok.safetensors", bytes: SafeTensorsBytes.file(header: header, data: [0x80, 0x3F, 0x00, 0xC0]))
        let file = try SafeTensorsFile(path: dir.file("ok.safetensors"))
        #expect(file.tensors.map(\.name) == ["empty", "w"])
        #expect(try file.float32Array(file.requireTensor("w")) == [1.0, -2.0])
        #expect(try file.float32Array(file.requireTensor("empty")) == [])
    }

    @Test func integerTensor_isRefusedAsNumbers() throws {
        let dir = try TemporaryDirectory()
        try dir.write("i.safetensors", bytes: SafeTensorsBytes.file(header: "{" + Self.e("ids", "I32", [1], (0, 4)) + "}", data: Self.four))
        let file = try SafeTensorsFile(path: dir.file("i.safetensors"))
        #expect(throws: SafeTensorsError(path: file.path, reason: .unsupportedDType(tensor: "ids", dtype: .i32))) {
            try file.float32Array(file.requireTensor("ids"))
        }
    }
}
