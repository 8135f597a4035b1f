import Foundation
import TOMLKit

/// Reads one TOML table with typed accessors whose errors name the key and its line,
/// remembering which keys were used so the rest can be reported as unknown.
///
/// Generic: the schema (which keys, defaults, ranges) is in `Configuration+TOML.swift`.
final class TOMLTableReader {
    struct Context {
        let file: String
        let lines: TOMLKeyLines
        let directory: String
    }

    let table: TOMLTable
    let path: String
    let context: Context
    private var used: Set<String> = []

    init(table: TOMLTable, path: String, context: Context) {
        self.table = table
        self.path = path
        self.context = context
    }

    func key(_ name: String) -> String { path.isEmpty ? name : "\(path).\(name)" }

    func error(_ name: String?, _ message: String) -> ConfigurationError {
        let full = name.map(key) ?? (path.isEmpty ? nil : path)
        return ConfigurationError(file: context.file, key: full, line: full.flatMap(context.lines.line(of:)), message: message)
    }

    func value(_ name: String) -> TOMLValueConvertible? {
        used.insert(name)
        return table[name]
    }

    private func typeName(_ value: TOMLValueConvertible) -> String {
        switch value.type {
        case .bool: "a boolean"
        case .int: "an integer"
        case .double: "a float"
        case .string: "a string"
        case .table: "a table"
        case .array: "an array"
        default: "a date or time"
        }
    }

    func string(_ name: String) throws(ConfigurationError) -> String? {
        guard let value = value(name) else { return nil }
        guard let string = value.string else { throw error(name, "must be a string, not \(typeName(value))") }
        return string
    }

    func requiredString(_ name: String) throws(ConfigurationError) -> String {
        guard let string = try string(name) else { throw error(name, "is required") }
        guard !string.isEmpty else { throw error(name, "must not be empty") }
        return string
    }

    /// A path: `~` is not expanded (systemd services have no home); relative paths are
    /// taken from the configuration file's directory.
    func path(_ name: String, required: Bool) throws(ConfigurationError) -> String? {
        guard let raw = required ? try requiredString(name) : try string(name), !raw.isEmpty else { return nil }
        return LexicalPath.normalized(raw, relativeTo: context.directory)
    }

    func number(_ name: String, default fallback: Double?, minimum: Double? = nil, positive: Bool = false) throws(ConfigurationError) -> Double? {
        guard let value = value(name) else { return fallback }
        let number: Double
        if let double = value.double { number = double } else if let int = value.int { number = Double(int) } else {
            throw error(name, "must be a number, not \(typeName(value))")
        }
        guard number.isFinite else { throw error(name, "must be finite") }
        if positive, !(number > 0) { throw error(name, "must be greater than 0") }
        if let minimum, number < minimum { throw error(name, "must be at least \(minimum)") }
        return number
    }

    func bool(_ name: String, default fallback: Bool) throws(ConfigurationError) -> Bool {
        guard let value = value(name) else { return fallback }
        guard let bool = value.bool else { throw error(name, "must be true or false, not \(typeName(value))") }
        return bool
    }

    func strings(_ name: String) throws(ConfigurationError) -> [String] {
        guard let value = value(name) else { throw error(name, "is required") }
        if let single = value.string { return [single] }
        guard let array = value.array else { throw error(name, "must be an array of strings, not \(typeName(value))") }
        var result: [String] = []
        for (i, element) in array.enumerated() {
            guard let string = element.string, !string.isEmpty else { throw error("\(name)[\(i)]", "must be a non-empty string") }
            result.append(string)
        }
        guard !result.isEmpty else { throw error(name, "must list at least one directory") }
        return result
    }

    func table(_ name: String) throws(ConfigurationError) -> TOMLTableReader? {
        guard let value = value(name) else { return nil }
        guard let table = value.table else { throw error(name, "must be a table ([\(key(name))]), not \(typeName(value))") }
        return TOMLTableReader(table: table, path: key(name), context: context)
    }

    func tables(_ name: String) throws(ConfigurationError) -> [TOMLTableReader] {
        guard let value = value(name) else { return [] }
        guard let array = value.array else { throw error(name, "must be an array of tables ([[\(key(name))]]), not \(typeName(value))") }
        var result: [TOMLTableReader] = []
        for (i, element) in array.enumerated() {
            guard let table = element.table else { throw error("\(name)[\(i)]", "must be a table") }
            result.append(TOMLTableReader(table: table, path: "\(key(name))[\(i)]", context: context))
        }
        return result
    }

    /// Throws for the first key that was never read: a typo or an option this version
    /// does not have.
    func rejectUnknownKeys() throws(ConfigurationError) {
        for key in table.keys.sorted() where !used.contains(key) {
            throw error(key, "unknown key")
        }
    }

    /// A non-empty array of non-negative numbers.
    func numbers(_ name: String, default fallback: [Double]) throws(ConfigurationError) -> [Double] {
        guard let value = table[name] else { return fallback }
        _ = self.value(name)
        guard let array = value.array, !array.isEmpty else { throw error(name, "must be a non-empty array of numbers") }
        var result: [Double] = []
        for element in array {
            guard let number = element.double ?? element.int.map(Double.init), number.isFinite, number >= 0 else {
                throw error(name, "must hold non-negative numbers")
            }
            result.append(number)
        }
        return result
    }
}
