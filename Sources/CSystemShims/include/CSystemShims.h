#ifndef RETAIND_CSYSTEMSHIMS_H
#define RETAIND_CSYSTEMSHIMS_H

/// rename(2) that fails with EEXIST instead of replacing an existing destination
/// (renameat2 with RENAME_NOREPLACE; Swift's Glibc module does not export renameat2).
int retaind_rename_noreplace(const char *from, const char *to);

#endif
