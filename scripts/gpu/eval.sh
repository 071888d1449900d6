#!/usr/bin/env bash
# Evaluate one configuration on both held-out sets on the GPU machine, the two sets side by side (two
# llama.cpp processes share the card; each needs about 2 GB).
#   eval.sh LABEL [nichelm-eval run options...]     results go to /root/runs/LABEL-{ecommerce,spider-dev}
# then `pack` puts every run so far into $OUT/runs.tgz.
set -u
[ "$1" = pack ] && { tar -C /root/runs -czf "$OUT/runs.tgz" . && ls -la "$OUT"; exit 0; }
label=$1; shift
mkdir -p /root/runs
for ds in ecommerce spider-dev; do
  python3 -m nichelm.eval.cli run --backend local --model /root/base/model.gguf --dataset $ds \
    --out /root/runs/$label-$ds --label "$label" --quiet "$@" > /root/runs/$label-$ds.log 2>&1 &
done
wait
for ds in ecommerce spider-dev; do grep -v "^ggml_cuda_init\|^  Device" /root/runs/$label-$ds.log | tail -4; done
