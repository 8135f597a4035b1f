#if canImport(Glibc)
import Glibc
#endif

/// Which file a path names (device and inode): a database deleted or replaced under an
/// open connection keeps the old inode, so comparing tells the daemon its writes would
/// be lost.
struct FileIdentity: Equatable, Sendable {
    let device: UInt64
    let inode: UInt64

    /// The file at `path` now, or nil when there is none.
    init?(path: String) {
        var info = stat()
        guard stat(path, &info) == 0 else { return nil }
        device = UInt64(info.st_dev)
        inode = UInt64(info.st_ino)
    }
}
