#ifndef TAMIS_SYS_H
#define TAMIS_SYS_H
/// Atomically exchanges two paths (Linux renameat2 RENAME_EXCHANGE).
/// Returns 0 on success, -1 with errno set otherwise (e.g. EINVAL when the filesystem
/// does not support it; callers fall back to two renames).
int tamis_exchange_paths(const char *a, const char *b);
#endif
