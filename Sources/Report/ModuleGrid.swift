import History

/// Module figures arranged by transformer layer and module kind
/// (`model.layers.3.self_attn.q_proj` → layer 3, kind `q`): the heatmap's grid.
public struct ModuleGrid: Sendable, Equatable {
    /// Layer numbers present, ascending (the x axis).
    public var layers: [Int]
    /// Module kinds present: q, k, v, o, gate, up, down first, then others by name (the y axis).
    public var kinds: [String]
    /// `modules[kind index][layer index]`, nil where the model has no such module.
    public var cells: [[ModuleRecord?]]
    /// Modules whose name has no layer number (embeddings, the head), by name.
    public var outside: [ModuleRecord]

    /// The conventional order of Llama-family projections.
    static let knownKinds = ["q", "k", "v", "o", "gate", "up", "down"]

    /// The grid of `modules`.
    public init(_ modules: [ModuleRecord]) {
        var placed: [(layer: Int, kind: String, module: ModuleRecord)] = []
        var outside: [ModuleRecord] = []
        for module in modules {
            if let (layer, kind) = Self.position(of: module.name) { placed.append((layer, kind, module)) } else { outside.append(module) }
        }
        layers = Array(Set(placed.map(\.layer))).sorted()
        let present = Set(placed.map(\.kind))
        kinds = Self.knownKinds.filter(present.contains) + present.subtracting(Self.knownKinds).sorted()
        let layerIndex = Dictionary(uniqueKeysWithValues: layers.enumerated().map { ($1, $0) })
        let kindIndex = Dictionary(uniqueKeysWithValues: kinds.enumerated().map { ($1, $0) })
        var cells = [[ModuleRecord?]](repeating: [ModuleRecord?](repeating: nil, count: layers.count), count: kinds.count)
        for entry in placed { cells[kindIndex[entry.kind]!][layerIndex[entry.layer]!] = entry.module }
        self.cells = cells
        self.outside = outside.sorted { $0.name < $1.name }
    }

    /// The layer and kind a module name encodes: the number after a `layers`/`h`/`blocks`
    /// component, and the last component without `_proj`. nil without a layer number.
    public static func position(of name: String) -> (layer: Int, kind: String)? {
        let parts = name.split(separator: ".").map(String.init)
        guard let i = parts.indices.dropLast().first(where: { ["layers", "layer", "h", "blocks"].contains(parts[$0]) && Int(parts[$0 + 1]) != nil }),
              let layer = Int(parts[i + 1]), i + 2 < parts.count else { return nil }
        var kind = parts.last!
        if kind == "weight", parts.count > i + 3 { kind = parts[parts.count - 2] }
        if kind.hasSuffix("_proj") { kind.removeLast(5) }
        return (layer, kind)
    }
}
