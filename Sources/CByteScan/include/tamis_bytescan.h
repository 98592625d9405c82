#ifndef TAMIS_BYTESCAN_H
#define TAMIS_BYTESCAN_H

#include <stddef.h>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

/// Whether `bytes` hold a control character (below 0x20), two spaces in a row, or a byte
/// that may start a no-break space (C2, E2): the normaliser's "is this row clean already"
/// test, run on every byte of every record. Sixteen bytes per step with SSE2 (Swift's SIMD
/// types compiled to scalar code here: twelve times the instructions); returns -1 where SSE2
/// is not available, and the caller scans in Swift.
static inline int tamis_may_hold_white_space_to_collapse(const unsigned char *bytes, size_t count) {
#if defined(__SSE2__)
    const __m128i below = _mm_set1_epi8(0x1F), space = _mm_set1_epi8(0x20);
    const __m128i c2 = _mm_set1_epi8((char)0xC2), fold = _mm_set1_epi8((char)0xDF);
    size_t i = 0;
    unsigned previousSpace = 0;  // 1 when the byte before `i` is a space
    while (i + 16 <= count) {
        __m128i x = _mm_loadu_si128((const __m128i *)(bytes + i));
        // Unsigned x < 0x20 exactly when min(x, 0x1F) == x; C2 and E2 differ only by bit 5.
        __m128i control = _mm_cmpeq_epi8(_mm_min_epu8(x, below), x);
        __m128i lead = _mm_cmpeq_epi8(_mm_and_si128(x, fold), c2);
        unsigned flagged = (unsigned)_mm_movemask_epi8(_mm_or_si128(control, lead));
        unsigned spaces = (unsigned)_mm_movemask_epi8(_mm_cmpeq_epi8(x, space));
        if (flagged | (spaces & ((spaces << 1) | previousSpace))) return 1;
        previousSpace = (spaces >> 15) & 1;
        i += 16;
    }
    for (; i < count; i++) {
        unsigned char b = bytes[i];
        if (b < 0x20 || b == 0xC2 || b == 0xE2 || (b == 0x20 && previousSpace)) return 1;
        previousSpace = b == 0x20;
    }
    return 0;
#else
    (void)bytes;
    (void)count;
    return -1;
#endif
}

#endif
