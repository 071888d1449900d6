#!/usr/bin/env bash
# Evaluate one configuration on both held-out sets on the GPU machine.
#   eval.sh LABEL [nichelm-eval run options...]     results go to /root/runs/LABEL-{ecommerce,spider}
# then `pack` puts every run so far into $OUT/runs.tgz.
set -u
[ "$1" = pack ] && { tar -C /root/runs -czf "$OUT/runs.tgz" . && ls -la "$OUT"; exit 0; }
label=$1; shift
mkdir -p /root/runs
for ds in ecommerce spider-dev; do
  python3 -m nichelm.eval.cli run --backend local --model /root/base/model.gguf --dataset $ds \
    --out /root/runs/$label-$ds --label "$label" --quiet "$@" 2>&1 | grep -v "^ggml_cuda_init\|^  Device" | tail -4
done
