#!/usr/bin/env bash
# Merged models as a CPU user serves them, evaluated on the GPU machine (a card runs several evaluations at
# once; the CPU here needs an hour for each): fold LORA into the base once (f16, `nichelm-convert merge-lora`),
# quantize it to each QTYPE with llama.cpp's quantizer, then run every job detached, as the daemon serves on a
# CPU: repair and checks, no retries on an empty result (assistant/service.py RETRY_EMPTY).
#   merged_eval.sh start LORA "Q4_K_M Q5_K_M ..." CARD:MODEL:SET [CARD:MODEL:SET ...]
#       MODEL: one of the QTYPEs, or "adapter" (the base with LORA applied at run time, for the pairing)
#       SET: ecommerce or spider-dev; results go to /root/runs/LABEL-MODEL-SET (eval.sh pack brings them back)
#   merged_eval.sh status
# LABEL (default merged) names the work folder /root/LABEL and the runs /root/runs/LABEL-MODEL-SET, so that two
# adapters can be evaluated at once. EVAL_ARGS adds options to every evaluation (e.g. "--limit 3" for a dry run on the CPU).
# Needs: start.sh, join_halves.sh (the base in /root/base/model.gguf). Run from the checkout's root.
set -u
L=${LABEL:-merged}
M=/root/$L
case "${1:-}" in
  start)
    shift
    mkdir -p $M && rm -f $M/status
    rm -rf /root/$L-code && mkdir -p /root/$L-code  # a copy: this call's checkout may be gone first
    tar --exclude='./.x*' -cf - . | tar -C /root/$L-code -xf -
    cd /root/$L-code
    LABEL=$L setsid nohup bash scripts/gpu/merged_eval.sh steps "$@" > $M/merged.log 2>&1 < /dev/null &
    echo "started merged evaluations: $*" ;;
  steps)
    shift; lora=$1 qtypes=$2; shift 2
    export NICHELM_NS=/root/ns-$L
    source scripts/gpu/env.sh
    bash scripts/gpu/install_llama.sh || exit 1
    # no QTYPE ("" : the adapter alone, as a CPU user serves it) needs no merge
    [ -z "$qtypes" ] || [ -f $M/F16.gguf ] || python3 -m nichelm.convert.cli merge-lora --base /root/base/model.gguf \
      --lora "$lora" --out $M/F16.gguf --qtype F16 > $M/merge.json 2> $M/merge.log || { tail -5 $M/merge.log; exit 1; }
    for q in $qtypes; do
      python3 -c "import sys; from nichelm.convert.merge import quantize; quantize(*sys.argv[1:])" \
        $M/F16.gguf $M/$q.gguf $q > $M/quantize-$q.log 2>&1 &
    done
    wait
    [ -z "$qtypes" ] || (cd $M && sha256sum *.gguf | tee sha256.txt)
    echo "[merged] quantized $(date -u +%T)"
    mkdir -p /root/runs
    for job in "$@"; do
      IFS=: read -r card model set <<< "$job"
      if [ "$model" = adapter ]; then m=(--model /root/base/model.gguf --lora "$lora")
      else m=(--model $M/$model.gguf); fi
      CUDA_VISIBLE_DEVICES=$card python3 -m nichelm.eval.cli run --backend local "${m[@]}" --dataset $set \
        --out /root/runs/$L-$model-$set --label $L-$model --quiet --repair --retry-empty 0 ${EVAL_ARGS:-} \
        > /root/runs/$L-$model-$set.log 2>&1 &
    done
    wait
    for job in "$@"; do IFS=: read -r card model set <<< "$job"; tail -n 3 /root/runs/$L-$model-$set.log; done
    echo "[merged] done $(date -u +%T)"
    echo done > $M/status ;;
  status)
    tail -n 3 $M/merged.log; cat $M/status 2>/dev/null
    for f in /root/runs/$L-*.log; do [ -f "$f" ] && echo "$f: $(grep -c . "${f%.log}/predictions.jsonl" 2>/dev/null)"; done ;;
esac
