/// What libphonenumber answers for numbers of the overseas blocks that keep a 0-prefixed
/// national form (0262, 0590, 0690…), sub-block by sub-block: which are allocated, and to what
/// type. Only libphonenumber knows this (the ARCEP plan gives the blocks, not which of their
/// sub-blocks are in use), and it costs about 160,000 instructions a number; read from this
/// table, the same answer costs a few hundred.
///
/// The table (`data/refdata/phone_overseas_blocks.csv`) is made from the installed
/// libphonenumber by `tamis-bench phone-blocks`, which asks it about every six-digit prefix of
/// the national significant number with several endings; a prefix whose endings disagree is
/// marked `ask` and still goes to libphonenumber. A test checks the table against the library
/// on every prefix, so a library update that moves a sub-block is caught.
///
/// Two readings, as the fast path meets them: a national number ("0590 12 34 56") is read in
/// its territory; one written with +33 ("+33 590 12 34 56") is read as France's.
public struct OverseasPhoneBlocks: Sendable {
    public enum Form: Int, Sendable, CaseIterable {
        case national = 0, international = 1

        public var name: String { self == .national ? "national" : "+33" }
    }

    /// libphonenumber's answer for a sub-block.
    public enum Verdict: Equatable, Sendable {
        /// Not in the table, or its endings disagree: ask libphonenumber.
        case ask
        case invalid
        /// Valid, of this type, with this E.164 country code.
        case valid(PhoneType, countryCode: Int)
    }

    /// The three-digit blocks of the national significant number that the table covers.
    public static let blocks = [262, 263, 269, 590, 594, 596, 639, 690, 691, 692, 693, 694, 696, 697]

    /// Per form, per block, per next three digits: 0 ask, 1 invalid, else `types` index + 2.
    private var codes: [UInt8]
    private var countryCodes: [UInt16]
    static let types: [PhoneType] = [.fixed, .mobile, .voip, .special, .unknown]

    /// An empty table: every overseas number goes to libphonenumber.
    public init() {
        codes = []
        countryCodes = []
    }

    public var isEmpty: Bool { codes.isEmpty }

    private static func slot(_ form: Form, _ prefix6: Int) -> Int? {
        guard let block = blocks.firstIndex(of: prefix6 / 1000) else { return nil }
        return (form.rawValue * blocks.count + block) * 1000 + prefix6 % 1000
    }

    /// Records the verdict of the six-digit prefixes `from...to` (within one block).
    public mutating func set(_ form: Form, from: Int, to: Int, _ verdict: Verdict) -> Bool {
        guard from <= to, from / 1000 == to / 1000, let first = OverseasPhoneBlocks.slot(form, from) else { return false }
        if codes.isEmpty {
            codes = [UInt8](repeating: 0, count: Form.allCases.count * OverseasPhoneBlocks.blocks.count * 1000)
            countryCodes = [UInt16](repeating: 0, count: codes.count)
        }
        for slot in first...(first + to - from) {
            switch verdict {
            case .ask: codes[slot] = 0
            case .invalid: codes[slot] = 1
            case .valid(let type, let countryCode):
                guard let index = OverseasPhoneBlocks.types.firstIndex(of: type), (1...999).contains(countryCode) else { return false }
                codes[slot] = UInt8(index + 2)
                countryCodes[slot] = UInt16(countryCode)
            }
        }
        return true
    }

    /// The verdict for a national significant number (nine ASCII digits, the 0 dropped).
    public func verdict(_ form: Form, nsn: some Collection<UInt8>) -> Verdict {
        guard !codes.isEmpty, nsn.count == 9 else { return .ask }
        var prefix6 = 0
        for b in nsn.prefix(6) {
            guard b >= 0x30 && b <= 0x39 else { return .ask }
            prefix6 = prefix6 * 10 + Int(b - 0x30)
        }
        guard let slot = OverseasPhoneBlocks.slot(form, prefix6) else { return .ask }
        switch codes[slot] {
        case 0: return .ask
        case 1: return .invalid
        case let code: return .valid(OverseasPhoneBlocks.types[Int(code) - 2], countryCode: Int(countryCodes[slot]))
        }
    }
}
