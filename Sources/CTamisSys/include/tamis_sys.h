#ifndef TAMIS_SYS_H
#define TAMIS_SYS_H
/// Atomically exchanges two paths (Linux renameat2 RENAME_EXCHANGE).
/// Returns 0 on success, -1 with errno set otherwise (e.g. EINVAL when the filesystem
/// does not support it; callers fall back to two renames).
int tamis_exchange_paths(const char *a, const char *b);
/// Copies `length` bytes between files inside the kernel (Linux copy_file_range): the bytes
/// copied, or -1 with errno set (ENOSYS, EXDEV…: callers fall back to read and write).
long tamis_copy_file_range(int from, long long from_offset, int to, long long to_offset, long length);
/// Sets SQLite's process-wide options before its first use: multi-thread mode (no mutex on
/// each connection and statement call: GRDB and the SIRENE register already use a connection
/// from one thread at a time) and no memory statistics (a global mutex on every allocation).
/// Returns 0 when both were taken; non-zero when SQLite was already initialised (harmless:
/// SQLite keeps its defaults, only slower).
int tamis_sqlite_configure(void);
/// Gives the heap's free pages back to the system (glibc malloc_trim; nothing elsewhere).
/// Returns 1 when memory was released.
int tamis_release_free_memory(void);
#endif
