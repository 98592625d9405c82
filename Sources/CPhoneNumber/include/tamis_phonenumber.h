#ifndef TAMIS_PHONENUMBER_H
#define TAMIS_PHONENUMBER_H
#include <stddef.h>
#ifdef __cplusplus
extern "C" {
#endif

/// Number types, as Tamis names them.
enum tamis_phone_type {
    TAMIS_PHONE_UNKNOWN = 0,
    TAMIS_PHONE_FIXED = 1,
    TAMIS_PHONE_MOBILE = 2,
    TAMIS_PHONE_VOIP = 3,
    TAMIS_PHONE_SPECIAL = 4,
};

/// Parses `text` with Google's libphonenumber, `region` (e.g. "FR") for national numbers.
/// Returns 1 and writes the E.164 form (NUL-terminated) and the type when the number is
/// valid; 0 when it cannot be parsed or is not a valid number.
int tamis_phone_parse(const char *text, const char *region, char *e164, size_t e164_size, int *type);

#ifdef __cplusplus
}
#endif
#endif
