#ifndef RETAIND_CSYSTEMSHIMS_H
#define RETAIND_CSYSTEMSHIMS_H

/// rename(2) that fails with EEXIST instead of replacing an existing destination
/// (renameat2 with RENAME_NOREPLACE; Swift's Glibc module does not export renameat2).
int retaind_rename_noreplace(const char *from, const char *to);

/// Starts writeback of a file range without waiting for it (sync_file_range with
/// SYNC_FILE_RANGE_WRITE), so a final fsync has little left to flush.
int retaind_start_writeback(int fd, long long offset, long long length);

#endif
