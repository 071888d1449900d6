# Source on the GPU machine: the carried wheels and this checkout importable as `nichelm.*`
# (the package maps top-level folders into one namespace; symlinks do the same without installing).
mkdir -p /root/ns/nichelm
for d in assistant lsp training eval convert; do ln -sfn "$PWD/$d" /root/ns/nichelm/$d; done
export PYTHONPATH=/root/ns:/root/site:$PWD
export PYTHONUNBUFFERED=1
