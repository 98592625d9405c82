import Foundation
import TamisCore
import TamisIO
import Yams

/// Reads and validates a pipeline file, reporting every mistake with its line and column.
public enum PipelineLoader {
    public static func load(path: String) throws -> PipelineDefinition {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw ConfigError(issues: [ConfigIssue(file: path, message: "cannot read the pipeline file",
                                                   hint: "check the path; pipelines live in pipelines/*.yml")])
        }
        guard let text = String(data: data, encoding: .utf8) else {
            throw ConfigError(issues: [ConfigIssue(file: path, message: "the pipeline file is not UTF-8 text")])
        }
        return try load(yaml: text, file: path)
    }

    public static func load(yaml: String, file: String) throws -> PipelineDefinition {
        let root: Node
        do {
            guard let node = try Yams.compose(yaml: yaml) else {
                throw ConfigError(issues: [ConfigIssue(file: file, line: 1, message: "the pipeline file is empty",
                                                       hint: "start from pipelines/pre-campaign.yml")])
            }
            root = node
        } catch let error as YamlError {
            throw ConfigError(issues: [yamlIssue(error, file: file)])
        }
        var reader = ConfigReader(file: file, baseDirectory: directory(of: file))
        let definition = reader.pipeline(root)
        if !reader.issues.isEmpty { throw ConfigError(issues: reader.issues) }
        return definition!
    }

    static func yamlIssue(_ error: YamlError, file: String) -> ConfigIssue {
        switch error {
        case .scanner(_, let problem, let mark, _), .parser(_, let problem, let mark, _):
            return ConfigIssue(file: file, line: mark.line, column: mark.column, message: "YAML syntax: \(problem)",
                               hint: "check indentation (spaces, not tabs) and quote values containing ':' or '#'")
        default:
            return ConfigIssue(file: file, message: "YAML: \(error)")
        }
    }

    static func directory(of file: String) -> String {
        let url = URL(fileURLWithPath: file).deletingLastPathComponent()
        return url.path
    }
}

/// Walks the YAML tree, collecting issues instead of stopping at the first one.
struct ConfigReader {
    let file: String
    let baseDirectory: String
    var issues: [ConfigIssue] = []
    var match = MatchSettings.frenchContacts
    var decisionsFile: String?
    var survivorship = SurvivorshipSettings()
    var sirene = SireneSettings()

    mutating func issue(_ node: Node?, _ message: String, hint: String? = nil) {
        issues.append(ConfigIssue(file: file, line: node?.mark?.line, column: node?.mark?.column, message: message, hint: hint))
    }

    /// The mapping's entries; unknown keys are reported with a suggestion.
    mutating func entries(_ node: Node, context: String, allowed: [String]) -> [String: (key: Node, value: Node)] {
        guard case .mapping(let mapping) = node else {
            issue(node, "\(context) must be a mapping (key: value lines)")
            return [:]
        }
        var result: [String: (key: Node, value: Node)] = [:]
        for (key, value) in mapping {
            guard let name = key.string else { issue(key, "\(context): keys must be text"); continue }
            if !allowed.contains(name) {
                let suggestion = Suggestion.closest(to: name, in: allowed)
                issue(key, "unknown key '\(name)' in \(context)",
                      hint: suggestion.map { "did you mean '\($0)'?" } ?? "allowed keys: \(allowed.joined(separator: ", "))")
                continue
            }
            if result[name] != nil { issue(key, "'\(name)' appears twice in \(context)") }
            result[name] = (key, value)
        }
        return result
    }

    mutating func string(_ node: Node?, _ what: String) -> String? {
        guard let node else { return nil }
        guard case .scalar(let scalar) = node else {
            issue(node, "\(what) must be a single value")
            return nil
        }
        return scalar.string
    }

    mutating func strings(_ node: Node, _ what: String) -> [String] {
        switch node {
        case .scalar(let scalar): return [scalar.string]
        case .sequence(let sequence): return sequence.compactMap { string($0, what) }
        default:
            issue(node, "\(what) must be a value or a list of values")
            return []
        }
    }

    mutating func number(_ node: Node?, _ what: String, in range: ClosedRange<Double>) -> Double? {
        guard let node, let text = string(node, what) else { return nil }
        guard let value = Double(text), range.contains(value) else {
            issue(node, "\(what) must be a number between \(range.lowerBound) and \(range.upperBound), not '\(text)'")
            return nil
        }
        return value
    }

    /// `stages.deduplicate`: blocking rules, comparisons, thresholds, decisions file.
    mutating func matchSettings(_ node: Node) {
        let options = entries(node, context: "stages.deduplicate",
                              allowed: ["blocking", "comparisons", "threshold", "review_below", "chaining_guard", "max_block_size",
                                        "u_sample_pairs", "same_email_is_match", "different_siret_is_non_match",
                                        "different_names_is_non_match", "decisions", "survivorship"])
        if let node = options["survivorship"]?.value {
            let e = entries(node, context: "stages.deduplicate.survivorship", allowed: ["default", "fields"])
            let rules = SurvivorshipRule.allCases.map(\.rawValue).joined(separator: ", ")
            if let d = e["default"]?.value, let text = string(d, "default") {
                if let rule = SurvivorshipRule(rawValue: text) { survivorship.defaultRule = rule }
                else { issue(d, "unknown survivorship rule '\(text)'", hint: "one of \(rules)") }
            }
            if let fieldsNode = e["fields"]?.value, case .mapping(let mapping) = fieldsNode {
                for (key, value) in mapping {
                    guard let name = key.string, let text = string(value, "survivorship of \(key.string ?? "")") else { continue }
                    guard let field = CanonicalField(name: name), !field.isDerived else {
                        issue(key, "'\(name)' is not a source field", hint: fieldHint(name))
                        continue
                    }
                    if let rule = SurvivorshipRule(rawValue: text) { survivorship.fields[field] = rule }
                    else { issue(value, "unknown survivorship rule '\(text)'", hint: "one of \(rules)") }
                }
            }
        }
        if let v = number(options["threshold"]?.value, "threshold", in: 0.5...0.999999) { match.threshold = v }
        if let v = number(options["review_below"]?.value, "review_below", in: 0...0.999999) { match.reviewBelow = v }
        if let v = number(options["chaining_guard"]?.value, "chaining_guard", in: 0...0.5) { match.chainingGuard = v }
        if let v = number(options["max_block_size"]?.value, "max_block_size", in: 2...1_000_000) { match.maxBlockSize = Int(v) }
        if let v = number(options["u_sample_pairs"]?.value, "u_sample_pairs", in: 1000...100_000_000) { match.uSamplePairs = Int(v) }
        if let v = bool(options["same_email_is_match"]?.value, "same_email_is_match") { match.sameEmailIsMatch = v }
        if let v = bool(options["different_siret_is_non_match"]?.value, "different_siret_is_non_match") { match.differentSiretIsNonMatch = v }
        if let v = bool(options["different_names_is_non_match"]?.value, "different_names_is_non_match") { match.differentNamesIsNonMatch = v }
        if match.reviewBelow > match.threshold { issue(options["review_below"]?.value, "review_below must not exceed threshold") }
        if let node = options["decisions"]?.value, let path = string(node, "decisions") {
            decisionsFile = resolve(path)
            if !FileManager.default.fileExists(atPath: resolve(path)) {
                issue(node, "decisions file not found: \(path)", hint: "fill in the review file of an earlier run (decision: same or different) and point here")
            }
        }
        if let node = options["blocking"]?.value {
            guard case .sequence(let list) = node, !list.isEmpty else {
                issue(node, "blocking must be a list of rules, e.g. - email  or  - [postal_code, last_name:phonetic]")
                return
            }
            var rules: [BlockingRule] = []
            for item in list {
                let texts: [String]
                if case .sequence = item { texts = strings(item, "blocking rule") } else { texts = [string(item, "blocking rule") ?? ""] }
                var parts: [BlockingRule.Part] = []
                for text in texts {
                    if let part = BlockingRule.parsePart(text) { parts.append(part) }
                    else { issue(item, "blocking key '\(text)' is not understood", hint: "field, or field:phonetic, field:prefixN, field:initial") }
                }
                if !parts.isEmpty { rules.append(BlockingRule(parts: parts)) }
            }
            match.blocking = rules
        }
        if let node = options["comparisons"]?.value {
            guard case .sequence(let list) = node, !list.isEmpty else {
                issue(node, "comparisons must be a list of { field, method, thresholds }")
                return
            }
            var specs: [ComparisonSpec] = []
            for item in list {
                let e = entries(item, context: "a comparison", allowed: ["field", "method", "thresholds", "term_frequency", "swapped_with"])
                guard let field = string(e["field"]?.value, "field") else {
                    issue(item, "a comparison needs a field")
                    continue
                }
                var method = ComparisonMethod.exact
                if let m = e["method"]?.value, let text = string(m, "method") {
                    if let known = ComparisonMethod(rawValue: text) { method = known }
                    else { issue(m, "unknown method '\(text)'", hint: "one of " + ComparisonMethod.allCases.map(\.rawValue).joined(separator: ", ")) }
                }
                var thresholds: [Double] = []
                if let t = e["thresholds"]?.value {
                    for text in strings(t, "thresholds") {
                        if let v = Double(text) { thresholds.append(v) } else { issue(t, "thresholds must be numbers") }
                    }
                }
                if thresholds.count > 10 { issue(e["thresholds"]?.value, "at most 10 thresholds") ; thresholds = Array(thresholds.prefix(10)) }
                let tf = bool(e["term_frequency"]?.value, "term_frequency") ?? false
                let swapped = string(e["swapped_with"]?.value, "swapped_with").map { MatchField(name: $0) }
                specs.append(ComparisonSpec(field: MatchField(name: field), method: method, thresholds: thresholds, termFrequency: tf,
                                            swappedWith: swapped))
            }
            if specs.count > 16 { issue(node, "at most 16 comparisons") ; specs = Array(specs.prefix(16)) }
            match.comparisons = specs
        }
    }

    /// `stages.sirene`: the register, exclusions, siretisation and enrichment.
    mutating func sireneSettings(_ node: Node) {
        let options = entries(node, context: "stages.sirene", allowed: ["register", "exclude", "siretisation", "enrich"])
        if let path = string(options["register"]?.value, "stages.sirene.register") { sirene.register = resolve(path) }
        if let node = options["exclude"]?.value {
            let e = entries(node, context: "stages.sirene.exclude", allowed: ["defunct", "opposition", "unknown", "closed"])
            if let flag = bool(e["defunct"]?.value, "exclude.defunct") { sirene.excludeDefunct = flag }
            if let flag = bool(e["opposition"]?.value, "exclude.opposition") { sirene.excludeOpposition = flag }
            if let flag = bool(e["unknown"]?.value, "exclude.unknown") { sirene.excludeUnknown = flag }
            if let flag = bool(e["closed"]?.value, "exclude.closed") { sirene.excludeClosed = flag }
        }
        if let node = options["siretisation"]?.value {
            let e = entries(node, context: "stages.sirene.siretisation", allowed: ["enabled", "threshold", "review_below", "margin"])
            if let flag = bool(e["enabled"]?.value, "siretisation.enabled") { sirene.siretise = flag }
            if let value = number(e["threshold"]?.value, "siretisation.threshold", in: 0.5...1) { sirene.threshold = value }
            if let value = number(e["review_below"]?.value, "siretisation.review_below", in: 0...1) { sirene.reviewBelow = value }
            if let value = number(e["margin"]?.value, "siretisation.margin", in: 0...0.5) { sirene.margin = value }
            if sirene.reviewBelow > sirene.threshold {
                issue(e["review_below"]?.value ?? node, "siretisation.review_below (\(sirene.reviewBelow)) is above the threshold (\(sirene.threshold))")
            }
        }
        if let node = options["enrich"]?.value {
            let e = entries(node, context: "stages.sirene.enrich", allowed: ["fields", "register_wins"])
            let known = SireneEnrichment.allCases.map(\.rawValue).joined(separator: ", ")
            func fields(_ node: Node?, _ what: String) -> Set<SireneEnrichment>? {
                guard let node else { return nil }
                var result = Set<SireneEnrichment>()
                for name in strings(node, what) {
                    if let field = SireneEnrichment(rawValue: name) { result.insert(field) }
                    else { issue(node, "\(what): unknown field '\(name)'", hint: "one of \(known)") }
                }
                return result
            }
            if let set = fields(e["fields"]?.value, "enrich.fields") { sirene.enrich = set }
            if let set = fields(e["register_wins"]?.value, "enrich.register_wins") { sirene.registerWins = set }
        }
    }

    mutating func bool(_ node: Node?, _ what: String) -> Bool? {
        guard let node, let text = string(node, what) else { return nil }
        switch text.lowercased() {
        case "true", "yes", "on": return true
        case "false", "no", "off": return false
        default:
            issue(node, "\(what) must be true or false")
            return nil
        }
    }

    func resolve(_ path: String) -> String {
        if path.hasPrefix("/") { return path }
        return URL(fileURLWithPath: path, relativeTo: URL(fileURLWithPath: baseDirectory + "/")).standardizedFileURL.path
    }

    mutating func pipeline(_ root: Node) -> PipelineDefinition? {
        let top = entries(root, context: "the pipeline", allowed: ["name", "description", "sources", "reference_data", "reference_lists", "stages", "outputs"])
        let name = string(top["name"]?.value, "name") ?? URL(fileURLWithPath: file).deletingPathExtension().lastPathComponent
        var sources: [SourceDefinition] = []
        if let node = top["sources"]?.value {
            if case .sequence(let list) = node, !list.isEmpty {
                for item in list { if let source = source(item) { sources.append(source) } }
            } else {
                issue(node, "sources must be a non-empty list", hint: "each item: name, path, format…")
            }
        } else {
            issue(root, "the pipeline has no sources", hint: "add a 'sources:' list with at least one file")
        }
        var seen = Set<String>()
        for source in sources where !seen.insert(source.name).inserted {
            issue(top["sources"]?.value, "two sources are named '\(source.name)'", hint: "source names must be unique: they appear in lineage")
        }
        var lists: [String: String] = [:]
        if let node = top["reference_lists"]?.value, case .mapping(let mapping) = node {
            for (key, value) in mapping {
                guard let name = key.string, let path = string(value, "reference list \(key.string ?? "")") else { continue }
                let resolved = resolve(path)
                if !FileManager.default.fileExists(atPath: resolved) {
                    issue(value, "reference list '\(name)': file not found: \(path)", hint: "paths are relative to the pipeline file")
                }
                lists[name] = resolved
            }
        } else if let node = top["reference_lists"]?.value, node.scalar?.string.isEmpty == false {
            issue(node, "reference_lists must be a mapping of name: path")
        }
        var referenceData = resolve("../data/refdata")
        if let node = top["reference_data"]?.value, let path = string(node, "reference_data") { referenceData = resolve(path) }
        if !FileManager.default.fileExists(atPath: referenceData + "/naf_rev2_subclasses.csv") {
            issue(top["reference_data"]?.value ?? root, "reference data not found in \(referenceData)",
                  hint: "set reference_data: to Tamis's data/refdata folder (relative to the pipeline file)")
        }
        var rules: [ExclusionRule] = []
        var segments: [SegmentDefinition] = []
        var normalizeOptions = NormalizeOptions()
        var exclusion = ExclusionSettings()
        if let node = top["stages"]?.value {
            let stages = entries(node, context: "stages", allowed: ["normalise", "sirene", "exclude", "deduplicate", "segment"])
            if let node = stages["sirene"]?.value { sireneSettings(node) }
            if let normalise = stages["normalise"]?.value {
                let options = entries(normalise, context: "stages.normalise", allowed: ["vat_number", "fix_swapped_names"])
                if let flag = bool(options["vat_number"]?.value, "vat_number") { normalizeOptions.vatNumber = flag }
                if let flag = bool(options["fix_swapped_names"]?.value, "fix_swapped_names") { normalizeOptions.fixSwappedNames = flag }
            }
            if let dedupe = stages["deduplicate"]?.value { matchSettings(dedupe) }
            if let exclude = stages["exclude"]?.value {
                let options = entries(exclude, context: "stages.exclude",
                                      allowed: ["rules", "rule_sets", "company_lists", "suppression", "retention"])
                if let list = options["rules"]?.value { rules = exclusionRules(list) }
                exclusion = exclusionSettings(options, lists: lists)
            }
            if let segment = stages["segment"]?.value {
                let options = entries(segment, context: "stages.segment", allowed: ["segments"])
                if let list = options["segments"]?.value { segments = segmentDefinitions(list) }
            }
        }
        var outputs = OutputDefinition(directory: resolve("../out/\(name)"), base: resolve("../out/tamis.sqlite"), fileMode: 0o600)
        if let node = top["outputs"]?.value {
            let options = entries(node, context: "outputs", allowed: ["directory", "base", "file_mode", "mode"])
            if let modeNode = options["mode"]?.value, let text = string(modeNode, "outputs.mode") {
                if let mode = BaseMode(rawValue: text) { outputs.mode = mode }
                else { issue(modeNode, "unknown mode \"\(text)\"", hint: "use refresh (merge this run's files into the base) or rebuild (the base becomes this run's files)") }
            }
            if let dir = string(options["directory"]?.value, "outputs.directory") { outputs.directory = resolve(dir) }
            if let base = string(options["base"]?.value, "outputs.base") { outputs.base = resolve(base) }
            if let modeNode = options["file_mode"]?.value, let text = string(modeNode, "outputs.file_mode") {
                if let mode = UInt32(text, radix: 8), mode <= 0o777 { outputs.fileMode = mode }
                else { issue(modeNode, "file_mode must be an octal permission such as \"0600\" or \"0640\"") }
            }
        }
        var definition = PipelineDefinition(name: name, file: file, sources: sources, referenceLists: lists,
                                            referenceData: referenceData, normalizeOptions: normalizeOptions,
                                            exclusionRules: rules, exclusion: exclusion, segments: segments, outputs: outputs)
        definition.match = match
        definition.decisionsFile = decisionsFile
        definition.survivorship = survivorship
        definition.sirene = sirene
        return definition
    }

    mutating func source(_ node: Node) -> SourceDefinition? {
        let keys = ["name", "path", "format", "encoding", "delimiter", "id_column", "trust", "mapping", "record", "id", "fields", "optional"]
        let e = entries(node, context: "a source", allowed: keys)
        guard let pathNode = e["path"]?.value, let pattern = string(pathNode, "path") else {
            issue(node, "a source needs a 'path' (a file or a glob such as data/*.csv)")
            return nil
        }
        let name = string(e["name"]?.value, "name") ?? URL(fileURLWithPath: pattern).deletingPathExtension().lastPathComponent
        let files = Glob.expand(resolve(pattern))
        // `optional: true`: a month without a file for this source is normal (refreshes).
        let optional = bool(e["optional"]?.value, "optional") ?? false
        if files.isEmpty && !optional {
            issue(pathNode, "source '\(name)': no file matches \(pattern)", hint: "paths are relative to the pipeline file (\(baseDirectory)); add optional: true if some runs have no file for this source")
        }
        var format: SourceDefinition.Format = pattern.lowercased().hasSuffix(".xml") ? .xml : .csv
        if let node = e["format"]?.value, let text = string(node, "format") {
            if let f = SourceDefinition.Format(rawValue: text.lowercased()) { format = f }
            else { issue(node, "format must be csv or xml, not '\(text)'") }
        }
        var csv = CSVReadOptions()
        if let node = e["encoding"]?.value, let text = string(node, "encoding"), text.lowercased() != "auto" {
            if let encoding = TextEncoding(setting: text) { csv.encoding = encoding }
            else { issue(node, "unknown encoding '\(text)'", hint: "use auto, utf-8, cp1252, latin-1, utf-16le or utf-16be") }
        }
        if let node = e["delimiter"]?.value, let text = string(node, "delimiter"), text.lowercased() != "auto" {
            switch text {
            case ";", ",", "|": csv.delimiter = text.utf8.first
            case "\t", "tab", "\\t": csv.delimiter = 0x09
            default: issue(node, "delimiter must be auto, \";\", \",\", tab or \"|\"")
            }
        }
        csv.idColumn = string(e["id_column"]?.value, "id_column")
        var trust = 5
        if let node = e["trust"]?.value, let text = string(node, "trust") {
            if let value = Int(text), (0...100).contains(value) { trust = value }
            else { issue(node, "trust must be a whole number from 0 to 100 (higher wins)") }
        }
        if let node = e["mapping"]?.value {
            if case .mapping(let mapping) = node {
                for (key, value) in mapping {
                    guard let header = key.string, let fieldName = string(value, "mapping value") else { continue }
                    if let field = CanonicalField(name: fieldName) { csv.mapping[header] = field }
                    else if fieldName == "extra" { csv.extraColumns.insert(header) }
                    else { issue(value, "unknown field '\(fieldName)' for column '\(header)'", hint: fieldHint(fieldName) + " (or 'extra' to keep it as an extra attribute)") }
                }
            } else {
                issue(node, "mapping must be a mapping of column header: field")
            }
        }
        var xml: XMLReadOptions?
        if format == .xml {
            guard let record = string(e["record"]?.value, "record") else {
                issue(node, "XML source '\(name)' needs 'record': the element name of one record (e.g. contact)")
                return nil
            }
            var options = XMLReadOptions(recordElement: record, idPath: string(e["id"]?.value, "id"))
            if let node = e["fields"]?.value {
                if case .mapping(let mapping) = node {
                    for (key, value) in mapping {
                        guard let fieldName = key.string, let path = string(value, "field path") else { continue }
                        if let field = CanonicalField(name: fieldName) { options.fields[field] = path }
                        else { issue(key, "unknown field '\(fieldName)'", hint: fieldHint(fieldName)) }
                    }
                } else {
                    issue(node, "fields must be a mapping of field: path (e.g. siret: societe/@siret)")
                }
            }
            xml = options
        } else {
            for key in ["record", "id", "fields"] where e[key] != nil {
                issue(e[key]?.key, "'\(key)' is for XML sources; for CSV use id_column and mapping")
            }
        }
        return SourceDefinition(name: name, pathPattern: pattern, files: files, format: format, trust: trust, csv: csv, xml: xml)
    }

    func fieldHint(_ name: String) -> String {
        let names = CanonicalField.allCases.map(\.name)
        if let close = Suggestion.closest(to: name, in: names) { return "did you mean '\(close)'?" }
        return "fields: \(names.joined(separator: ", "))"
    }

    mutating func conditions(_ node: Node, context: String) -> [FieldCondition] {
        guard case .sequence(let list) = node else {
            issue(node, "\(context): 'when' must be a list of conditions", hint: "- { field: job_title, in: [Stagiaire, Étudiant] }")
            return []
        }
        var result: [FieldCondition] = []
        let operators = FieldCondition.Operator.allCases.map(\.rawValue)
        for item in list {
            let e = entries(item, context: "\(context) condition", allowed: ["field"] + operators)
            guard let fieldNode = e["field"]?.value, let fieldName = string(fieldNode, "field") else {
                issue(item, "\(context): a condition needs 'field'")
                continue
            }
            guard let field = CanonicalField(name: fieldName) else {
                issue(fieldNode, "unknown field '\(fieldName)'", hint: fieldHint(fieldName))
                continue
            }
            let ops = operators.filter { e[$0] != nil }
            guard ops.count == 1, let opName = ops.first, let op = FieldCondition.Operator(rawValue: opName) else {
                issue(item, "\(context): a condition needs exactly one operator", hint: operators.joined(separator: ", "))
                continue
            }
            var values = (op == .missing || op == .present) ? [] : strings(e[opName]!.value, opName)
            if op == .inListFile, let path = values.first {
                // One value per line (or the first column of a CSV), blank lines ignored.
                let resolved = resolve(path)
                guard let text = try? String(contentsOfFile: resolved, encoding: .utf8) else {
                    issue(e[opName]!.value, "\(context): cannot read the list file \(path)", hint: "paths are relative to the pipeline file")
                    continue
                }
                values = text.split(whereSeparator: \.isNewline).compactMap { line in
                    let first = line.split(separator: ";").first.map(String.init)?.trimmingCharacters(in: .whitespaces) ?? ""
                    return first.isEmpty || first.hasPrefix("#") ? nil : first
                }
            }
            do {
                result.append(try FieldCondition(field: field, op: op, values: values))
            } catch {
                issue(e[opName]!.value, "\(context): invalid regular expression: \(error)",
                      hint: "matches takes a regular expression, e.g. \"^(contact|info)@\"")
            }
        }
        return result
    }

    mutating func exclusionSettings(_ options: [String: (key: Node, value: Node)], lists: [String: String]) -> ExclusionSettings {
        var settings = ExclusionSettings()
        func knownList(_ name: String, _ node: Node) -> Bool {
            if lists[name] != nil { return true }
            issue(node, "no reference list named '\(name)'", hint: "declare it under reference_lists: (name: path to a CSV file)")
            return false
        }
        if let node = options["rule_sets"]?.value {
            settings.ruleSets = []
            for name in strings(node, "rule_sets") {
                if let set = ExclusionSettings.RuleSet(rawValue: name) { settings.ruleSets.append(set) }
                else { issue(node, "unknown rule set '\(name)'", hint: "rule sets: " + ExclusionSettings.RuleSet.allCases.map(\.rawValue).joined(separator: ", ")) }
            }
        }
        if let node = options["company_lists"]?.value {
            if case .mapping(let mapping) = node {
                for (key, value) in mapping {
                    guard let name = key.string, let reason = string(value, "reason code") else { continue }
                    if knownList(name, key) { settings.companyLists.append((name, reason)) }
                }
            } else {
                issue(node, "company_lists must map a reference list to its reason code", hint: "competitors: competitor")
            }
        }
        if let node = options["suppression"]?.value {
            for name in strings(node, "suppression") where knownList(name, node) { settings.suppressionLists.append(name) }
        }
        if let node = options["retention"]?.value {
            let retention = entries(node, context: "stages.exclude.retention", allowed: ["months", "field", "as_of"])
            if let monthsNode = retention["months"]?.value, let text = string(monthsNode, "months") {
                if let months = Int(text), months > 0 { settings.retentionMonths = months }
                else { issue(monthsNode, "months must be a whole number of months (CNIL guidance: 36)") }
            } else {
                issue(node, "retention needs 'months' (CNIL guidance for B2B prospects: 36)")
            }
            if let fieldNode = retention["field"]?.value, let name = string(fieldNode, "field") {
                if let field = CanonicalField(name: name) { settings.retentionField = field }
                else { issue(fieldNode, "unknown field '\(name)'", hint: fieldHint(name)) }
            }
            if let dateNode = retention["as_of"]?.value, let text = string(dateNode, "as_of") {
                if let date = SimpleDate(parsing: text) { settings.asOf = date }
                else { issue(dateNode, "as_of must be a date such as 2026-11-22") }
            }
        }
        return settings
    }

    mutating func exclusionRules(_ node: Node) -> [ExclusionRule] {
        guard case .sequence(let list) = node else { issue(node, "rules must be a list"); return [] }
        return list.compactMap { item in
            let e = entries(item, context: "an exclusion rule", allowed: ["name", "reason", "when"])
            guard let name = string(e["name"]?.value, "name"), let reason = string(e["reason"]?.value, "reason"),
                  let when = e["when"]?.value else {
                issue(item, "an exclusion rule needs name, reason and when")
                return nil
            }
            return ExclusionRule(name: name, reasonCode: reason, conditions: conditions(when, context: "rule \(name)"))
        }
    }

    mutating func segmentDefinitions(_ node: Node) -> [SegmentDefinition] {
        guard case .sequence(let list) = node else { issue(node, "segments must be a list"); return [] }
        return list.compactMap { item in
            let e = entries(item, context: "a segment", allowed: ["name", "when", "where"])
            guard let name = string(e["name"]?.value, "name"), e["when"] != nil || e["where"] != nil else {
                issue(item, "a segment needs a name, and a 'where' expression or 'when' conditions",
                      hint: "where: \"naf_section = 'J' and headcount >= 50\"")
                return nil
            }
            if name.contains("/") || name.hasPrefix(".") { issue(e["name"]?.value, "segment names become file names: no '/' or leading '.'") }
            var expression: SegmentExpression?
            if let node = e["where"]?.value, let text = string(node, "where") {
                do {
                    expression = try SegmentExpression.parse(text, fields: SegmentFields.names)
                } catch let error as ExpressionError {
                    issue(node, "segment \(name): \(error)", hint: "example: naf_section = 'J' and region in ('11', '84')")
                } catch {
                    issue(node, "segment \(name): \(error)")
                }
            }
            let when = e["when"].map { conditions($0.value, context: "segment \(name)") } ?? []
            return SegmentDefinition(name: name, conditions: when, expression: expression)
        }
    }
}

extension Node {
    var string: String? { scalar?.string }
}
