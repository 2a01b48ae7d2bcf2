#!/usr/bin/env bash
# SVE-Math-Qwen2.5-7B on one node of 8 GPUs with the paper's hyper-parameters:
#   stage align    (router + projector, ZeRO-2), then
#   stage instruct (LLM + router + projector, ZeRO-3), each a separate launch (one DeepSpeed engine per process).
#
# Environment: LLM (Qwen2.5-Math-7B-Instruct hub id or directory), CLIP (open_clip tag or weights file),
# GEOGLIP (a trained GeoGLIP model directory, optional), ALIGN_JSON, QA_JSON, IMAGE_ROOT (Geo170K files),
# OUT (run directory), NGPU (default 8). Pass --dry-run to print the resolved recipe and DeepSpeed configs.
set -euo pipefail
NGPU=${NGPU:-8}
OUT=${OUT:-runs/sve-math-7b}
args=(
  model.llm="${LLM:-Qwen/Qwen2.5-Math-7B-Instruct}"
  model.clip.pretrained="${CLIP:-openai}"
  datasets.align.path="${ALIGN_JSON:-data/Geo170K/alignment.json}"
  datasets.align.image_root="${IMAGE_ROOT:-data/Geo170K/images}"
  datasets.qa.path="${QA_JSON:-data/Geo170K/qa_tuning.json}"
  datasets.qa.image_root="${IMAGE_ROOT:-data/Geo170K/images}"
)
if [ -n "${GEOGLIP:-}" ]; then args+=(model.weights_from.geoglip="$GEOGLIP"); fi
if [ "${1:-}" = "--dry-run" ]; then
  exec svemath train --recipe sve-math-qwen2.5-math-7b --out "$OUT" --dry-run --world-size "$NGPU" "${args[@]}"
fi
for stage in align instruct; do
  torchrun --nproc_per_node "$NGPU" -m svemath.cli train --recipe sve-math-qwen2.5-math-7b --out "$OUT" \
    --stage "$stage" --resume "${args[@]}"
done
