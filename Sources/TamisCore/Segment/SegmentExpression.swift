/// A boolean expression over a golden record's fields, for segments and ad-hoc exports:
///
///     naf_section = 'J' and headcount >= 50 and region in ('11', '84')
///     not (department = '75') or source = 'crm'
///     headcount between 10 and 249 and legal_form in (SAS, SASU)
///
/// Comparisons: `=`, `!=`, `<`, `<=`, `>`, `>=` (numeric when both sides are numbers, else on
/// folded text: accents and case ignored), `in (…)`, `not in (…)`, `between a and b`,
/// `starts with 'x'`, `is missing`, `is present`. Combine with `and`, `or`, `not`, parentheses.
public indirect enum SegmentExpression: Sendable, Equatable {
    case compare(field: String, op: CompareOp, value: String)
    case oneOf(field: String, values: [String], negated: Bool)
    case between(field: String, low: String, high: String)
    case startsWith(field: String, prefix: String)
    case present(field: String, negated: Bool)
    case and(SegmentExpression, SegmentExpression)
    case or(SegmentExpression, SegmentExpression)
    case not(SegmentExpression)

    public enum CompareOp: String, Sendable { case eq = "=", ne = "!=", lt = "<", le = "<=", gt = ">", ge = ">=" }

    /// Evaluates against a record, given a way to read a field's value by name. `source` may
    /// hold several names separated by `|` (a merged record): it matches when any of them does.
    public func evaluate(_ value: (String) -> String?) -> Bool {
        if let (positive, negated) = sourceTest, let all = value("source"), all.contains("|") {
            let any = all.split(separator: "|").contains { part in positive.evaluate { _ in String(part) } }
            return any != negated
        }
        switch self {
        case .and(let a, let b): return a.evaluate(value) && b.evaluate(value)
        case .or(let a, let b): return a.evaluate(value) || b.evaluate(value)
        case .not(let a): return !a.evaluate(value)
        case .present(let field, let negated): return (value(field) != nil) != negated
        case .startsWith(let field, let prefix):
            guard let v = value(field) else { return false }
            return AccentFolding.key(v, keepPunctuation: true).hasPrefix(AccentFolding.key(prefix, keepPunctuation: true))
        case .oneOf(let field, let values, let negated):
            guard let v = value(field) else { return negated }
            return values.contains { SegmentExpression.order(v, $0) == 0 } != negated
        case .between(let field, let low, let high):
            guard let v = value(field) else { return false }
            return SegmentExpression.order(v, low) >= 0 && SegmentExpression.order(v, high) <= 0
        case .compare(let field, let op, let operand):
            guard let v = value(field) else { return op == .ne }
            let c = SegmentExpression.order(v, operand)
            switch op {
            case .eq: return c == 0
            case .ne: return c != 0
            case .lt: return c < 0
            case .le: return c <= 0
            case .gt: return c > 0
            case .ge: return c >= 0
            }
        }
    }

    /// For a test on `source`: the positive form (=, in) and whether it is negated (!=, not in).
    var sourceTest: (SegmentExpression, Bool)? {
        switch self {
        case .compare("source", .eq, _): return (self, false)
        case .compare("source", .ne, let value): return (.compare(field: "source", op: .eq, value: value), true)
        case .oneOf("source", let values, let negated): return (.oneOf(field: "source", values: values, negated: false), negated)
        default: return nil
        }
    }

    /// Numbers compare as numbers ("9" < "10"); other values as folded text.
    static func order(_ a: String, _ b: String) -> Int {
        if let x = Double(a), let y = Double(b) { return x < y ? -1 : (x > y ? 1 : 0) }
        let fa = AccentFolding.key(a, keepPunctuation: true), fb = AccentFolding.key(b, keepPunctuation: true)
        return fa < fb ? -1 : (fa > fb ? 1 : 0)
    }

    /// The field names the expression reads (for validation).
    public var fields: [String] {
        switch self {
        case .compare(let f, _, _), .oneOf(let f, _, _), .between(let f, _, _), .startsWith(let f, _), .present(let f, _): return [f]
        case .and(let a, let b), .or(let a, let b): return a.fields + b.fields
        case .not(let a): return a.fields
        }
    }
}

/// A mistake in an expression, with the character position where it was found.
public struct ExpressionError: Error, CustomStringConvertible, Equatable {
    public var position: Int
    public var message: String
    public var description: String { "at character \(position + 1): \(message)" }
}

extension SegmentExpression {
    /// Parses an expression; `fields` are the names it may use.
    public static func parse(_ text: String, fields: Set<String>) throws -> SegmentExpression {
        var parser = ExpressionParser(tokens: try ExpressionParser.tokenize(text), fields: fields, length: text.count)
        let expression = try parser.parseOr()
        if let extra = parser.peek {
            throw ExpressionError(position: extra.position, message: "unexpected '\(extra.text)'")
        }
        return expression
    }
}

struct ExpressionParser {
    struct Token {
        enum Kind { case word, string, symbol }
        var kind: Kind
        var text: String
        var position: Int
    }

    var tokens: [Token]
    let fields: Set<String>
    let length: Int
    var index = 0

    init(tokens: [Token], fields: Set<String>, length: Int) {
        self.tokens = tokens
        self.fields = fields
        self.length = length
    }

    static func tokenize(_ text: String) throws -> [Token] {
        var tokens: [Token] = []
        let chars = Array(text)
        var i = 0
        while i < chars.count {
            let c = chars[i]
            if c == " " || c == "\t" || c == "\n" { i += 1; continue }
            if c == "'" || c == "\"" {
                var j = i + 1
                var value = ""
                while j < chars.count && chars[j] != c { value.append(chars[j]); j += 1 }
                guard j < chars.count else { throw ExpressionError(position: i, message: "this quote is never closed") }
                tokens.append(Token(kind: .string, text: value, position: i))
                i = j + 1
                continue
            }
            if "()=,".contains(c) { tokens.append(Token(kind: .symbol, text: String(c), position: i)); i += 1; continue }
            if c == "!" || c == "<" || c == ">" {
                if i + 1 < chars.count && chars[i + 1] == "=" {
                    tokens.append(Token(kind: .symbol, text: String(c) + "=", position: i))
                    i += 2
                } else if c == "!" {
                    throw ExpressionError(position: i, message: "'!' must be followed by '=' (use 'not' to negate)")
                } else {
                    tokens.append(Token(kind: .symbol, text: String(c), position: i))
                    i += 1
                }
                continue
            }
            var j = i
            var word = ""
            while j < chars.count, !" \t\n()=,!<>'\"".contains(chars[j]) { word.append(chars[j]); j += 1 }
            tokens.append(Token(kind: .word, text: word, position: i))
            i = j
        }
        return tokens
    }

    var peek: Token? { index < tokens.count ? tokens[index] : nil }

    func isKeyword(_ word: String) -> Bool {
        guard let token = peek, token.kind == .word else { return false }
        return token.text.lowercased() == word
    }

    mutating func next(_ what: String) throws -> Token {
        guard let token = peek else { throw ExpressionError(position: length, message: "the expression ends where \(what) was expected") }
        index += 1
        return token
    }

    mutating func expectKeyword(_ word: String) throws {
        let token = try next("'\(word)'")
        guard token.kind == .word, token.text.lowercased() == word else {
            throw ExpressionError(position: token.position, message: "expected '\(word)', found '\(token.text)'")
        }
    }

    mutating func parseOr() throws -> SegmentExpression {
        var left = try parseAnd()
        while isKeyword("or") { index += 1; left = .or(left, try parseAnd()) }
        return left
    }

    mutating func parseAnd() throws -> SegmentExpression {
        var left = try parseNot()
        while isKeyword("and") { index += 1; left = .and(left, try parseNot()) }
        return left
    }

    mutating func parseNot() throws -> SegmentExpression {
        if isKeyword("not") { index += 1; return .not(try parseNot()) }
        return try parsePrimary()
    }

    mutating func value() throws -> String {
        let token = try next("a value")
        guard token.kind != .symbol else { throw ExpressionError(position: token.position, message: "expected a value, found '\(token.text)'") }
        return token.text
    }

    mutating func parsePrimary() throws -> SegmentExpression {
        let token = try next("a field name or '('")
        if token.kind == .symbol && token.text == "(" {
            let inner = try parseOr()
            let close = try next("')'")
            guard close.text == ")" else { throw ExpressionError(position: close.position, message: "expected ')', found '\(close.text)'") }
            return inner
        }
        guard token.kind == .word else { throw ExpressionError(position: token.position, message: "expected a field name, found '\(token.text)'") }
        let field = token.text.lowercased()
        guard fields.contains(field) else {
            let known = fields.sorted().joined(separator: ", ")
            throw ExpressionError(position: token.position, message: "unknown field '\(token.text)' (fields: \(known))")
        }
        if isKeyword("is") {
            index += 1
            var negated = false
            if isKeyword("not") { index += 1; negated = true }
            let what = try next("'missing' or 'present'")
            switch what.text.lowercased() {
            case "missing": return .present(field: field, negated: !negated)
            case "present": return .present(field: field, negated: negated)
            default: throw ExpressionError(position: what.position, message: "expected 'missing' or 'present'")
            }
        }
        var negated = false
        if isKeyword("not") { index += 1; negated = true }
        if isKeyword("in") {
            index += 1
            let open = try next("'('")
            guard open.text == "(" else { throw ExpressionError(position: open.position, message: "expected '(' after 'in'") }
            var values: [String] = [try value()]
            while let t = peek, t.text == "," { index += 1; values.append(try value()) }
            let close = try next("')'")
            guard close.text == ")" else { throw ExpressionError(position: close.position, message: "expected ',' or ')' in the list") }
            return .oneOf(field: field, values: values, negated: negated)
        }
        if negated { throw ExpressionError(position: tokens[index - 1].position, message: "'not' here must be followed by 'in'") }
        if isKeyword("between") {
            index += 1
            let low = try value()
            try expectKeyword("and")
            return .between(field: field, low: low, high: try value())
        }
        if isKeyword("starts") {
            index += 1
            try expectKeyword("with")
            return .startsWith(field: field, prefix: try value())
        }
        let opToken = try next("an operator (=, !=, <, <=, >, >=, in, between, starts with, is missing)")
        guard opToken.kind == .symbol, let op = SegmentExpression.CompareOp(rawValue: opToken.text) else {
            throw ExpressionError(position: opToken.position, message: "expected an operator after '\(token.text)', found '\(opToken.text)'")
        }
        return .compare(field: field, op: op, value: try value())
    }
}
