/// How a checkpoint stores its tensors.
public enum CheckpointLayout: String, Sendable, Codable {
    /// `model.safetensors` beside `config.json`.
    case single
    /// Shards listed by `model.safetensors.index.json`.
    case sharded
    /// A PEFT LoRA adapter (`adapter_config.json` + `adapter_model.safetensors`).
    case lora
    /// A bare `.safetensors` file, for inspection.
    case file

    /// The layout a directory's file names announce, or nil when it holds no weights
    /// (an `evals/` folder, a tokenizer-only directory). Cheap: only checks names exist,
    /// with `lstat`, opening nothing. Whatever is there counts, a FIFO, a socket or a
    /// dangling symlink too: the layout stays detectable and `Checkpoint.open` then
    /// refuses the file with its reason, instead of the directory passing for weightless.
    public static func detect(directory: String) -> CheckpointLayout? {
        let dir = directory.hasSuffix("/") ? directory : directory + "/"
        if SmallFile.exists(dir + "adapter_config.json") { return .lora }
        if SmallFile.exists(dir + "model.safetensors.index.json") { return .sharded }
        if SmallFile.exists(dir + "model.safetensors") { return .single }
        return nil
    }
}
