// A thin C shim over libphonenumber's C++ API, so Swift can call it without C++ interop.
#include "tamis_phonenumber.h"
#include <phonenumbers/phonenumberutil.h>
#include <phonenumbers/phonenumber.pb.h>
#include <cstring>
#include <string>

using i18n::phonenumbers::PhoneNumber;
using i18n::phonenumbers::PhoneNumberUtil;

int tamis_phone_parse(const char *text, const char *region, char *e164, size_t e164_size, int *type) {
    const PhoneNumberUtil *util = PhoneNumberUtil::GetInstance();
    PhoneNumber number;
    if (util->Parse(std::string(text), std::string(region), &number) != PhoneNumberUtil::NO_PARSING_ERROR) return 0;
    // GetNumberType is UNKNOWN exactly when IsValidNumber is false: both find the number's
    // region and match its national number against the region's type patterns (the costly
    // part), so asking for the type alone does that work once instead of twice.
    const PhoneNumberUtil::PhoneNumberType number_type = util->GetNumberType(number);
    if (number_type == PhoneNumberUtil::UNKNOWN) return 0;
    std::string formatted;
    util->Format(number, PhoneNumberUtil::E164, &formatted);
    if (formatted.size() + 1 > e164_size) return 0;
    std::memcpy(e164, formatted.c_str(), formatted.size() + 1);
    switch (number_type) {
        case PhoneNumberUtil::FIXED_LINE: *type = TAMIS_PHONE_FIXED; break;
        case PhoneNumberUtil::MOBILE: *type = TAMIS_PHONE_MOBILE; break;
        case PhoneNumberUtil::FIXED_LINE_OR_MOBILE: *type = TAMIS_PHONE_FIXED; break;
        case PhoneNumberUtil::VOIP: *type = TAMIS_PHONE_VOIP; break;
        case PhoneNumberUtil::TOLL_FREE:
        case PhoneNumberUtil::PREMIUM_RATE:
        case PhoneNumberUtil::SHARED_COST:
        case PhoneNumberUtil::UAN:
        case PhoneNumberUtil::VOICEMAIL:
        case PhoneNumberUtil::PERSONAL_NUMBER:
        case PhoneNumberUtil::PAGER: *type = TAMIS_PHONE_SPECIAL; break;
        default: *type = TAMIS_PHONE_UNKNOWN; break;
    }
    return 1;
}
