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
    if (i < count && count >= 16) {
        // The last bytes: the sixteen that end the text, those already read masked out (the
        // byte before the first unread one is in the window, for the double-space test).
        size_t start = i - (count - 16);
        __m128i x = _mm_loadu_si128((const __m128i *)(bytes + count - 16));
        __m128i control = _mm_cmpeq_epi8(_mm_min_epu8(x, below), x);
        __m128i lead = _mm_cmpeq_epi8(_mm_and_si128(x, fold), c2);
        unsigned flagged = (unsigned)_mm_movemask_epi8(_mm_or_si128(control, lead));
        unsigned spaces = (unsigned)_mm_movemask_epi8(_mm_cmpeq_epi8(x, space));
        return ((flagged | (spaces & (spaces << 1))) >> start) != 0;
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

/// The classes of the (at most 64) `bytes` of a company name, one bit per byte: in
/// `separators` a space, parenthesis or comma; in `notPlain` any byte that is neither a
/// separator nor an ASCII letter or digit. Sixteen bytes per step with SSE2; returns 0 where
/// SSE2 is not available or `count` is over 64 (the caller reads the bytes itself), else 1.
static inline int tamis_company_byte_classes(const unsigned char *bytes, size_t count,
                                             unsigned long long *separators, unsigned long long *notPlain) {
#if defined(__SSE2__)
    if (count > 64) return 0;
    unsigned long long seps = 0, other = 0;
    const __m128i space = _mm_set1_epi8(0x20), open = _mm_set1_epi8(0x28), close = _mm_set1_epi8(0x29);
    const __m128i comma = _mm_set1_epi8(0x2C), lowerBit = _mm_set1_epi8(0x20);
    const __m128i a = _mm_set1_epi8(0x61), zero = _mm_set1_epi8(0x30), last25 = _mm_set1_epi8(25), last9 = _mm_set1_epi8(9);
    for (size_t i = 0; i < count; i += 16) {
        __m128i x;
        if (i + 16 <= count) {
            x = _mm_loadu_si128((const __m128i *)(bytes + i));
        } else {
            unsigned char tail[16] = {0};
            for (size_t j = i; j < count; j++) tail[j - i] = bytes[j];
            x = _mm_loadu_si128((const __m128i *)tail);
        }
        __m128i sep = _mm_or_si128(_mm_or_si128(_mm_cmpeq_epi8(x, space), _mm_cmpeq_epi8(x, comma)),
                                   _mm_or_si128(_mm_cmpeq_epi8(x, open), _mm_cmpeq_epi8(x, close)));
        // Unsigned y <= n exactly when min(y, n) == y: letters (either case) and digits.
        __m128i letter = _mm_sub_epi8(_mm_or_si128(x, lowerBit), a);
        __m128i digit = _mm_sub_epi8(x, zero);
        __m128i plain = _mm_or_si128(_mm_cmpeq_epi8(_mm_min_epu8(letter, last25), letter),
                                     _mm_cmpeq_epi8(_mm_min_epu8(digit, last9), digit));
        unsigned long long s = (unsigned)_mm_movemask_epi8(sep), p = (unsigned)_mm_movemask_epi8(plain);
        seps |= s << i;
        other |= (~(s | p) & 0xFFFFull) << i;
    }
    unsigned long long valid = count == 64 ? ~0ull : (1ull << count) - 1;
    *separators = seps & valid;
    *notPlain = other & valid;
    return 1;
#else
    (void)bytes; (void)count; (void)separators; (void)notPlain;
    return 0;
#endif
}

#endif
