#ifndef TAMIS_PREFETCH_H
#define TAMIS_PREFETCH_H

/// Asks the processor to bring the cache line at `address` in, without waiting for it: the
/// comparison loop reads two records' values at random in tables larger than the caches, and
/// Swift has no prefetch of its own. A hint only: it never faults, whatever the address.
static inline void tamis_prefetch(const void *address) {
    __builtin_prefetch(address, 0, 3);
}

#endif
