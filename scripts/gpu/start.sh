#!/usr/bin/env bash
# First call of a GPU lease: keep the carried model part, unpack the wheels and start building
# llama-cpp-python with CUDA in the background (about 3.5 minutes on 16 cores).
set -u
mkdir -p /root/base /root/gpu
cp .x*/part*.bin /root/base/ 2>/dev/null
cp -r .gpu/* /root/gpu/
cd /root/gpu
python3 -m pip install -q --no-index --no-deps --no-compile --target /root/site whl/*.whl build/*.whl || exit 1
tar xzf llama_sdist.tgz
setsid nohup bash -c '
  export PYTHONPATH=/root/site
  cd /root/gpu/llama_cpp_python-0.3.36 &&
  CMAKE_ARGS="-DGGML_CUDA=on -DCMAKE_CUDA_ARCHITECTURES=90 -DLLAMA_BUILD_TESTS=OFF -DLLAMA_BUILD_EXAMPLES=OFF" \
  CMAKE_BUILD_PARALLEL_LEVEL=16 python3 -m pip wheel --no-build-isolation --no-deps -w /root/gpu/wheel . \
    > /root/gpu/build.log 2>&1
  echo $? > /root/gpu/build.rc' >/dev/null 2>&1 < /dev/null &
nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv
python3 -c "import torch, transformers, peft; print(torch.__version__, transformers.__version__, peft.__version__)"
