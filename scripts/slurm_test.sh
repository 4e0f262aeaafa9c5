#!/usr/bin/env bash
# `make test-slurm`: install Slurm from Debian's packages if needed, start a throwaway single-node cluster
# (munged, slurmctld, slurmd; scripts/slurm_cluster.sh), run the @pytest.mark.slurm tests (tests/slurm/)
# against it, and stop the daemons on exit, whatever happened. Needs root (apt-get, slurmd).
# Extra arguments go to pytest, e.g. `bash scripts/slurm_test.sh -k train`.
set -euo pipefail
cd "$(dirname "$0")/.."
start=$(date +%s)
export PATH=$PATH:/usr/sbin

if ! command -v slurmctld >/dev/null || ! command -v munged >/dev/null; then
    if [[ $(id -u) != 0 ]]; then
        echo "test-slurm: Slurm is not installed and installing it needs root (apt-get install slurm-wlm munge)" >&2
        exit 1
    fi
    echo "test-slurm: installing slurm-wlm and munge from the distribution's packages"
    apt-get update -q
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends slurm-wlm munge
fi

dir=$(mktemp -d "${TMPDIR:-/tmp}/cppllm-slurm.XXXXXX")
cleanup() {
    bash scripts/slurm_cluster.sh stop "$dir" || true
    if [[ ${rc:-1} == 0 ]]; then rm -rf "$dir"; else echo "test-slurm: daemon logs kept in $dir/log" >&2; fi
}
trap cleanup EXIT
bash scripts/slurm_cluster.sh start "$dir"
# shellcheck disable=SC1091
source "$dir/env.sh"
export CPPLLM_SLURM_DIR=$dir

rc=0
HF_HUB_OFFLINE=1 .venv/bin/python -m pytest tests/slurm -m slurm -v -p no:cacheprovider --timeout 1500 "$@" || rc=$?
echo "test-slurm: pytest exit $rc after $(( $(date +%s) - start )) s (Slurm $(sinfo --version | cut -d' ' -f2))"
exit $rc
