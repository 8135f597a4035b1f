import Testing
@testable import SafeTensors

@Suite struct JSONParserTests {
    func parse(_ text: String) throws(JSONError) -> JSONValue { try JSONParser.parse(Array(text.utf8)) }

    @Test func objectMembers_keepFileOrder() throws {
        let value = try parse(#"{"z": 1, "a": [true, null, -0.5e3], "m": "x"}"#)
        let object = try #require(value.object)
        #expect(object.keys == ["z", "a", "m"])
        #expect(object["a"]?.array?.count == 3)
        #expect(object["a"]?.array?[2].double == -500)
    }

    @Test func largeIntegers_keepExactValue() throws {
        // 2^53 + 1 is not representable in Double; offsets must not go through it.
        let value = try parse("[9007199254740993, 18446744073709551615]")
        #expect(value.array?[0].uint64 == 9_007_199_254_740_993)
        #expect(value.array?[1].uint64 == UInt64.max)
    }

    @Test func escapes_decodeToUnicode() throws {
        let value = try parse(#"["a\"b\\c\/d\n", "\u00e9\ud83d\ude00"]"#)
        #expect(value.array?[0].string == "a\"b\\c/d\n")
        #expect(value.array?[1].string == "é😀")
    }

    @Test(arguments: [
        "{\"a\":1,\"a\":2}", "[1,]", "{\"a\" 1}", "01", "1.", "-", "\"\\x\"", "\"\\ud800\"", "tru", "[1] 2", "\"a\u{01}\"", "",
    ])
    func invalidDocuments_areErrors(_ text: String) {
        #expect(throws: JSONError.self) { try parse(text) }
    }

    @Test func duplicateKey_reportsDepth() {
        let error = #expect(throws: JSONError.self) { try parse(#"{"x": {"k": 1, "k": 2}}"#) }
        #expect(error?.kind == .duplicateKey("k", depth: 2))
    }

    @Test func deepNesting_isBoundedNotAStackOverflow() {
        let deep = String(repeating: "[", count: 100_000) + String(repeating: "]", count: 100_000)
        let error = #expect(throws: JSONError.self) { try parse(deep) }
        #expect(error?.kind == .tooDeep(limit: JSONParser.defaultMaxDepth))
        #expect(throws: Never.self) { try parse(String(repeating: "[", count: 64) + String(repeating: "]", count: 64)) }
    }
}
