# Source on the GPU machine: the carried wheels and a copy of this checkout importable as `nichelm.*`
# (the package maps top-level folders into one namespace; a copy keeps working after the call that
# made it has ended, which background jobs need).
mkdir -p /root/ns/nichelm
for d in assistant lsp training eval convert; do rm -rf /root/ns/nichelm/$d; cp -r "$PWD/$d" /root/ns/nichelm/$d; done
[ -d .spider ] && { rm -rf /root/spider; cp -r .spider /root/spider; }
export PYTHONPATH=/root/ns:/root/site
export PYTHONUNBUFFERED=1 NICHELM_SPIDER_DIR=/root/spider NICHELM_HOME=/root/nh
export NICHELM_NO_PLOT=1
