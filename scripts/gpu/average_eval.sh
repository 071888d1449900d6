#!/usr/bin/env bash
# After train_seeds.sh on the GPU machine, detached (survives the call that starts it): wait for the seed
# runs, average their GGUF adapters cut to rank 8, then evaluate the average on both sets (one card each,
# as the daemon serves on a GPU: repair, checks, retries) beside the daemon latency benchmark on a third card.
#   [CARDS="0 1 2"] average_eval.sh start LABEL SEED [SEED...]   (LABEL as given to train_seeds.sh)
#   [CARDS="3"] average_eval.sh start-adapter LABEL GGUF          the same steps for an adapter that exists (on one
#                                                                 card: both sets side by side, then the latency)
#   [NAME=v9v10v12] [EXTRA="A.gguf B.gguf"] average_eval.sh average LABEL SEED...
#                                                                 the average alone (of the runs and EXTRA's adapters)
#   average_eval.sh status
#   average_eval.sh pack        # every seed's metrics, plots, log and sha, the runs and latency -> $OUT/avg.tgz
#   average_eval.sh adapters    # the averaged adapter and each seed's, split in 15 MB parts -> $OUT (a call each
#                               # three adapters at most (64 MiB): PART=0, then PART=1)
# EVAL_ARGS and LAT_ARGS add options to the evaluation and the benchmark (e.g. "--limit 3", "--dbs 1 --per-db 2"
# for a dry run on the CPU).
# Needs: start.sh, join_halves.sh, train_seeds.sh (the runs in /root/seed-LABEL-SEED). Run from the checkout's root.
set -u
A=/root/avg
case "${1:-}" in
  start|start-adapter)
    mode=$1; shift; label=$1; shift
    mkdir -p $A && rm -f $A/status-$label
    # run from a copy: the checkout this call runs in may be gone before the steps end
    rm -rf /root/avgcode-$label && mkdir -p /root/avgcode-$label
    tar --exclude='./.x*' -cf - . | tar -C /root/avgcode-$label -xf -
    cd /root/avgcode-$label
    step=steps; [ "$mode" = start-adapter ] && step=evaluate
    CARDS=${CARDS:-0 1 2} setsid nohup bash scripts/gpu/average_eval.sh $step "$label" "$@" > $A/$label.log 2>&1 < /dev/null &
    echo "started $step $label: $*" ;;
  steps)
    shift; label=$1
    bash scripts/gpu/average_eval.sh average "$@" || exit 1
    bash scripts/gpu/average_eval.sh evaluate "$label" $A/nichelm-$label-lora.gguf ;;
  average)  # LABEL SEED...: wait for the runs, average them (and $EXTRA's GGUF adapters) into $A/nichelm-NAME-lora.gguf
    shift; label=$1; shift; name=${NAME:-$label}
    mkdir -p $A
    export NICHELM_NS=/root/ns-$label
    source scripts/gpu/env.sh
    # the averaging reads GGUF files: the training runs install the gguf wheel into their own site, not this one
    python3 -c "import gguf" 2>/dev/null ||
      python3 -m pip install -q --no-index --no-deps --target /root/site /root/whl/gguf-*.whl || exit 1
    files=""
    for s in "$@"; do
      w=/root/seed-$label-$s
      while [ "$(cat $w/status 2>/dev/null)" = running ] && kill -0 "$(cat $w/pid)" 2>/dev/null; do sleep 10; done
      if [ "$(cat $w/status 2>/dev/null)" = done ]; then files="$files $w/run/nichelm-$label-seed$s-lora.gguf"
      else echo "[avg] seed $s not used: $(cat $w/status 2>/dev/null)"; fi
    done
    files="$files ${EXTRA:-}"
    echo "[avg] averaging into $name:$files $(date -u +%T)"
    [ -n "${files// /}" ] || exit 1
    python3 -m nichelm.convert.cli average $files --rank 8 --out $A/nichelm-$name-lora.gguf > $A/average_rank8-$name.json || exit 1
    (cd $A && sha256sum nichelm-$name-lora.gguf | tee adapter-$name.sha256) ;;
  evaluate)  # LABEL GGUF: both sets, as served on a GPU, and the daemon latency; a card each when there are 3
    label=$2 lora=$3
    export NICHELM_NS=/root/ns-$label
    source scripts/gpu/env.sh
    bash scripts/gpu/install_llama.sh || exit 1
    cards=($CARDS)
    lat() {
      CUDA_VISIBLE_DEVICES=$1 python3 benchmarks/daemon_latency.py --model /root/base/model.gguf --spider /root/spider \
        --lora "$lora" --out $A/daemon_latency_gpu_$label.json ${LAT_ARGS:-} > $A/latency-$label.log 2>&1
      echo "[avg] $label latency rc=$? $(date -u +%T)"
    }
    SETS="ecommerce spider-dev" CARDS="${cards[0]} ${cards[1]:-${cards[0]}}" bash scripts/gpu/eval.sh $label \
      --lora "$lora" --repair --retry-empty 4 ${EVAL_ARGS:-} > $A/eval-$label.log 2>&1 &
    ev=$!
    [ ${#cards[@]} -ge 3 ] && lat ${cards[2]}
    wait $ev
    echo "[avg] $label evals done $(date -u +%T)"
    [ ${#cards[@]} -ge 3 ] || lat ${cards[0]}
    echo done > $A/status-$label ;;
  status)
    for f in $A/*.log; do echo "$f: $(tail -n 2 $f | tr '\n' ' ')"; done
    ls $A/status-* 2>/dev/null
    for f in /root/runs/*.log; do [ -f "$f" ] && echo "$f: $(grep -c . "${f%.log}/predictions.jsonl" 2>/dev/null)"; done ;;
  pack)
    mkdir -p $A/pack
    for w in /root/seed-*/; do
      n=$(basename $w); mkdir -p $A/pack/$n
      for f in metrics.json loss.png token_accuracy.png convert.json adapter.sha256; do cp $w/run/$f $A/pack/$n/ 2>/dev/null; done
      tail -c 2000000 $w/pipeline.log > $A/pack/$n/pipeline.log 2>/dev/null
    done
    cp $A/*.json $A/*.log $A/adapter*.sha256 $A/pack/ 2>/dev/null
    rm -rf $A/pack/runs && cp -r /root/runs $A/pack/runs 2>/dev/null
    tar -C $A/pack -czf "$OUT/avg.tgz" . && ls -la "$OUT" ;;
  adapters)
    for g in $A/nichelm-*-lora.gguf /root/seed-*/run/nichelm-*-seed*-lora.gguf; do
      [ -f "$g" ] && split -b 15M -d "$g" /root/parts-$(basename $g).part-
    done
    ls /root/parts-* | sort | awk -v p="${PART:-all}" 'p == "all" || int((NR - 1) / 6) == int(p)' | xargs -I{} cp {} "$OUT/"
    ls -la "$OUT" ;;
esac
