"""svemath.mllm: the HF-native SVE-Math model (config, model, processor, projector, tokenizer),
generation helpers and PRM scoring."""
