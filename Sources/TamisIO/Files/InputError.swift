/// A problem with an input or output file, with where it is and what to do about it.
public struct InputError: Error, CustomStringConvertible, Sendable {
    public var file: String
    public var line: Int?
    public var column: Int?
    public var problem: String
    public var hint: String?

    public init(file: String, line: Int? = nil, column: Int? = nil, problem: String, hint: String? = nil) {
        self.file = file
        self.line = line
        self.column = column
        self.problem = problem
        self.hint = hint
    }

    public var description: String {
        var location = file
        if let line { location += ":\(line)" }
        if let column { location += ":\(column)" }
        var text = "\(location): \(problem)"
        if let hint { text += "\n  hint: \(hint)" }
        return text
    }
}
