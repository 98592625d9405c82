import Foundation
import TamisCore

/// Person records shaped like the Febrl benchmark (given name, surname, street number,
/// address, suburb, postcode, state, date of birth, social-security id; `cluster` = truth),
/// at any size, for speed measurements of deduplication at a million records: originals and
/// up to five duplicates each (Zipf-like), with Febrl's kinds of damage — typos, missing
/// values, swapped given name and surname, digits off by one.
public struct FebrlStyleGenerator {
    public var records: Int
    public var seed: UInt64
    var rng: SplitMix64

    public init(records: Int, seed: UInt64 = 31) {
        self.records = records
        self.seed = seed
        rng = SplitMix64(seed: seed)
    }

    mutating func int(_ range: ClosedRange<Int>) -> Int { range.lowerBound + Int(rng.next() % UInt64(range.count)) }
    mutating func pick<T>(_ list: [T]) -> T { list[Int(rng.next() % UInt64(list.count))] }
    mutating func chance(_ p: Double) -> Bool { Double(rng.next() % 1_000_000) / 1_000_000 < p }

    static let syllables = ["ka", "ri", "mo", "ta", "li", "an", "el", "jo", "sa", "ne", "be", "ro", "mi", "da", "lu", "ce",
                            "vi", "po", "ha", "ge", "fa", "di", "so", "ma", "no", "te", "wi", "ly", "ar", "en", "ol", "us"]
    static let streetWords = ["street", "road", "avenue", "place", "crescent", "close", "drive", "court", "parade", "circuit"]
    static let states = ["nsw", "vic", "qld", "sa", "wa", "tas", "act", "nt"]

    mutating func word(_ parts: ClosedRange<Int>) -> String {
        (0..<int(parts)).map { _ in pick(FebrlStyleGenerator.syllables) }.joined()
    }

    /// A keying error: a letter (or digit, in a number) dropped, swapped, doubled or replaced.
    mutating func typo(_ s: String) -> String {
        var chars = Array(s)
        guard chars.count > 2 else { return s }
        let alphabet = Array(chars.allSatisfy(\.isNumber) ? "0123456789" : "abcdefghijklmnopqrstuvwxyz")
        let i = int(0...(chars.count - 2))
        switch int(0...3) {
        case 0: chars.remove(at: i)
        case 1: chars.swapAt(i, i + 1)
        case 2: chars.insert(pick(alphabet), at: i)
        default: chars[i] = pick(alphabet)
        }
        return String(chars)
    }

    /// Writes `rec_id,cluster,given_name,surname,street_number,address_1,address_2,suburb,postcode,state,date_of_birth,soc_sec_id`.
    public mutating func write(to path: String) throws -> (records: Int, truePairs: Int) {
        // Name pools with a skewed distribution, as real names have.
        let givenPool = (0..<3000).map { _ in word(2...3) }
        let surnamePool = (0..<20000).map { _ in word(2...4) }
        let suburbPool = (0..<4000).map { _ in word(2...4) }
        var out = "rec_id,cluster,given_name,surname,street_number,address_1,address_2,suburb,postcode,state,date_of_birth,soc_sec_id\n"
        out.reserveCapacity(records * 90)
        var written = 0, entity = 0, truePairs = 0
        while written < records {
            let skew = { (n: Int, r: inout SplitMix64) -> Int in
                let u = Double(r.next() % 1_000_000) / 1_000_000
                return min(n - 1, Int(Double(n) * u * u))
            }
            let original = [givenPool[skew(givenPool.count, &rng)], surnamePool[skew(surnamePool.count, &rng)],
                            String(int(1...300)), "\(word(2...3)) \(pick(FebrlStyleGenerator.streetWords))",
                            chance(0.3) ? word(2...3) : "", suburbPool[skew(suburbPool.count, &rng)],
                            String(int(2000...7999)), pick(FebrlStyleGenerator.states),
                            String(format: "%04d%02d%02d", int(1920...2005), int(1...12), int(1...28)), String(int(1_000_000...9_999_999))]
            let duplicates = min(records - written - 1, [0, 1, 1, 1, 2, 2, 3, 4, 5][int(0...8)])
            let cluster = "rec-\(entity)"
            out += "\(cluster)-org,\(cluster)," + original.joined(separator: ",") + "\n"
            written += 1
            for d in 0..<max(0, duplicates) {
                var r = original
                for _ in 0..<int(1...3) {
                    let field = int(0...9)
                    switch int(0...4) {
                    case 0: r[field] = ""                                   // missing
                    case 1: if field == 0 || field == 1 { r.swapAt(0, 1) } else { r[field] = typo(r[field]) }
                    default: r[field] = typo(r[field])                      // typo, digits included
                    }
                }
                out += "\(cluster)-dup-\(d),\(cluster)," + r.joined(separator: ",") + "\n"
                written += 1
            }
            truePairs += (duplicates + 1) * duplicates / 2
            entity += 1
        }
        try out.write(toFile: path, atomically: true, encoding: .utf8)
        return (written, truePairs)
    }
}
