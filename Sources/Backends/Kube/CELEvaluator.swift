/// A CEL value of the subset: what a Kubernetes object's JSON becomes (maps keyed by
/// strings, lists, strings, integers, booleans, null).
public indirect enum CELValue: Sendable, Hashable {
    case null
    case bool(Bool)
    case int(Int)
    case string(String)
    case list([CELValue])
    case map([String: CELValue])

    var typeName: String {
        switch self {
        case .null: "null"
        case .bool: "bool"
        case .int: "int"
        case .string: "string"
        case .list: "list"
        case .map: "map"
        }
    }
}

/// Why an evaluation failed (a missing field, a type mismatch): an admission policy whose
/// expression fails refuses the request (`failurePolicy: Fail`).
public struct CELEvaluationError: Error, Sendable, Hashable {
    public var message: String
}

/// Evaluates `CELExpression`s with CEL's semantics for the subset: `&&` and `||` absorb an
/// error when the other side decides, `all`/`exists` likewise, `matches` is an unanchored
/// search in RE2 syntax (`CELRegex`, linear in the input; the policies anchor their patterns).
public final class CELEvaluator {
    private var regexes: [String: Result<CELRegex, CELRegexError>] = [:]
    /// The most steps (expressions evaluated, comprehension items included) one evaluation may
    /// take: Kubernetes gives each expression a cost budget and refuses a policy beyond it; here
    /// an evaluation beyond it fails, so nested comprehensions cannot run for hours.
    public let budget: Int
    private var steps = 0

    public init(budget: Int = 1_000_000) { self.budget = budget }

    public typealias Outcome = Result<CELValue, CELEvaluationError>

    /// The value of `expression` with `bindings` as its top-level identifiers, or a failure
    /// when it costs more than `budget` steps.
    public func evaluate(_ expression: CELExpression, _ bindings: [String: CELValue]) -> Outcome {
        steps = 0
        return step(expression, bindings)
    }

    private func step(_ expression: CELExpression, _ bindings: [String: CELValue]) -> Outcome {
        steps += 1
        guard steps <= budget else { return overBudget() }
        switch expression {
        case .literal(let value):
            return .success(value)
        case .list(let items):
            var values: [CELValue] = []
            for item in items {
                switch step(item, bindings) {
                case .success(let value): values.append(value)
                case .failure(let error): return .failure(error)
                }
            }
            return .success(.list(values))
        case .identifier(let name):
            guard let value = bindings[name] else { return fail("undeclared reference to '\(name)'") }
            return .success(value)
        case .select(let operand, let field):
            return step(operand, bindings).flatMap { value in
                guard case .map(let fields) = value else { return fail("no field '\(field)' on a \(value.typeName)") }
                guard let result = fields[field] else { return fail("no such key: \(field)") }
                return .success(result)
            }
        case .has(let operand, let field):
            return step(operand, bindings).flatMap { value in
                guard case .map(let fields) = value else { return fail("has() on a \(value.typeName)") }
                return .success(.bool(fields[field] != nil))
            }
        case .index(let operand, let index):
            return step(operand, bindings).flatMap { value in
                step(index, bindings).flatMap { key in
                    switch (value, key) {
                    case (.list(let items), .int(let position)):
                        return items.indices.contains(position) ? .success(items[position]) : fail("index \(position) out of range")
                    case (.map(let fields), .string(let name)):
                        return fields[name].map { .success($0) } ?? fail("no such key: \(name)")
                    default:
                        return fail("cannot index a \(value.typeName) with a \(key.typeName)")
                    }
                }
            }
        case .not(let operand):
            return step(operand, bindings).flatMap { value in
                guard case .bool(let flag) = value else { return fail("! on a \(value.typeName)") }
                return .success(.bool(!flag))
            }
        case .conditional(let condition, let then, let otherwise):
            return step(condition, bindings).flatMap { value in
                guard case .bool(let flag) = value else { return fail("a condition is a \(value.typeName), not a bool") }
                return step(flag ? then : otherwise, bindings)
            }
        case .binary(.and, let left, let right):
            return logical(left, right, bindings, deciding: false)
        case .binary(.or, let left, let right):
            return logical(left, right, bindings, deciding: true)
        case .binary(let op, let left, let right):
            return step(left, bindings).flatMap { a in step(right, bindings).flatMap { b in apply(op, a, b) } }
        case .call(let name, let target, let arguments):
            var values: [CELValue] = []
            for argument in (target.map { [$0] } ?? []) + arguments {
                switch step(argument, bindings) {
                case .success(let value): values.append(value)
                case .failure(let error): return .failure(error)
                }
            }
            return call(name, values)
        case .comprehension(let macro, let range, let variable, let body):
            return step(range, bindings).flatMap { value in comprehension(macro, value, variable, body, bindings) }
        }
    }

    /// The value of a parsed expression, as a boolean (what a validation must be).
    public func holds(_ expression: CELExpression, _ bindings: [String: CELValue]) -> Result<Bool, CELEvaluationError> {
        evaluate(expression, bindings).flatMap { value in
            guard case .bool(let flag) = value else { return .failure(CELEvaluationError(message: "the expression is a \(value.typeName), not a bool")) }
            return .success(flag)
        }
    }

    private func fail(_ message: String) -> Outcome { .failure(CELEvaluationError(message: message)) }

    private func overBudget() -> Outcome { fail("the expression exceeds the evaluation budget of \(budget) steps") }

    /// `&&` (deciding value false) and `||` (true): the deciding value on either side wins,
    /// even over an error on the other.
    private func logical(_ left: CELExpression, _ right: CELExpression, _ bindings: [String: CELValue], deciding: Bool) -> Outcome {
        let a = step(left, bindings)
        if case .success(.bool(deciding)) = a { return a }
        let b = step(right, bindings)
        if case .success(.bool(deciding)) = b { return b }
        for side in [a, b] {
            switch side {
            case .failure: return side
            case .success(.bool): continue
            case .success(let value): return fail("\(deciding ? "||" : "&&") on a \(value.typeName)")
            }
        }
        return .success(.bool(!deciding))
    }

    private func apply(_ op: CELOperator, _ a: CELValue, _ b: CELValue) -> Outcome {
        switch (op, a, b) {
        case (.equal, _, _): return .success(.bool(a == b))
        case (.notEqual, _, _): return .success(.bool(a != b))
        case (.in, _, .list(let items)): return .success(.bool(items.contains(a)))
        case (.in, .string(let key), .map(let fields)): return .success(.bool(fields[key] != nil))
        case (.plus, .int(let x), .int(let y)):
            let (sum, overflow) = x.addingReportingOverflow(y)
            return overflow ? fail("integer overflow") : .success(.int(sum))
        case (.plus, .string(let x), .string(let y)):
            // A concatenation costs its length, so doubling a string at each level of a
            // comprehension spends the budget before it spends the memory.
            steps += x.utf8.count + y.utf8.count
            return steps <= budget ? .success(.string(x + y)) : overBudget()
        case (.plus, .list(let x), .list(let y)):
            steps += x.count + y.count
            return steps <= budget ? .success(.list(x + y)) : overBudget()
        default: return fail("no such overload: \(a.typeName) \(op.rawValue) \(b.typeName)")
        }
    }

    private func call(_ name: String, _ values: [CELValue]) -> Outcome {
        switch (name, values.first, values.dropFirst().first) {
        case ("size", .string(let text)?, nil): return .success(.int(text.unicodeScalars.count))
        case ("size", .list(let items)?, nil): return .success(.int(items.count))
        case ("size", .map(let fields)?, nil): return .success(.int(fields.count))
        case ("startsWith", .string(let text)?, .string(let prefix)?): return .success(.bool(text.hasPrefix(prefix)))
        case ("endsWith", .string(let text)?, .string(let suffix)?): return .success(.bool(text.hasSuffix(suffix)))
        case ("contains", .string(let text)?, .string(let part)?): return .success(.bool(part.isEmpty || text.contains(part)))
        case ("matches", .string(let text)?, .string(let pattern)?):
            let regex: CELRegex
            switch self.regex(pattern) {
            case .success(let compiled): regex = compiled
            case .failure(let error): return fail("invalid regular expression '\(pattern)': \(error)")
            }
            // A search costs the instructions it visits, at most the program's size per scalar.
            let search = regex.search(text, stepLimit: budget - steps)
            steps += search.steps
            guard let matched = search.matched, steps <= budget else { return overBudget() }
            return .success(.bool(matched))
        default:
            return fail("no such overload: \(name)(\(values.map(\.typeName).joined(separator: ", ")))")
        }
    }

    /// The compiled pattern (or why it is refused), compiled once per evaluator.
    private func regex(_ pattern: String) -> Result<CELRegex, CELRegexError> {
        if let cached = regexes[pattern] { return cached }
        let compiled = Result(catching: { () throws(CELRegexError) -> CELRegex in try CELRegex(pattern) })
        regexes[pattern] = compiled
        return compiled
    }

    private func comprehension(_ macro: CELMacro, _ range: CELValue, _ variable: String, _ body: CELExpression, _ bindings: [String: CELValue])
        -> Outcome
    {
        let items: [CELValue]
        switch range {
        case .list(let values): items = values
        case .map(let fields): items = fields.keys.sorted().map { .string($0) }
        default: return fail("\(macro.rawValue) over a \(range.typeName)")
        }
        var scope = bindings
        var firstError: CELEvaluationError?
        var kept: [CELValue] = []
        for item in items {
            scope[variable] = item
            let result = step(body, scope)
            switch (macro, result) {
            case (.map, .success(let value)): kept.append(value)
            case (.map, .failure(let error)), (.filter, .failure(let error)): return .failure(error)
            case (.filter, .success(.bool(let flag))): if flag { kept.append(item) }
            case (.all, .success(.bool(false))): return .success(.bool(false))
            case (.exists, .success(.bool(true))): return .success(.bool(true))
            case (.all, .success(.bool)), (.exists, .success(.bool)): continue
            case (_, .failure(let error)): firstError = firstError ?? error
            case (_, .success(let value)): return fail("\(macro.rawValue) needs a bool, not a \(value.typeName)")
            }
        }
        switch macro {
        case .map, .filter: return .success(.list(kept))
        case .all, .exists: return firstError.map { .failure($0) } ?? .success(.bool(macro == .all))
        }
    }
}
