#!/usr/bin/env bash
# NicheLM v1 training job for the lent GPU machine (also dry-runs on the CPU with a tiny model).
#
#   bash training/gpu_job.sh start     # set up, start the pipeline in the background, watch it, collect
#   bash training/gpu_job.sh watch     # keep watching a running pipeline (one call lasts at most WATCH_S)
#   bash training/gpu_job.sh collect   # metrics, plots, log and the PEFT adapter (tar, split) -> $OUT
#   bash training/gpu_job.sh collect-gguf   # the GGUF LoRA adapter (split in parts) -> $OUT
#   bash training/gpu_job.sh status
#
# The pipeline (runs detached, survives the call that started it):
#   1. dequantize the GGUF base once to bf16 safetensors ($DEQ, reused while the machine stays warm)
#   2. train (python -m nichelm.training.cli train; accelerate launch when NGPUS > 1)
#   3. convert the adapter to a GGUF LoRA (nichelm-convert lora) for llama.cpp's lora_path
# Every file lands in $WORK; `collect` copies what matters to $OUT (at most 8 files of <= 15 MiB).
#
# Environment (defaults for the GPU machine):
#   BASE=/root/base/model.gguf  CONFIG=lora_h100  DATA=.gpu/train/data.jsonl.gz  WORK=/root/nichelm-train
#   WHEELS=".whl .gpu/whl"  NGPUS=1  PYTHON=python3  WATCH_S=540  RESUME=0  SKIP_WHEELS=0
#   TRAIN_ARGS=""  (extra arguments for `train`, e.g. "--max-steps 20")  ADAPTER_NAME=nichelm-lora
set -uo pipefail

MODE=${1:-start}
BASE=${BASE:-/root/base/model.gguf}
CONFIG=${CONFIG:-lora_h100}
DATA=${DATA:-.gpu/train/data.jsonl.gz}
WORK=${WORK:-/root/nichelm-train}
WHEELS=${WHEELS:-.whl .gpu/whl}
NGPUS=${NGPUS:-1}
PYTHON=${PYTHON:-python3}
WATCH_S=${WATCH_S:-540}
RESUME=${RESUME:-0}
SKIP_WHEELS=${SKIP_WHEELS:-0}
TRAIN_ARGS=${TRAIN_ARGS:-}
case "$BASE" in /*) ;; *) BASE=$PWD/$BASE ;; esac
case "$WORK" in /*) ;; *) WORK=$PWD/$WORK ;; esac
SITE=${SITE:-$WORK/site}        # wheels that the machine lacks, installed here
SRC=$WORK/src                   # a copy of the package sources: the checkout may vanish after the call
DEQ=${DEQ:-$(dirname "$BASE")/dequantized}
RUN=$WORK/run
ADAPTER_NAME=${ADAPTER_NAME:-nichelm-lora}   # file name of the GGUF adapter (without .gguf)
ADAPTER_GGUF=$RUN/$ADAPTER_NAME.gguf
OUT=${OUT:-$WORK/out}

log() { echo "[gpu_job $(date -u +%H:%M:%S)] $*"; }

env_setup() {
  export PYTHONPATH="$SITE:$SRC${PYTHONPATH:+:$PYTHONPATH}"
  export TOKENIZERS_PARALLELISM=false HF_HUB_OFFLINE=1 TRANSFORMERS_OFFLINE=1 PYTHONUNBUFFERED=1
}

setup() {
  mkdir -p "$WORK" "$SITE" "$SRC/nichelm" "$RUN/data"
  # nichelm is a namespace package mapped from top-level folders: copy them under $SRC/nichelm/.
  for pkg in assistant training convert eval lsp; do
    rm -rf "${SRC:?}/nichelm/$pkg"; cp -r "$pkg" "$SRC/nichelm/$pkg"
  done
  if [ "$SKIP_WHEELS" != 1 ]; then
    # Install only the wheels whose module this Python cannot import (never shadow the machine's own).
    local missing
    missing=$(QLORA=$(case "$CONFIG" in *qlora*) echo 1 ;; esac) "$PYTHON" - $WHEELS <<'EOF'
import importlib.util, os, pathlib, sys
mods = {"trl": "trl", "datasets": "datasets", "dill": "dill", "multiprocess": "multiprocess", "xxhash": "xxhash",
        "gguf": "gguf", "sqlglot": "sqlglot", "fsspec": "fsspec", "pandas": "pandas", "bitsandbytes": "bitsandbytes",
        "diskcache": "diskcache"}
seen = set()
for d in sys.argv[1:]:
    for w in sorted(pathlib.Path(d).glob("*.whl")):
        dist = w.name.split("-")[0].lower()
        if dist == "bitsandbytes" and not os.environ.get("QLORA"):
            continue  # only QLoRA needs it; PEFT would otherwise import it for nothing
        if dist in mods and dist not in seen and importlib.util.find_spec(mods[dist]) is None:
            seen.add(dist)
            print(w)
EOF
)
    if [ -n "$missing" ]; then
      log "installing: $(echo "$missing" | xargs -n1 basename | tr '\n' ' ')"
      "$PYTHON" -m pip install -q --no-index --no-deps --target "$SITE" $missing || return 1
    fi
  fi
  case "$DATA" in
    *.gz) gunzip -c "$DATA" > "$RUN/data/data.jsonl"
          [ -f "${DATA%.jsonl.gz}.val.jsonl.gz" ] && gunzip -c "${DATA%.jsonl.gz}.val.jsonl.gz" > "$RUN/data/data.val.jsonl" ;;
    *)    cp "$DATA" "$RUN/data/data.jsonl"
          [ -f "${DATA%.jsonl}.val.jsonl" ] && cp "${DATA%.jsonl}.val.jsonl" "$RUN/data/data.val.jsonl" ;;
  esac
  env_setup
  "$PYTHON" -c "import torch, transformers, peft, trl, datasets, gguf, nichelm.training.train, nichelm.convert.lora_gguf; \
print('torch', torch.__version__, 'cuda', torch.cuda.is_available(), 'transformers', transformers.__version__, \
'peft', peft.__version__, 'trl', trl.__version__)" || return 1
  [ -f "$BASE" ] || { log "base model $BASE not found"; return 1; }
  wc -l "$RUN/data/"*.jsonl
}

pipeline() {
  env_setup
  echo $$ > "$WORK/pid"
  echo running > "$WORK/status"
  # step and rc are global on purpose: the EXIT trap reads them.
  step=setup; rc=0
  trap 'echo "failed at $step (rc=$rc)" > "$WORK/status"' EXIT
  step=dequantize
  if [ ! -f "$DEQ/config.json" ]; then
    "$PYTHON" -m nichelm.training.cli dequantize --base "$BASE" --out "$DEQ" || { rc=$?; exit $rc; }
  fi
  step=train
  local resume=""
  [ "$RESUME" = 1 ] && resume="--resume"
  local t0=$SECONDS
  if [ "$NGPUS" -gt 1 ]; then
    "$PYTHON" -m accelerate.commands.launch --multi_gpu --num_processes "$NGPUS" --mixed_precision bf16 -m nichelm.training.cli \
      train --config "$CONFIG" --data "$RUN/data/data.jsonl" --base "$DEQ" --out "$RUN" $resume $TRAIN_ARGS \
      || { rc=$?; exit $rc; }
  else
    "$PYTHON" -m nichelm.training.cli train --config "$CONFIG" --data "$RUN/data/data.jsonl" --base "$DEQ" \
      --out "$RUN" $resume $TRAIN_ARGS || { rc=$?; exit $rc; }
  fi
  log "train step took $((SECONDS - t0)) s"
  step=convert
  "$PYTHON" -m nichelm.convert.cli lora --adapter "$RUN/adapter" --base-gguf "$BASE" --out "$ADAPTER_GGUF" \
    --outtype f16 > "$RUN/convert.json" || { rc=$?; exit $rc; }
  cat "$RUN/convert.json"
  sha256sum "$ADAPTER_GGUF" | tee "$RUN/adapter.sha256"
  trap - EXIT
  echo done > "$WORK/status"
  log "pipeline done"
}

running() { [ -f "$WORK/pid" ] && kill -0 "$(cat "$WORK/pid")" 2>/dev/null; }

watch() {
  local deadline=$((SECONDS + WATCH_S)) last=""
  while running; do
    if [ $SECONDS -ge "$deadline" ]; then log "still running after ${WATCH_S}s: call 'watch' again"; return 0; fi
    sleep 10
    local line
    line=$(grep -a '^\[nichelm-train\|^\[gpu_job' "$WORK/pipeline.log" 2>/dev/null | tail -n 1)
    [ "$line" != "$last" ] && { echo "$line"; last=$line; }
  done
  log "pipeline ended: $(cat "$WORK/status" 2>/dev/null)"
}

collect() {
  mkdir -p "$OUT"
  for f in metrics.json loss.png token_accuracy.png convert.json; do
    [ -f "$RUN/$f" ] && cp "$RUN/$f" "$OUT/"
  done
  tail -c 2000000 "$WORK/pipeline.log" > "$OUT/pipeline.log" 2>/dev/null
  if [ -d "$RUN/adapter" ]; then
    # PEFT keeps LoRA weights in fp32 (74 MB at r=16): ship an f16 copy (37 MB), the precision of the GGUF.
    rm -rf "$WORK/ship" && mkdir -p "$WORK/ship/adapter"
    cp "$RUN/adapter/"*.json "$WORK/ship/adapter/"
    env_setup
    "$PYTHON" - "$RUN/adapter/adapter_model.safetensors" "$WORK/ship/adapter/adapter_model.safetensors" <<'PY'
import sys, torch
from safetensors.torch import load_file, save_file
save_file({k: v.to(torch.float16).contiguous() for k, v in load_file(sys.argv[1]).items()}, sys.argv[2],
          metadata={"format": "pt"})
PY
    for f in log_history.json progress.jsonl adapter.sha256; do [ -f "$RUN/$f" ] && cp "$RUN/$f" "$WORK/ship/"; done
    tar -C "$WORK/ship" -cf "$WORK/adapter.tar" .
    split -b 15M -d "$WORK/adapter.tar" "$OUT/adapter.tar.part-"
  fi
  ls -la "$OUT"
}

collect_gguf() {
  mkdir -p "$OUT"
  [ -f "$ADAPTER_GGUF" ] || { log "no $ADAPTER_GGUF yet"; return 1; }
  split -b 15M -d "$ADAPTER_GGUF" "$OUT/$ADAPTER_NAME.gguf.part-"
  cp "$RUN/adapter.sha256" "$OUT/" 2>/dev/null
  ls -la "$OUT"
}

case "$MODE" in
  start)
    if running; then log "a pipeline is already running (pid $(cat "$WORK/pid"))"; watch; collect; exit 0; fi
    mkdir -p "$WORK"; setup > "$WORK/setup.log" 2>&1 || { cat "$WORK/setup.log"; log "setup failed"; exit 1; }
    cat "$WORK/setup.log"
    : > "$WORK/pipeline.log"
    rm -f "$WORK/status"
    # Run a copy from $WORK: the checkout this call runs in may be gone before the pipeline ends.
    cp "$0" "$WORK/gpu_job.sh"
    (cd "$WORK" && export BASE CONFIG WORK NGPUS PYTHON RESUME TRAIN_ARGS SITE DEQ OUT ADAPTER_NAME && \
      setsid nohup bash "$WORK/gpu_job.sh" pipeline >> "$WORK/pipeline.log" 2>&1 < /dev/null &
      echo $! > "$WORK/pid")
    sleep 3
    watch
    collect ;;
  pipeline) pipeline ;;
  watch) watch; running || collect ;;
  collect) collect ;;
  collect-gguf) collect_gguf ;;
  status) echo "status: $(cat "$WORK/status" 2>/dev/null)"; running && echo "running (pid $(cat "$WORK/pid"))"
          grep -a '^\[nichelm-train' "$WORK/pipeline.log" 2>/dev/null | tail -n 3 ;;
  *) echo "usage: $0 start|watch|collect|collect-gguf|status" >&2; exit 2 ;;
esac
