#ifndef RETAIND_CSYSTEMSHIMS_H
#define RETAIND_CSYSTEMSHIMS_H

/// rename(2) that fails with EEXIST instead of replacing an existing destination
/// (renameat2 with RENAME_NOREPLACE; Swift's Glibc module does not export renameat2).
int retaind_rename_noreplace(const char *from, const char *to);

/// Starts writeback of a file range without waiting for it (sync_file_range with
/// SYNC_FILE_RANGE_WRITE), so a final fsync has little left to flush.
int retaind_start_writeback(int fd, long long offset, long long length);

/// Sets the calling thread's nice value (Linux: setpriority on its thread id) and
/// returns the previous one, so a background thread can yield its core to the BLAS
/// threads and restore its priority before going back to a shared pool.
int retaind_set_thread_nice(int nice);

#endif
