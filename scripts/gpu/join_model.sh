#!/usr/bin/env bash
# Join the 22 carried parts of the 1.5B base and verify it.
set -eu
cd /root/base
ls part*.bin | wc -l
cat $(ls part*.bin | sort -V) > model.gguf
echo "cc324af070c2ecbfd324a30884d2f951a7ff756aba85cb811a6ec436933bb046  model.gguf" | sha256sum -c
rm -f part*.bin
