#!/usr/bin/env bash
# Join the carried parts of the 1.5B base and verify it: the 22 parts of 50 MiB (partNN.bin, one a call when
# the carried tree is small) or their 44 halves (partNN.a + partNN.b, one a call beside the whole tree).
set -eu
cd /root/base
for i in $(seq -w 1 22); do
  if [ -f part$i.bin ]; then cat part$i.bin; else cat part$i.a part$i.b; fi
done > model.gguf
echo "cc324af070c2ecbfd324a30884d2f951a7ff756aba85cb811a6ec436933bb046  model.gguf" | sha256sum -c
rm -f part*.a part*.b part*.bin
