# Source on the GPU machine: the carried wheels and a copy of this checkout importable as `nichelm.*`
# (the package maps top-level folders into one namespace; a copy keeps working after the call that
# made it has ended, which background jobs need).
# NICHELM_NS: where the copy goes (default /root/ns); a detached job gets its own, so that a later call's copy
# never changes the files under a process that is still importing from them.
NS=${NICHELM_NS:-/root/ns}
mkdir -p $NS/nichelm
for d in assistant lsp training eval convert; do rm -rf $NS/nichelm/$d; cp -r "$PWD/$d" $NS/nichelm/$d; done
[ -d .spider ] && { rm -rf /root/spider; cp -r .spider /root/spider; }
export PYTHONPATH=$NS:/root/site
export PYTHONUNBUFFERED=1 NICHELM_SPIDER_DIR=/root/spider NICHELM_HOME=/root/nh
export NICHELM_NO_PLOT=1
