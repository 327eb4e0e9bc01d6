#!/usr/bin/env bash
# Makes .venv-bench with PyTorch (and Snakemake, for `rnx bench engine`), from PyPI.
set -euo pipefail
cd "$(dirname "$0")/.."
python3 -m venv .venv-bench
.venv-bench/bin/pip install --quiet torch snakemake
echo "then: cargo run --release -- bench train --python .venv-bench/bin/python"
echo "      cargo run --release -- bench engine --snakemake .venv-bench/bin/snakemake"
