#define _GNU_SOURCE
#include <fcntl.h>
#include <stdio.h>
#include "CSystemShims.h"

int retaind_rename_noreplace(const char *from, const char *to) {
    return renameat2(AT_FDCWD, from, AT_FDCWD, to, RENAME_NOREPLACE);
}

int retaind_start_writeback(int fd, long long offset, long long length) {
    return sync_file_range(fd, offset, length, SYNC_FILE_RANGE_WRITE);
}
