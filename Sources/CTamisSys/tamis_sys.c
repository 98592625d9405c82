#define _GNU_SOURCE
#include "tamis_sys.h"
#include <errno.h>
#include <stdio.h>
#include <fcntl.h>
#include <sqlite3.h>
#if defined(__linux__)
#include <sys/syscall.h>
#include <unistd.h>
#ifndef RENAME_EXCHANGE
#define RENAME_EXCHANGE (1 << 1)
#endif
int tamis_exchange_paths(const char *a, const char *b) {
    return (int)syscall(SYS_renameat2, AT_FDCWD, a, AT_FDCWD, b, RENAME_EXCHANGE);
}
long tamis_copy_file_range(int from, long long from_offset, int to, long long to_offset, long length) {
    off64_t in = from_offset, out = to_offset;
    return (long)copy_file_range(from, &in, to, &out, (size_t)length, 0);
}
#else
long tamis_copy_file_range(int from, long long from_offset, int to, long long to_offset, long length) {
    (void)from; (void)from_offset; (void)to; (void)to_offset; (void)length; errno = ENOSYS; return -1;
}
int tamis_exchange_paths(const char *a, const char *b) {
    (void)a; (void)b; errno = ENOSYS; return -1;
}
#endif

int tamis_sqlite_configure(void) {
    int threading = sqlite3_config(SQLITE_CONFIG_MULTITHREAD);
    int memstatus = sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);
    return threading != SQLITE_OK ? threading : memstatus;
}

#if defined(__GLIBC__)
#include <malloc.h>
int tamis_release_free_memory(void) { return malloc_trim(0); }
#else
int tamis_release_free_memory(void) { return 0; }
#endif
