#!/usr/bin/env bash
# Everything after a training run on the GPU machine, detached (survives the call that starts it):
#   after_train.sh start LABEL ADAPTER_NAME    # then `after_train.sh watch` until it says done
# (the training call copies the carried wheels to /root/whl for the QLoRA probe)
#   after_train.sh pack                        # results -> $OUT/after.tgz
# Steps (in /root/after/LABEL): evaluation on both sets (two llama.cpp processes) beside a short QLoRA probe
# run and the merge to one Q4_K_M GGUF (CPU); then the two parity reports (base + GGUF LoRA, and the merged
# GGUF, each against transformers + PEFT); last, alone on the card, the daemon latency benchmark.
set -u
RUN=/root/nichelm-train/run
A=/root/after
case "${1:-}" in
  start)
    label=$2 name=$3
    mkdir -p $A/$label /root/merged
    # run from a copy: the checkout this call runs in may be gone before the steps end
    rm -rf /root/checkout && mkdir -p /root/checkout && tar --exclude='./.x*' -cf - . | tar -C /root/checkout -xf -
    cd /root/checkout
    setsid nohup bash scripts/gpu/after_train.sh steps "$label" "$name" > $A/$label/steps.log 2>&1 < /dev/null &
    echo $! > $A/pid
    echo "started $label" ;;
  steps)
    label=$2 name=$3 d=$A/$2
    source scripts/gpu/env.sh
    lora=$RUN/$name.gguf
    bash scripts/gpu/install_llama.sh || exit 1
    echo "[after] evals + qlora probe + merge $(date -u +%T)"
    bash scripts/gpu/eval.sh "$label" --lora "$lora" --examples 3 > $d/eval.log 2>&1 &
    ev=$!
    (WORK=/root/qlora SITE=/root/nichelm-train/site WHEELS="/root/whl /root/gpu/whl" CONFIG=qlora_24gb DATA=/root/gpu/train/data.jsonl.gz TRAIN_ARGS="--max-steps 40" \
       ADAPTER_NAME=qlora-probe WATCH_S=900 OUT=$d/qlora bash training/gpu_job.sh start > $d/qlora.log 2>&1) &
    ql=$!
    python3 -m nichelm.convert.cli merge --adapter $RUN/adapter --base /root/base/model.gguf \
      --out /root/merged/$name-merged-q4_k_m.gguf > $d/merge.log 2>&1
    echo "[after] merge rc=$? $(date -u +%T)"
    wait $ev; echo "[after] evals done $(date -u +%T)"
    wait $ql; echo "[after] qlora done $(date -u +%T)"
    python3 -m nichelm.convert.cli parity --adapter $RUN/adapter --adapter-gguf $lora --base-gguf /root/base/model.gguf \
      --n 50 --out $d/parity_lora.json > $d/parity_lora.log 2>&1
    echo "[after] parity lora rc=$? $(date -u +%T)"
    python3 -m nichelm.convert.cli parity --adapter $RUN/adapter --adapter-gguf "" --base-gguf /root/base/model.gguf \
      --llama-gguf /root/merged/$name-merged-q4_k_m.gguf --n 50 --out $d/parity_merged.json > $d/parity_merged.log 2>&1
    echo "[after] parity merged rc=$? $(date -u +%T)"
    python3 benchmarks/daemon_latency.py --model /root/base/model.gguf --spider /root/spider --lora $lora \
      --out $d/daemon_latency_h100.json > $d/latency.log 2>&1
    echo "[after] latency rc=$? $(date -u +%T)"
    echo done > $d/status ;;
  watch)
    for _ in $(seq 1 ${WATCH_S:-540}); do
      [ -n "$(ls $A/*/status 2>/dev/null)" ] && break
      kill -0 "$(cat $A/pid)" 2>/dev/null || { echo "steps ended without finishing"; break; }
      sleep 1
    done
    tail -n 20 $A/*/steps.log ;;
  pack)
    cp -r /root/runs $A/runs 2>/dev/null
    tar -C $A --exclude='*.gguf' -czf "$OUT/after.tgz" . && ls -la "$OUT" ;;
esac
