#!/usr/bin/env bash
# Baselines of the base model (Qwen2.5-Coder-1.5B-Instruct Q4_K_M through the same llama.cpp engine the
# daemon uses) on all 500 e-commerce questions and the 972 runnable Spider dev questions.
#
#   eval/baseline.sh [MODEL] [RUNS_DIR] [extra nichelm-eval run options...]
#   LIMIT=20 eval/baseline.sh                        # a quick partial run
#   eval/baseline.sh /work/models/qwen2.5-coder-1.5b-instruct-q4_k_m.gguf runs --workers 4   # GPU box
#
# Runs are resumable: rerun the same command after an interruption. On a GPU machine llama.cpp must
# be built with CUDA for the layers to be offloaded (metrics.json records gpu_layers); with a CUDA
# build, --workers K runs K model instances on the card in parallel.
set -euo pipefail
MODEL=${1:-/work/models/qwen2.5-coder-1.5b-instruct-q4_k_m.gguf}
RUNS=${2:-runs}
shift $(( $# > 2 ? 2 : $# ))
LIMIT_ARGS=()
SUFFIX=""
if [[ -n "${LIMIT:-}" ]]; then LIMIT_ARGS=(--limit "$LIMIT"); SUFFIX="-first$LIMIT"; fi
for DATASET in ecommerce spider-dev; do
  nichelm-eval run --backend local --model "$MODEL" --label "qwen2.5-coder-1.5b (base)" \
    --dataset "$DATASET" "${LIMIT_ARGS[@]}" --out "$RUNS/base-1.5b-$DATASET$SUFFIX" "$@"
done
nichelm-eval compare "$RUNS"/base-1.5b-*"$SUFFIX"
