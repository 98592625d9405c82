import CPhoneNumber
import TamisCore

/// Google's libphonenumber as Tamis's `PhoneReference`: used for foreign numbers and the
/// French ranges the fast path leaves aside, and by the differential test that proves the fast
/// path agrees with it. About 11 µs a number here, hence the fast path for the common case.
public struct LibPhoneNumber: PhoneReference {
    public init() {}

    public func parse(_ text: String, defaultRegion: String) -> (e164: String, type: PhoneType)? {
        var buffer = [CChar](repeating: 0, count: 32)
        var type: Int32 = 0
        let ok = tamis_phone_parse(text, defaultRegion, &buffer, buffer.count, &type)
        guard ok == 1 else { return nil }
        let e164 = buffer.withUnsafeBufferPointer { String(cString: $0.baseAddress!) }
        let kind: PhoneType
        switch UInt32(type) {
        case TAMIS_PHONE_FIXED.rawValue: kind = .fixed
        case TAMIS_PHONE_MOBILE.rawValue: kind = .mobile
        case TAMIS_PHONE_VOIP.rawValue: kind = .voip
        case TAMIS_PHONE_SPECIAL.rawValue: kind = .special
        default: kind = .unknown
        }
        return (e164, kind)
    }
}
