#define _GNU_SOURCE
#include <fcntl.h>
#include <stdio.h>
#include "CSystemShims.h"

int retaind_rename_noreplace(const char *from, const char *to) {
    return renameat2(AT_FDCWD, from, AT_FDCWD, to, RENAME_NOREPLACE);
}
