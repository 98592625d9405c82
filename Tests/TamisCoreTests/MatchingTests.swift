import XCTest
@testable import TamisCore

/// The matching engine on small hand-made fixtures: blocking, EM, deterministic evidence,
/// the chaining guard, decisions, explain, survivorship.
final class MatchingTests: XCTestCase {
    /// A run state of records given as field → value (all values valid unless listed in `invalid`).
    func state(_ rows: [[CanonicalField: String]], sources: [SourceInfo] = [SourceInfo(name: "s", trust: 1)],
               sourceOf: [Int: Int] = [:], invalid: [Int: [CanonicalField]] = [:]) -> RunState {
        var state = RunState(sources: sources)
        for (n, row) in rows.enumerated() {
            var builder = PackedFields.Builder(count: CanonicalField.count)
            for field in CanonicalField.allCases { builder.append(Array((row[field] ?? "").utf8)) }
            let fields = builder.finish()
            var record = ProspectRecord(origin: RecordOrigin(sourceIndex: sourceOf[n] ?? 0, sourceID: "r\(n)", fileIndex: 0, line: n + 2),
                                        raw: fields, extras: PackedFields(count: 0))
            record.quality = CanonicalField.allCases.map { field in
                if invalid[n]?.contains(field) == true { return FieldQuality(.invalid) }
                return row[field] == nil ? .missing : .valid
            }
            state.append(record)
        }
        return state
    }

    /// People with a duplicate each (a typo, a missing field), plus colleagues and namesakes.
    func population() -> [[CanonicalField: String]] {
        let firsts = ["Jean", "Marie", "Hélène", "Thomas", "Camille", "Nicolas", "Sophie", "Loïc", "Inès", "Paul", "Julie", "Marc",
                      "Léa", "Hugo", "Chloé", "Louis", "Emma", "Lucas", "Manon", "Gabriel", "Zoé", "Arthur", "Jade", "Noël"]
        let lasts = ["Martin", "Bernard", "Kerjean", "Dubois", "Lefèvre", "Garcia", "Roux", "Morel", "Fournier", "Le Gall",
                     "Girard", "Bonnet", "Dupont", "Lambert", "Fontaine", "Rousseau", "Vincent", "Muller", "Faure", "André",
                     "Mercier", "Blanc", "Guérin", "Boyer", "Garnier", "Chevalier", "François", "Legrand", "Gauthier", "Perrin"]
        var rows: [[CanonicalField: String]] = []
        var rng = SplitMix64(seed: 11)
        for p in 0..<120 {
            let first = firsts[p % firsts.count], last = lasts[(p * 7 + p / firsts.count) % lasts.count]
            let company = "Société \(p % 40)"
            let cp = String(69001 + p % 9)
            let email = "\(p).\(first.lowercased())@c\(p % 40).fr"
            let phone = "+334720000\(String(p).count == 1 ? "0" : "")\(p % 100)"
            rows.append([.firstName: first, .lastName: last, .email: email, .phone: phone, .companyName: company, .postalCode: cp])
            var dup: [CanonicalField: String] = [.firstName: first, .lastName: last, .companyName: company, .postalCode: cp]
            if rng.next() % 2 == 0 { dup[.phone] = phone } else { dup[.email] = email }
            if rng.next() % 3 == 0 { dup[.lastName] = String(last.dropLast()) + "e" }
            rows.append(dup)
        }
        return rows
    }

    func test_blocking_gives_each_rules_pairs_once_and_skips_oversized_blocks() {
        var rows = population()
        for n in 0..<30 { rows.append([.firstName: "Standard", .lastName: "Accueil\(n)", .phone: "+33100000000"]) }
        let s = state(rows)
        let table = MatchTable(state: s, rows: Array(0..<rows.count), fields: [.canonical(.email), .canonical(.phone), .canonical(.lastName)])
        let rules = [BlockingRule(parts: [BlockingRule.parsePart("email")!]), BlockingRule(parts: [BlockingRule.parsePart("phone")!])]
        let blocking = Blocking(table: table, rules: rules, maxBlockSize: 20)
        XCTAssertEqual(blocking.perRule[1].oversizedBlocks, 1, "the 30 records sharing a switchboard are not compared")
        XCTAssertEqual(blocking.perRule[1].oversizedRecords, 30)
        XCTAssertEqual(Set(blocking.pairs).count, blocking.pairs.count, "pairs are unique")
        XCTAssertTrue(blocking.pairs.allSatisfy { Blocking.rows($0).0 < Blocking.rows($0).1 })
        // Every person's two records are a candidate pair (they share an e-mail or a phone).
        for p in 0..<120 { XCTAssertTrue(blocking.pairs.contains(Blocking.pair(2 * p, 2 * p + 1)), "person \(p)") }
        XCTAssertLessThan(blocking.pairs.count, rows.count * (rows.count - 1) / 2 / 20, "far fewer than all pairs")
    }

    func test_em_converges_and_learns_that_agreement_is_evidence() {
        let s = state(population())
        var settings = MatchSettings.frenchContacts
        settings.uSamplePairs = 20_000
        let (_, model, blocking) = DeduplicateStage(settings: settings).model(for: s)
        XCTAssertGreaterThanOrEqual(blocking.pairs.count, 120, "at least every true pair")
        XCTAssertLessThan(model.emIterations, 40, "converged before the iteration cap")
        // The prior is the chance that two random records match: 120 true pairs among 240·239/2.
        let truth = 120.0 / (240 * 239 / 2)
        XCTAssertGreaterThan(model.lambda, truth / 2)
        XCTAssertLessThan(model.lambda, truth * 2)
        let last = model.specs.firstIndex { $0.field == .canonical(.lastName) }!
        let different = model.specs[last].levelCount - 1
        XCTAssertGreaterThan(model.m[last][1], 10 * model.u[last][1], "the same last name is strong evidence")
        XCTAssertLessThan(model.m[last][different], model.u[last][different], "a different last name is evidence against")
    }

    func test_term_frequency_makes_a_common_name_weigh_less() {
        var rows = population()
        for n in 0..<60 { rows.append([.firstName: "X\(n)", .lastName: "Martin", .email: "m\(n)@x.fr"]) }
        rows.append([.firstName: "Y", .lastName: "Abgrall", .email: "k@x.fr"])
        let s = state(rows)
        let (table, model, _) = DeduplicateStage().model(for: s)
        let last = model.specs.firstIndex { $0.field == .canonical(.lastName) }!
        let martin = table.recordIndex.firstIndex { s.records[$0][.lastName] == "Martin" }!
        let kerjean = table.recordIndex.firstIndex { s.records[$0][.lastName] == "Abgrall" }!
        XCTAssertGreaterThan(model.weight(last, level: 1, row: kerjean), model.weight(last, level: 1, row: martin) + 2)
    }

    func test_colleagues_sharing_a_switchboard_are_not_merged_but_a_typo_is() throws {
        let base = population()
        var s = state(base + [
            [.firstName: "Jean", .lastName: "Martin", .email: "jean.martin@acme.fr", .phone: "+33472000000", .companyName: "Acme", .postalCode: "69003", .siret: "73282932000074"],
            [.firstName: "Julie", .lastName: "Bernard", .email: "julie.bernard@acme.fr", .phone: "+33472000000", .companyName: "Acme", .postalCode: "69003", .siret: "73282932000074"],
            [.firstName: "Jean", .lastName: "Martn", .phone: "+33472000000", .companyName: "Acme", .postalCode: "69003"],
            [.firstName: "Jean", .lastName: "Martin", .email: "jean.martin@acme.fr", .companyName: "ACME"],
        ])
        _ = try DeduplicateStage().run(&s, progress: SilentProgress())
        let o = base.count
        let golden = Dictionary(grouping: 0..<4) { s.outcomes[o + $0].goldenIndex! }.values.map { $0.sorted() }.sorted { $0[0] < $1[0] }
        XCTAssertEqual(golden, [[0, 2, 3], [1]])
    }

    /// The clustering, against a plain one with an array of members per cluster, on random
    /// graphs: same partition, same refusals, the guard asked across whole clusters (but not
    /// about the joining edge itself) and the size cap applied to the product of the two sizes.
    func test_clustering_matches_a_plain_reference_on_random_graphs() {
        func reference(count: Int, edges: [(pair: UInt64, weight: Double)], cap: Int,
                       different: (Int, Int) -> Bool) -> (partition: Set<Set<Int>>, refused: Int) {
            var clusterOf = Array(0..<count)
            var members: [[Int]] = (0..<count).map { [$0] }
            var refused = 0
            for edge in edges.sorted(by: { $0.weight != $1.weight ? $0.weight > $1.weight : $0.pair < $1.pair }) {
                let (a, b) = Blocking.rows(edge.pair)
                let ca = clusterOf[a], cb = clusterOf[b]
                if ca == cb { continue }
                let ok = members[ca].count * members[cb].count <= cap
                    && !members[ca].contains { x in members[cb].contains { y in Blocking.pair(x, y) != edge.pair && different(x, y) } }
                if !ok { refused += 1; continue }
                for m in members[cb] { clusterOf[m] = ca }
                members[ca] += members[cb]
                members[cb] = []
            }
            return (Set(members.filter { !$0.isEmpty }.map(Set.init)), refused)
        }
        var generator = SystemRandomNumberGenerator()
        for round in 0..<200 {
            let count = Int.random(in: 2...40, using: &generator)
            var edges: [(pair: UInt64, weight: Double)] = []
            for _ in 0..<Int.random(in: 0...(count * 2), using: &generator) {
                let a = Int.random(in: 0..<count, using: &generator), b = Int.random(in: 0..<count, using: &generator)
                if a != b { edges.append((Blocking.pair(a, b), Double(Int.random(in: 0...6, using: &generator)))) }
            }
            // Some enemies are edges too: the guard is never asked about the edge being joined.
            var enemies = Set((0..<Int.random(in: 0...4, using: &generator)).map { _ in
                Blocking.pair(Int.random(in: 0..<count, using: &generator), Int.random(in: 0..<count, using: &generator))
            })
            if let edge = edges.randomElement(using: &generator), round % 2 == 0 { enemies.insert(edge.pair) }
            let different: (Int, Int) -> Bool = { a, b in a != b && enemies.contains(Blocking.pair(a, b)) }
            let cap = [4, 12, 40_000][round % 3]
            let result = Clustering.cluster(count: count, edges: edges, maxCheckedPairs: cap, clearlyDifferent: different)
            let partition = Set(Dictionary(grouping: 0..<count) { result.root[$0] }.values.map(Set.init))
            let expected = reference(count: count, edges: edges, cap: cap, different: different)
            XCTAssertEqual(partition, expected.partition, "round \(round)")
            XCTAssertEqual(result.refusedLinks, expected.refused, "round \(round)")
            for row in 0..<count { XCTAssertEqual(result.root[result.root[row]], result.root[row], "a root is its own root") }
        }
    }

    func test_the_chaining_guard_keeps_clearly_different_ends_apart() {
        let edges: [(pair: UInt64, weight: Double)] = [(Blocking.pair(0, 1), 10), (Blocking.pair(1, 2), 9)]
        let guarded = Clustering.cluster(count: 3, edges: edges) { a, b in Set([a, b]) == [0, 2] }
        XCTAssertEqual(guarded.root[0], guarded.root[1])
        XCTAssertNotEqual(guarded.root[1], guarded.root[2])
        XCTAssertEqual(guarded.refusedLinks, 1)
        let unguarded = Clustering.cluster(count: 3, edges: edges) { _, _ in false }
        XCTAssertEqual(Set(unguarded.root).count, 1, "without the guard, A≈B≈C chain into one")
        // In the stage: "J. Martin" looks like both Jean and Julie Martin, who are clearly two people.
        var s = state([
            [.firstName: "Jean", .lastName: "Martin", .email: "jean@acme.fr", .phone: "+33472000001", .companyName: "Acme", .postalCode: "69003"],
            [.firstName: "J", .lastName: "Martin", .phone: "+33472000001", .companyName: "Acme", .postalCode: "69003", .mobile: "+33612345678"],
            [.firstName: "Julie", .lastName: "Martin", .mobile: "+33612345678", .companyName: "Acme", .postalCode: "69003"],
        ])
        _ = try? DeduplicateStage().run(&s, progress: SilentProgress())
        XCTAssertNotEqual(s.outcomes[0].goldenIndex, s.outcomes[2].goldenIndex, "Jean and Julie never end up together")
    }

    func test_decisions_override_the_model() throws {
        let rows: [[CanonicalField: String]] = [
            [.firstName: "Paul", .lastName: "Roux", .email: "paul.roux@x.fr"],
            [.firstName: "Paul", .lastName: "Roux", .email: "paul.roux@x.fr"],   // same e-mail: merged by the rule
            [.firstName: "Anne", .lastName: "Morel", .email: "anne@y.fr"],
            [.firstName: "Anne-Marie", .lastName: "Dupuis", .phone: "+33100000001"],  // never a candidate of r2
        ]
        var before = state(rows)
        _ = try DeduplicateStage().run(&before, progress: SilentProgress())
        XCTAssertEqual(before.outcomes[0].goldenIndex, before.outcomes[1].goldenIndex)
        XCTAssertNotEqual(before.outcomes[2].goldenIndex, before.outcomes[3].goldenIndex)
        var after = state(rows)
        let decisions = [MatchDecision(left: ("s", "r0"), right: ("s", "r1"), same: false),
                         MatchDecision(left: ("s", "r3"), right: ("s", "r2"), same: true)]
        _ = try DeduplicateStage(decisions: decisions).run(&after, progress: SilentProgress())
        XCTAssertNotEqual(after.outcomes[0].goldenIndex, after.outcomes[1].goldenIndex, "decided different")
        XCTAssertEqual(after.outcomes[2].goldenIndex, after.outcomes[3].goldenIndex, "decided same")
        XCTAssertEqual(after.matchStats?.decisionsApplied, 2)
    }

    func test_explain_adds_up_to_the_score() {
        let s = state(population())
        var settings = MatchSettings.frenchContacts
        settings.uSamplePairs = 20_000
        settings.sameEmailIsMatch = false
        let (table, model, _) = DeduplicateStage(settings: settings).model(for: s)
        let explanation = model.explain(table, 0, 1)
        XCTAssertEqual(explanation.terms.count, model.specs.count)
        XCTAssertNil(explanation.rule)
        XCTAssertEqual(explanation.prior + explanation.terms.map(\.weight).reduce(0, +), explanation.weight, accuracy: 1e-9)
        XCTAssertEqual(explanation.weight, model.score(table, 0, 1), accuracy: 1e-9)
        XCTAssertEqual(explanation.terms[0].field, "first_name")
        XCTAssertEqual(explanation.terms[0].level, "exact")
        XCTAssertEqual(explanation.probability, MatchModel.probability(explanation.weight), accuracy: 1e-12)
        // Scoring from the precomputed pattern keys gives the same weights as comparing again.
        let (_, _, blocking) = DeduplicateStage(settings: settings).model(for: s)
        let keys = model.patternKeys(blocking.pairs)
        for (i, pair) in blocking.pairs.enumerated() {
            let (a, b) = Blocking.rows(pair)
            XCTAssertEqual(model.score(table, a, b, key: keys[i]), model.score(table, a, b), accuracy: 1e-9)
        }
    }

    func test_survivorship_prefers_a_valid_value_to_a_more_trusted_invalid_one() throws {
        var s = state([
            [.firstName: "Marc", .lastName: "Olivier", .email: "marc@olivier.fr", .phone: "+3300000"],
            [.firstName: "Marc", .lastName: "Olivier", .email: "marc@olivier.fr", .phone: "+33145678910"],
        ], sources: [SourceInfo(name: "crm", trust: 9), SourceInfo(name: "salon", trust: 1)], sourceOf: [1: 1],
           invalid: [0: [.phone]])
        _ = try DeduplicateStage().run(&s, progress: SilentProgress())
        XCTAssertEqual(s.golden.count, 1)
        XCTAssertEqual(s.golden[0][.phone], "+33145678910", "valid first")
        XCTAssertEqual(s.golden[0].members.first, 0, "the trusted source founds the golden record")
    }

    func test_survivorship_rules_per_field_and_derived_fields_follow_their_source() throws {
        var s = state([
            [.firstName: "J", .lastName: "Olivier", .email: "marc@olivier.fr", .jobTitle: "Directeur", .capturedAt: "2025-01-10",
             .phone: "+33145678910", .phoneType: "fixed"],
            [.firstName: "Marc", .lastName: "Olivier", .email: "marc@olivier.fr", .jobTitle: "Président", .capturedAt: "2026-09-01",
             .phone: "+33612345678"],
        ], sources: [SourceInfo(name: "crm", trust: 9), SourceInfo(name: "salon", trust: 1)], sourceOf: [1: 1])
        let rules = SurvivorshipSettings(defaultRule: .trust, fields: [.jobTitle: .mostRecent, .firstName: .mostComplete, .phone: .mostRecent])
        _ = try DeduplicateStage(survivorship: rules).run(&s, progress: SilentProgress())
        XCTAssertEqual(s.golden.count, 1)
        let golden = s.golden[0]
        XCTAssertEqual(golden[.jobTitle], "Président", "most recent")
        XCTAssertEqual(golden[.firstName], "Marc", "most complete")
        XCTAssertEqual(golden[.lastName], "Olivier")
        XCTAssertEqual(golden[.phone], "+33612345678", "most recent")
        XCTAssertNil(golden[.phoneType], "the phone type comes with its phone, not from the other record")
        XCTAssertEqual(golden[.capturedAt], "2025-01-10", "trust by default: the CRM's")
    }

    /// The establishments of golden records spread over several chunks of the parallel key
    /// pass (a SIRET-bearing contact after, or before, a company's other contacts) are those of
    /// a plain serial assignment.
    func test_establishments_over_many_golden_records_match_a_plain_assignment() {
        func siret(_ n: Int) -> String {  // 13 digits, then the Luhn key
            let body = Array(String(format: "%013d", 3_000_000_000 + n * 7).utf8).map { Int($0) - 48 }
            func luhn(_ digits: [Int]) -> Int {
                digits.reversed().enumerated().reduce(0) { sum, item in
                    let d = item.offset % 2 == 1 ? item.element * 2 : item.element
                    return sum + (d > 9 ? d - 9 : d)
                }
            }
            let key = (0...9).first { luhn(body + [$0]) % 10 == 0 }!
            return (body + [key]).map(String.init).joined()
        }
        var rows: [[CanonicalField: String]] = []
        for k in 0..<10_000 {
            var row: [CanonicalField: String] = [.companyName: "Société \(k % 3_000)", .postalCode: k % 7 == 0 ? "" : "69003"]
            if k % 11 == 0 { row[.siret] = siret(k % 3_000) }
            if k % 13 == 0 { row[.siret] = "12345678901234" }  // invalid: not an establishment
            rows.append(row)
        }
        var state = RunState(sources: [SourceInfo(name: "s", trust: 1)])
        for (k, row) in rows.enumerated() {
            var builder = PackedFields.Builder(count: CanonicalField.count)
            for field in CanonicalField.allCases { builder.append(Array((row[field] ?? "").utf8)) }
            state.golden.append(GoldenRecord(id: "G\(k)", members: [], fields: builder.finish()))
        }
        let count = Establishments.assign(&state)
        // The plain assignment, on Strings.
        func id(_ text: String) -> String {
            var hash = StableHash()
            hash.combine(text)
            return "E" + hash.hex
        }
        func companyKey(_ row: [CanonicalField: String]) -> String? {
            guard let postal = row[.postalCode], !postal.isEmpty, let company = row[.companyName] else { return nil }
            return AccentFolding.key(company) + "|" + postal
        }
        var expected = [String?](repeating: nil, count: rows.count), named: [String: String] = [:]
        for (k, row) in rows.enumerated() {
            guard let digits = row[.siret], SiretNumber.isValidSiret(Array(digits.utf8)) else { continue }
            expected[k] = id("siret:" + digits)
            if let key = companyKey(row), named[key] == nil { named[key] = expected[k] }
        }
        for (k, row) in rows.enumerated() where expected[k] == nil {
            guard let key = companyKey(row) else { continue }
            expected[k] = named[key] ?? id("name:" + key)
            named[key] = expected[k]
        }
        XCTAssertEqual(state.golden.map { $0[.establishmentID] }, expected)
        XCTAssertEqual(count, Set(expected.compactMap { $0 }).count)
        XCTAssertGreaterThan(Set(expected.compactMap { $0 }).count, 1_000)
    }

    func test_golden_records_are_grouped_by_establishment() throws {
        var s = state([
            [.firstName: "Jean", .lastName: "Martin", .email: "jean@acme.fr", .companyName: "Acme", .postalCode: "69003", .siret: "73282932000074"],
            [.firstName: "Julie", .lastName: "Bernard", .email: "julie@acme.fr", .companyName: "ACME", .postalCode: "69003"],
            [.firstName: "Paul", .lastName: "Roux", .email: "paul@acme.fr", .companyName: "Acme", .postalCode: "13001", .siret: "73282932000009"],
            [.firstName: "Anne", .lastName: "Morel", .email: "anne@zeta.fr", .companyName: "Zeta", .postalCode: "69003"],
            [.firstName: "Léa", .lastName: "Petit", .email: "lea@zeta.fr", .companyName: "Zeta", .postalCode: "69003"],
        ])
        _ = try DeduplicateStage().run(&s, progress: SilentProgress())
        func establishment(_ record: Int) -> String? { s.golden[s.outcomes[record].goldenIndex!][.establishmentID] }
        XCTAssertEqual(s.golden.count, 5, "five people")
        XCTAssertEqual(establishment(0), establishment(1), "no SIRET, same company and postal code: the SIRET's establishment")
        XCTAssertNotEqual(establishment(0), establishment(2), "a sister establishment (same SIREN, another SIRET)")
        XCTAssertEqual(establishment(3), establishment(4))
        XCTAssertNotEqual(establishment(0), establishment(3))
        XCTAssertEqual(s.matchStats?.establishments, 3)
        // The IDs are stored in the base and compared run after run: their derivation must not move.
        var siret = StableHash(), name = StableHash()
        siret.combine("siret:73282932000074")
        name.combine("name:zeta|69003")
        XCTAssertEqual(establishment(0), "E" + siret.hex)
        XCTAssertEqual(establishment(4), "E" + name.hex)
    }

    /// The pattern keys of the comparison loop (columns read by address) are the levels of
    /// each comparison one pair at a time, and the levels mean what they say.
    func test_pattern_keys_are_the_levels_of_each_comparison() {
        var rows = Array(population().prefix(40))
        rows.append([.firstName: "Martin", .lastName: "Jean", .postalCode: "69001", .companyName: "Société 0"])  // row 0, names swapped
        // An e-mail one typo away, a company name sharing two of three words: each comparison's own thresholds.
        rows.append([.firstName: "Alice", .lastName: "Noir", .email: "alice.noir@alpha.fr", .companyName: "Société Alpha Conseil"])
        rows.append([.firstName: "Alice", .lastName: "Noir", .email: "alice.nior@alpha.fr", .companyName: "Alpha Conseil"])
        let s = state(rows)
        let (table, model, _) = DeduplicateStage().model(for: s)
        var pairs: [UInt64] = []
        for a in 0..<table.count { for b in (a + 1)..<table.count { pairs.append(Blocking.pair(a, b)) } }
        let keys = model.patternKeys(pairs)
        var levelsSeen = Set<Int>()
        for (i, pair) in pairs.enumerated() {
            let (a, b) = Blocking.rows(pair)
            for k in model.specs.indices {
                let level = model.level(k, a, b)
                levelsSeen.insert(level)
                XCTAssertEqual(MatchModel.level(keys[i], k), level, "pair \(a)-\(b), comparison \(model.specs[k].field)")
            }
        }
        XCTAssertTrue(levelsSeen.isSuperset(of: [0, 1, 2]), "null, exact and lower levels all occur: \(levelsSeen)")
        // Row 0 is Jean Martin; the swapped row has the names the other way round.
        let first = model.specs.firstIndex { $0.field == .canonical(.firstName) }!
        let email = model.specs.firstIndex { $0.field == .canonical(.email) }!
        let company = model.specs.firstIndex { $0.field == .canonical(.companyName) }!
        let last = table.count - 3
        let alice = table.count - 2
        let key = keys[pairs.firstIndex(of: Blocking.pair(alice, alice + 1))!]
        XCTAssertEqual(MatchModel.level(key, email), 2, "distance 1 ≤ the e-mail's threshold 1")
        XCTAssertEqual(MatchModel.level(key, company), 2, "2 words of 3 shared: Dice 0.8 ≥ the company's threshold 0.6")
        XCTAssertEqual(model.level(first, 0, 0), 1, "same value: exact")
        XCTAssertEqual(model.level(first, 0, last), model.specs[first].levelCount - 2, "first and last names swapped")
    }

    /// A rule's patterns, found by galloping through the union, are those a binary search
    /// from the start finds: pairs repeated in the rule, gaps of every size, the first and
    /// last pairs of the union.
    func test_rule_patterns_gallop_to_the_same_keys_as_a_binary_search() {
        var random = SplitMix64(seed: 12)
        var union = Set<UInt64>()
        while union.count < 50_000 { union.insert(random.next() % 10_000_000) }
        let pairs = union.sorted()
        let keys = pairs.map { $0 % 97 }  // a pattern per pair
        for density in [1, 7, 500, 20_000] {
            var own = pairs.enumerated().filter { $0.offset % density == 0 || random.next() % 3 == 0 }.map(\.element)
            own += own.prefix(100)  // a pair twice in a rule's blocks
            own.append(pairs.last!)
            own.sort()
            var expected: [UInt64: Double] = [:]
            for pair in own {
                var lo = 0, hi = pairs.count
                while lo < hi { let mid = (lo + hi) / 2; if pairs[mid] < pair { lo = mid + 1 } else { hi = mid } }
                expected[keys[lo], default: 0] += 1
            }
            XCTAssertEqual(MatchModel.patterns(of: own, in: pairs, keys: keys), expected, "density \(density)")
        }
    }
}
