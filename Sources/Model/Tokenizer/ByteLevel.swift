/// GPT-2's reversible byte ↔ printable-character map used by byte-level BPE: printable
/// Latin-1 bytes map to themselves, the rest to U+0100 upwards.
enum ByteLevel {
    /// The character each byte is written as.
    static let characters: [Character] = {
        var printable = Array(UInt8(ascii: "!")...UInt8(ascii: "~")) + Array(0xA1...0xAC) + Array(0xAE...0xFF)
        var map = [Character](repeating: " ", count: 256)
        var next: UInt32 = 256
        for byte in 0...255 {
            if let _ = printable.firstIndex(of: UInt8(byte)) {
                map[byte] = Character(Unicode.Scalar(UInt32(byte))!)
            } else {
                map[byte] = Character(Unicode.Scalar(next)!)
                next += 1
            }
        }
        printable.removeAll()
        return map
    }()

    /// `text`'s UTF-8 bytes, each as its character.
    static func encode(_ text: Substring) -> [Character] {
        text.utf8.map { characters[Int($0)] }
    }
}
