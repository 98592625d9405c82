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

extension LibPhoneNumber {
    /// libphonenumber's verdict on the overseas sub-block `prefix6` (six digits of the national
    /// significant number), read in `form`: asked with each of `endings` (three digits each);
    /// `.ask` when they disagree.
    public func verdict(_ form: OverseasPhoneBlocks.Form, prefix6: Int, endings: [String]) -> OverseasPhoneBlocks.Verdict {
        let prefix = String(prefix6)
        let region = FrenchPhone.overseasRegion("0" + prefix.prefix(3)) ?? "FR"
        var answer: OverseasPhoneBlocks.Verdict?
        for ending in endings {
            let nsn = prefix + ending
            let parsed = form == .national ? parse("0" + nsn, defaultRegion: region) : parse("+33" + nsn, defaultRegion: "FR")
            var this = OverseasPhoneBlocks.Verdict.invalid
            if let parsed {
                // "+", the country code, the nine digits: anything else is left to the library.
                guard parsed.e164.hasSuffix(nsn), let code = Int(parsed.e164.dropFirst().dropLast(nsn.count)) else { return .ask }
                this = .valid(parsed.type, countryCode: code)
            }
            if let answer, answer != this { return .ask }
            answer = this
        }
        return answer ?? .ask
    }
}

/// `data/refdata/phone_overseas_blocks.csv`: `OverseasPhoneBlocks` as ranges of six-digit
/// prefixes with one verdict (`form,from,to,verdict,country_code`).
public enum OverseasPhoneBlocksFile {
    public static let name = "phone_overseas_blocks.csv"
    public static let header = "form,from,to,verdict,country_code"

    /// The table made from the installed libphonenumber (`tamis-bench phone-blocks`): every
    /// prefix of every block, in both forms, asked with four endings.
    public static func make(_ library: LibPhoneNumber = LibPhoneNumber()) -> String {
        var lines = [header]
        for form in OverseasPhoneBlocks.Form.allCases {
            for block in OverseasPhoneBlocks.blocks {
                let verdicts = (0..<1000).map { library.verdict(form, prefix6: block * 1000 + $0, endings: endings) }
                var start = 0
                for next in 1...1000 where next == 1000 || verdicts[next] != verdicts[start] {
                    lines.append(line(form, block * 1000 + start, block * 1000 + next - 1, verdicts[start]))
                    start = next
                }
            }
        }
        return lines.joined(separator: "\n") + "\n"
    }

    /// The endings the table is made with (the test asks with others).
    static let endings = ["000", "999", "350", "671"]

    static func line(_ form: OverseasPhoneBlocks.Form, _ from: Int, _ to: Int, _ verdict: OverseasPhoneBlocks.Verdict) -> String {
        switch verdict {
        case .ask: return "\(form.name),\(from),\(to),ask,"
        case .invalid: return "\(form.name),\(from),\(to),invalid,"
        case .valid(let type, let code): return "\(form.name),\(from),\(to),\(type.rawValue),\(code)"
        }
    }

    /// Reads the table's rows (as `ReferenceDataLoader.table` gives them); throws on a row it
    /// cannot use, naming it.
    public static func read(_ rows: [[String: String]], path: String) throws -> OverseasPhoneBlocks {
        var table = OverseasPhoneBlocks()
        for (n, row) in rows.enumerated() {
            let form = OverseasPhoneBlocks.Form.allCases.first { $0.name == row["form"] }
            let verdict: OverseasPhoneBlocks.Verdict?
            switch row["verdict"] ?? "" {
            case "ask": verdict = .ask
            case "invalid": verdict = .invalid
            case let name: verdict = PhoneType(rawValue: name).flatMap { type in Int(row["country_code"] ?? "").map { .valid(type, countryCode: $0) } }
            }
            guard let form, let verdict, let from = Int(row["from"] ?? ""), let to = Int(row["to"] ?? ""),
                  table.set(form, from: from, to: to, verdict) else {
                throw InputError(file: path, line: n + 2, problem: "not a phone sub-block row (\(header))",
                                 hint: "make the file again with `tamis-bench phone-blocks`, or delete it (libphonenumber then answers for every overseas number)")
            }
        }
        return table
    }
}
