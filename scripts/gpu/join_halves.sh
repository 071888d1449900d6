#!/usr/bin/env bash
# Join the 44 carried halves (partNN.a + partNN.b) of the 1.5B base and verify it.
set -eu
cd /root/base
for i in $(seq -w 1 22); do cat part$i.a part$i.b; done > model.gguf
echo "cc324af070c2ecbfd324a30884d2f951a7ff756aba85cb811a6ec436933bb046  model.gguf" | sha256sum -c
rm -f part*.a part*.b
