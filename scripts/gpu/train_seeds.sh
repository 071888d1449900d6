#!/usr/bin/env bash
# Train a recipe (config $CONFIG, default nichelm_v2; data $DATA, default v2's) with given seeds on the GPU
# machine, detached:
#   [CONFIG=nichelm_v7] [DATA=/root/v8/data.jsonl.gz] [LABEL=v8] train_seeds.sh SEED [SEED...]
#       each run in /root/seed-V-SEED (V: $LABEL, default the config's name without "nichelm_"), GGUF adapter
#       nichelm-V-seedSEED-lora.gguf in /root/seed-V-SEED/run/
#   train_seeds.sh status              one line per run
# The bf16 base is dequantized once, here, before any run starts (runs started together would race to
# write it). On a machine of several GPUs each run gets a card of its own (CUDA_VISIBLE_DEVICES), one run a
# card. On one card, runs start side by side while it has about 45 GiB for each (v2 peaks at 41 GiB) and
# 10 GiB to spare for evaluations: two on an H200, one on an H100. Seeds that find no room are left for a
# later call. Two runs on one card share its throughput (seventeenth session, H200: about 3.7 k tokens/s each
# side by side, 7-8.5 k alone), so two runs side by side take as long as one after the other: when time is
# short, start fewer seeds.
# Needs: start.sh, join_halves.sh, and .whl copied to /root/whl. Run from the checkout's root.
set -u
DEQ=/root/base/dequantized
CONFIG=${CONFIG:-nichelm_v2}
V=${LABEL:-${CONFIG#nichelm_}}
DATA=${DATA:-/root/gpu/train/data.jsonl.gz}
if [ "${1:-}" = status ]; then   # safe beside running evaluations: does not source env.sh (which recopies the code)
  for w in /root/seed-*; do
    [ -d $w ] || continue
    echo "$w$(cat $w.gpu 2>/dev/null | sed 's/^/ (card /;s/$/)/'): $(cat $w/status 2>/dev/null) $(grep -a '^\[nichelm-train' $w/pipeline.log 2>/dev/null | tail -n 1)"
  done
  nvidia-smi --query-gpu=memory.used,memory.total,utilization.gpu --format=csv,noheader
  exit 0
fi
source "$(dirname "$0")/env.sh"
if [ ! -f $DEQ/config.json ]; then
  python3 -m pip install -q --no-index --no-deps --no-compile --target /root/tsite /root/whl/gguf-*.whl || exit 1
  PYTHONPATH=/root/tsite:$PYTHONPATH python3 -m nichelm.training.cli dequantize --base /root/base/model.gguf \
    --out $DEQ || exit 1
fi
total=$(nvidia-smi --query-gpu=memory.total --format=csv,noheader,nounits | head -n 1)
ngpus=$(nvidia-smi -L | wc -l)
alive() { for w in /root/seed-*; do [ -f $w/pid ] && kill -0 "$(cat $w/pid)" 2>/dev/null && echo $w; done; }
running=$(alive | wc -l)
taken=$(for w in $(alive); do cat $w.gpu 2>/dev/null; done)   # cards with a run (one a line)
for seed in "$@"; do
  gpu=""
  if [ "$ngpus" -gt 1 ]; then
    for g in $(seq 0 $((ngpus - 1))); do echo "$taken" | grep -qx "$g" || { gpu=$g; break; }; done
    [ -n "$gpu" ] || { echo "seed $seed not started: every one of the $ngpus cards has a run"; continue; }
  elif [ "$total" -lt $((46000 * (running + 1) + 10000)) ]; then
    echo "seed $seed not started: $running run(s) already on a card of $total MiB"; continue
  fi
  running=$((running + 1))
  w=/root/seed-$V-$seed
  [ -n "$gpu" ] && { echo "$gpu" > $w.gpu; taken=$(printf '%s\n%s' "$taken" "$gpu"); }
  env ${gpu:+CUDA_VISIBLE_DEVICES=$gpu} DEQ=$DEQ WORK=$w CONFIG=$CONFIG TRAIN_ARGS="--seed $seed" \
    ADAPTER_NAME=nichelm-$V-seed$seed-lora DATA=$DATA WHEELS="/root/whl /root/gpu/whl" \
    WATCH_S=1 OUT=$w/out bash training/gpu_job.sh start > $w.start.log 2>&1
  # (to a file, never a pipe: the detached pipeline's parent subshell keeps a pipe open until training ends)
  echo "seed $seed${gpu:+ on card $gpu}:"; tail -n 3 $w.start.log
done
