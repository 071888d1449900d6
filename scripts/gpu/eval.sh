#!/usr/bin/env bash
# Evaluate one configuration on the held-out sets on the GPU machine, the sets side by side (one llama.cpp
# process each, about 2 GB of GPU memory each).
#   [SETS="ecommerce spider-dev"] [CARDS="2 3"] eval.sh LABEL [nichelm-eval run options...]
#       results go to /root/runs/LABEL-SET. CARDS: on a machine of several GPUs, the cards to use, one set a
#       card in turn (without it llama.cpp spreads each process over every card it sees).
# then `pack` puts every run so far into $OUT/runs.tgz.
set -u
[ "$1" = pack ] && { tar -C /root/runs -czf "$OUT/runs.tgz" . && ls -la "$OUT"; exit 0; }
label=$1; shift
mkdir -p /root/runs
sets=(${SETS:-ecommerce spider-dev})
cards=(${CARDS:-})
for i in "${!sets[@]}"; do
  ds=${sets[$i]}
  card=""; [ ${#cards[@]} -gt 0 ] && card=${cards[$((i % ${#cards[@]}))]}
  env ${card:+CUDA_VISIBLE_DEVICES=$card} python3 -m nichelm.eval.cli run --backend local \
    --model /root/base/model.gguf --dataset $ds --out /root/runs/$label-$ds --label "$label" --quiet "$@" \
    > /root/runs/$label-$ds.log 2>&1 &
done
wait
for ds in "${sets[@]}"; do grep -v "^ggml_cuda_init\|^  Device" /root/runs/$label-$ds.log | tail -4; done
