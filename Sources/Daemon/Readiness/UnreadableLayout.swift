/// A checkpoint layout retaind cannot read, recognised from its names alone, with what
/// the operator can do about it.
///
/// A run that saves in such a layout would otherwise be skipped without a word, and
/// the operator would believe it was checked; instead the checkpoint is `rejected`
/// with this reason.
enum UnreadableLayout: Equatable, Sendable {
    /// `pytorch_model*.bin`: pickled weights.
    case pickle
    /// `pytorch_model_fsdp_*`: FSDP's sharded state dict.
    case fsdpSharded
    /// `global_step*/` without consolidated weights: DeepSpeed ZeRO partitions.
    case deepSpeedPartitions
    /// `*.distcp` or Megatron `mp_rank_*`: NeMo/Megatron distributed checkpoints.
    case distributed

    /// The layout `files` and `directories` (names directly inside a checkpoint
    /// directory that holds no safetensors weights) announce, or nil when they look like
    /// no checkpoint at all (an `evals/` folder, a tokenizer-only directory).
    static func detect(files: [String], directories: [String]) -> UnreadableLayout? {
        let names = files + directories
        if names.contains(where: { $0.hasPrefix("pytorch_model_fsdp") }) { return .fsdpSharded }
        if files.contains(where: { $0.hasSuffix(".distcp") })
            || directories.contains(where: { $0.hasPrefix("mp_rank_") || $0 == "model_weights" }) { return .distributed }
        if directories.contains(where: { $0.hasPrefix("global_step") }) { return .deepSpeedPartitions }
        if files.contains(where: { $0.hasPrefix("pytorch_model") && ($0.hasSuffix(".bin") || $0.hasSuffix(".bin.index.json")) }) {
            return .pickle
        }
        return nil
    }

    /// Why the checkpoint is rejected, and how to save one retaind can read.
    var reason: String {
        switch self {
        case .pickle:
            return """
                weights are pickled PyTorch (pytorch_model*.bin), which retaind does not read: save with safetensors \
                (save_pretrained(..., safe_serialization=True), the default since transformers 4.35; Trainer: save_safetensors=True)
                """
        case .fsdpSharded:
            return """
                weights are FSDP's sharded state dict (pytorch_model_fsdp_*): save a full state dict \
                (fsdp_state_dict_type: FULL_STATE_DICT) or merge the shards with `accelerate merge-weights`
                """
        case .deepSpeedPartitions:
            return """
                weights are DeepSpeed ZeRO partitions (global_step*/) with no consolidated model: set \
                stage3_gather_16bit_weights_on_model_save: true in the DeepSpeed config, or run the zero_to_fp32.py \
                script saved in the checkpoint
                """
        case .distributed:
            return """
                weights are a NeMo/Megatron distributed checkpoint (torch.distributed.checkpoint shards): export it to \
                Hugging Face format with safetensors (NeMo's export, or Megatron's checkpoint converter) and watch that
                """
        }
    }
}
