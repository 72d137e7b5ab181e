#!/usr/bin/env bash
# Runs the PyTorch peer (pytorch_mlp.py, same arguments) with Debian's PyTorch, installing
# python3-torch and OpenBLAS first when they are missing (as root, with apt-get). Debian's
# interpreter is /usr/bin/python3: the python3 first on PATH may be one that does not see
# Debian's packages. OPENBLAS_NUM_THREADS follows --threads (default 1).
set -euo pipefail
here=$(dirname "$0")
if ! /usr/bin/python3 -c 'import torch' 2>/dev/null; then
  echo "pytorch peer: installing Debian's python3-torch" >&2
  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3-torch libopenblas0-pthread) >&2 \
    || { echo "pytorch peer: could not install python3-torch (apt-get install -y python3-torch libopenblas0-pthread)" >&2; exit 2; }
fi
threads=1
args=("$@")
for ((i = 0; i < ${#args[@]}; i++)); do [ "${args[$i]}" = --threads ] && threads=${args[$((i + 1))]}; done
OPENBLAS_NUM_THREADS=$threads OMP_NUM_THREADS=$threads exec /usr/bin/python3 "$here/pytorch_mlp.py" "$@"
