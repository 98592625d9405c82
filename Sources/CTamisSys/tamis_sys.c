#define _GNU_SOURCE
#include "tamis_sys.h"
#include <errno.h>
#include <stdio.h>
#include <fcntl.h>
#if defined(__linux__)
#include <sys/syscall.h>
#include <unistd.h>
#ifndef RENAME_EXCHANGE
#define RENAME_EXCHANGE (1 << 1)
#endif
int tamis_exchange_paths(const char *a, const char *b) {
    return (int)syscall(SYS_renameat2, AT_FDCWD, a, AT_FDCWD, b, RENAME_EXCHANGE);
}
#else
int tamis_exchange_paths(const char *a, const char *b) {
    (void)a; (void)b; errno = ENOSYS; return -1;
}
#endif
