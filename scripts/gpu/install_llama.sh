#!/usr/bin/env bash
# Wait for the background CUDA build of llama-cpp-python, then install it into /root/site (once a lease).
[ -f /root/gpu/llama.installed ] && { echo "llama.cpp: installed already"; exit 0; }
for _ in $(seq 1 100); do [ -f /root/gpu/build.rc ] && break; sleep 5; done
[ "$(cat /root/gpu/build.rc 2>/dev/null)" = 0 ] || { tail -30 /root/gpu/build.log; exit 1; }
python3 -m pip install -q --no-index --no-deps --no-compile --target /root/site /root/gpu/wheel/*.whl
python3 -c "import sys; sys.path.insert(0,'/root/site'); import llama_cpp; print('llama.cpp GPU offload:', llama_cpp.llama_supports_gpu_offload())" && touch /root/gpu/llama.installed
