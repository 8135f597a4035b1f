/// Which tensors go into which weight file of a checkpoint being written.
public struct ShardPlan: Sendable {
    /// One weight file and its tensors in data order.
    public struct Shard: Sendable {
        public let file: String
        public let tensors: [TensorSpec]

        public init(file: String, tensors: [TensorSpec]) {
            self.file = file
            self.tensors = tensors
        }
    }

    public let shards: [Shard]
    /// Write `model.safetensors.index.json` naming each tensor's shard.
    public let indexed: Bool

    public init(shards: [Shard], indexed: Bool) {
        self.shards = shards
        self.indexed = indexed
    }

    /// The source's own file layout: same file names, same tensors per file, same order;
    /// `dtype` picks each tensor's output dtype. The names are the ones the layout uses
    /// (``Checkpoint/fileNames``): a shard reached through a symlink is written under
    /// the index's name, not its target's.
    public static func mirroring(_ source: Checkpoint, dtype: (TensorInfo) -> DType = { $0.dtype }) -> ShardPlan {
        let shards = zip(source.files, source.fileNames).map { file, name in
            Shard(file: name, tensors: file.tensors.map { TensorSpec(name: $0.name, dtype: dtype($0), shape: $0.shape) })
        }
        return ShardPlan(shards: shards, indexed: source.layout == .sharded)
    }
}

/// Writes the weight files of a checkpoint into an ``AtomicDirectory``, one tensor at a time.
public enum CheckpointWriter {
    /// Writes every shard of `plan` into `directory`, asking `produce` for each tensor's
    /// bytes in plan order (it must append exactly the tensor's size to the writer), then
    /// the index when the plan has one. The caller publishes or abandons the directory.
    public static func write(
        _ plan: ShardPlan,
        into directory: AtomicDirectory,
        metadata: [String: String] = [:],
        produce: (TensorSpec, SafeTensorsWriter) throws -> Void
    ) throws {
        var totalSize = 0
        var weightMap: [(String, String)] = []
        for shard in plan.shards {
            let writer = try SafeTensorsWriter(path: directory.path(shard.file), tensors: shard.tensors, metadata: metadata)
            for spec in shard.tensors {
                try produce(spec, writer)
                totalSize += spec.byteCount
                weightMap.append((spec.name, shard.file))
            }
            try writer.finish()
        }
        if plan.indexed {
            weightMap.sort { $0.0.utf8.lexicographicallyPrecedes($1.0.utf8) }
            let entries = weightMap.map { "    " + JSONWriter.quote($0.0) + ": " + JSONWriter.quote($0.1) }
            let index = "{\n  \"metadata\": {\"total_size\": \(totalSize)},\n  \"weight_map\": {\n"
                + entries.joined(separator: ",\n") + "\n  }\n}\n"
            try directory.writeFile("model.safetensors.index.json", contents: index)
        }
    }
}
