#!/usr/bin/env bash
# After train_seeds.sh, detached (survives the call that starts it): wait for the runs of LABEL, average them
# (rank 8) into nichelm-LABEL-lora.gguf and, when EXTRA names other run files, all of them together into
# nichelm-$EXTRA_NAME-lora.gguf; then evaluate each average on both sets with fast_eval.sh, one set a card
# (cards 0-3; fewer cards share), results packed into /root/sfe-out/runs.tgz.
#   [EXTRA="A.gguf ..." EXTRA_NAME=NAME] [WORKERS=6] [DEADLINE_S=300] seeds_fast_eval.sh start LABEL SEED...
#   ALSO="SEED SEED" ALSO_NAME=NAME (instead of EXTRA): also the average of those of the seeds alone, as
#       nichelm-NAME-lora.gguf, evaluated on cards 2-3 (four runs and the first two of them, side by side)
#   CPU_SETTINGS=1 (without EXTRA): the average also with the CPU's settings (RETRY_EMPTY=0, label LABELcpu),
#       both sets at once on cards 2-3
#   seeds_fast_eval.sh status
# Needs: start.sh, join_halves.sh, train_seeds.sh. Run from the checkout's root (carry .spider in the call).
set -u
S=/root/sfe
case "${1:-}" in
  start)
    shift
    rm -rf $S && mkdir -p $S/code /root/sfe-out
    tar --exclude='./.x*' -cf - . | tar -C $S/code -xf -   # the call's checkout may be gone before the steps end
    cd $S/code
    setsid nohup bash scripts/gpu/seeds_fast_eval.sh steps "$@" > $S/steps.log 2>&1 < /dev/null &
    echo "started: $*" ;;
  steps)
    shift; label=$1
    A=/root/avg
    EXTRA= bash scripts/gpu/average_eval.sh average "$@" || exit 1
    jobs_="0:$label:$A/nichelm-$label-lora.gguf:ecommerce 1:$label:$A/nichelm-$label-lora.gguf:spider-dev"
    if [ -n "${EXTRA:-}" ]; then
      NAME=$EXTRA_NAME bash scripts/gpu/average_eval.sh average "$@" || exit 1
      g=$A/nichelm-$EXTRA_NAME-lora.gguf
      jobs_="$jobs_ 2:$EXTRA_NAME:$g:ecommerce 3:$EXTRA_NAME:$g:spider-dev"
    elif [ -n "${ALSO:-}" ]; then
      NAME=$ALSO_NAME bash scripts/gpu/average_eval.sh average "$label" $ALSO || exit 1
      g=$A/nichelm-$ALSO_NAME-lora.gguf
      jobs_="$jobs_ 2:$ALSO_NAME:$g:ecommerce 3:$ALSO_NAME:$g:spider-dev"
    fi
    n=$(nvidia-smi -L 2>/dev/null | wc -l); [ "$n" -ge 1 ] || n=1
    jobs_=$(for j in $jobs_; do echo "$((${j%%:*} % n)):${j#*:}"; done)
    bash scripts/gpu/install_llama.sh || exit 1
    echo "[sfe] evaluating $(date -u +%T): $jobs_"
    if [ "${CPU_SETTINGS:-0}" = 1 ] && [ -z "${EXTRA:-}" ]; then   # the CPU's settings beside, on cards 2-3
      g=$A/nichelm-$label-lora.gguf
      cpu_jobs=$(for j in 2:${label}cpu:$g:ecommerce 3:${label}cpu:$g:spider-dev; do echo "$((${j%%:*} % n)):${j#*:}"; done)
      mkdir -p /root/sfe-out/cpu
      RETRY_EMPTY=0 OUT=/root/sfe-out/cpu bash scripts/gpu/fast_eval.sh $cpu_jobs &
    fi
    OUT=/root/sfe-out bash scripts/gpu/fast_eval.sh $jobs_
    wait
    tar -C /root/runs -czf /root/sfe-out/runs.tgz . && rm -rf /root/sfe-out/cpu
    echo "[sfe] done $(date -u +%T)"
    echo done > $S/status ;;
  status)
    tail -n 4 $S/steps.log; cat $S/status 2>/dev/null
    for f in /root/runs/*.log; do [ -f "$f" ] && echo "$f: $(grep -c . "${f%.log}/predictions.jsonl" 2>/dev/null) answers"; done ;;
esac
