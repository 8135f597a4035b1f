#if canImport(Glibc)
import Glibc
#endif
import Foundation

/// The regular files directly inside a checkpoint directory, with the stat fields that
/// change when a file is written or replaced.
///
/// Its ``signature`` keys the cheap "already done" check on restart; ``newestChange``
/// tells how long the directory has been quiet.
struct DirectorySnapshot: Equatable {
    struct Entry: Equatable {
        let name: String
        let size: Int
        let modified: timespec
        let inode: UInt

        static func == (a: Entry, b: Entry) -> Bool {
            a.name == b.name && a.size == b.size && a.inode == b.inode
                && a.modified.tv_sec == b.modified.tv_sec && a.modified.tv_nsec == b.modified.tv_nsec
        }
    }

    let entries: [Entry]
    /// The names of the directories inside it (they tell unreadable layouts apart; they
    /// are not part of ``signature``).
    let directories: [String]

    /// Reads `directory`, or nil when it is gone or not a directory.
    init?(directory: String) {
        guard let dir = opendir(directory) else { return nil }
        defer { closedir(dir) }
        var entries: [Entry] = []
        var directories: [String] = []
        while let entry = readdir(dir) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
            guard name != ".", name != ".." else { continue }
            var info = stat()
            guard fstatat(dirfd(dir), name, &info, 0) == 0 else { continue }
            if (info.st_mode & S_IFMT) == S_IFDIR { directories.append(name) }
            guard (info.st_mode & S_IFMT) == S_IFREG else { continue }
            entries.append(Entry(name: name, size: Int(info.st_size), modified: info.st_mtim, inode: UInt(info.st_ino)))
        }
        self.entries = entries.sorted { $0.name < $1.name }
        self.directories = directories.sorted()
    }

    /// A stable text of every file's name, size, mtime and inode.
    var signature: String {
        entries.map { "\($0.name):\($0.size):\($0.modified.tv_sec).\($0.modified.tv_nsec):\($0.inode)" }.joined(separator: "|")
    }

    /// The latest mtime among the files, as a `Date` (distant past when empty).
    var newestChange: Date {
        let newest = entries.map { Double($0.modified.tv_sec) + Double($0.modified.tv_nsec) / 1e9 }.max()
        return newest.map { Date(timeIntervalSince1970: $0) } ?? .distantPast
    }

    func contains(_ name: String) -> Bool { entries.contains { $0.name == name } }

    /// Whether this is `other` with some files gone and none added or changed.
    func isStrictSubset(of other: DirectorySnapshot) -> Bool {
        entries.count < other.entries.count && entries.allSatisfy { other.entries.contains($0) }
    }

    /// The bytes of the safetensors files: what a pass over the weights reads.
    var weightBytes: Int { entries.filter { $0.name.hasSuffix(".safetensors") }.reduce(0) { $0 + $1.size } }
}
