#!/usr/bin/env bash
# Evaluate adapters as the daemon serves them on a GPU (repair, checks, RETRY_EMPTY=4 samples after an empty
# result; RETRY_EMPTY=0 serves as on a CPU), each
# job split over WORKERS llama.cpp processes on its card, so that both sets finish in a few minutes near the end
# of a lease; then pack every run so far into $OUT/runs.tgz.
#   [WORKERS=6] [DEADLINE_S=240] [RETRY_EMPTY=4] fast_eval.sh CARD:LABEL:GGUF:SET [CARD:LABEL:GGUF:SET ...]
#       results go to /root/runs/LABEL-SET; a job still running after DEADLINE_S seconds is stopped (its
#       predictions so far are kept and packed; rerunning the same command resumes it).
# Needs: start.sh, join_halves.sh, install_llama.sh done. Run from the checkout's root.
set -u
source "$(dirname "$0")/env.sh"
mkdir -p /root/runs
for job in "$@"; do
  IFS=: read -r card label lora set <<< "$job"
  CUDA_VISIBLE_DEVICES=$card timeout ${DEADLINE_S:-240} python3 -m nichelm.eval.cli run --backend local \
    --model /root/base/model.gguf --lora "$lora" --dataset $set --out /root/runs/$label-$set --label $label --quiet \
    --repair --retry-empty ${RETRY_EMPTY:-4} --workers ${WORKERS:-6} > /root/runs/$label-$set.log 2>&1 &
done
wait
for job in "$@"; do
  IFS=: read -r card label lora set <<< "$job"
  echo "$label-$set: $(grep -c . /root/runs/$label-$set/predictions.jsonl 2>/dev/null) answers"; tail -n 2 /root/runs/$label-$set.log
done
tar -C /root/runs -czf "$OUT/runs.tgz" . && ls -la "$OUT"
