#!/usr/bin/env bash
# Builds rnx with `--features cuda` on a machine without a GPU or a system CUDA toolkit:
# nvcc and the CUDA 13.0 libraries come from pinned PyPI wheels into .venv-cuda, and a
# link-time stand-in for the driver library (libcuda.so.1) is generated from the driver
# symbols cudarc references. The binary lands in target-cuda/release/rnx; on a GPU machine
# run it with LD_LIBRARY_PATH pointing at the CUDA 13 libraries (the real driver provides libcuda).
set -euo pipefail
cd "$(dirname "$0")/.."

if [ ! -x .venv-cuda/bin/python ]; then
  python3 -m venv .venv-cuda
fi
.venv-cuda/bin/pip install --quiet "nvidia-cuda-nvcc==13.0.88" "nvidia-nvvm==13.0.*" "nvidia-cuda-crt==13.0.*" \
  "nvidia-cuda-runtime==13.0.96" "nvidia-cuda-nvrtc==13.0.88" "nvidia-cublas==13.0.2.14" \
  "nvidia-curand==10.4.5.25" nvidia-cuda-cccl
CUDA="$PWD/$(ls -d .venv-cuda/lib/python3*/site-packages/nvidia/cu13)"
for lib in libcublas libcublasLt libcudart libnvrtc; do ln -sf "$lib.so.13" "$CUDA/lib/$lib.so"; done
ln -sf libcurand.so.10 "$CUDA/lib/libcurand.so"

export PATH="$CUDA/bin:$PATH" CUDA_HOME="$CUDA" CUDA_PATH="$CUDA" CUDA_COMPUTE_CAP="${CUDA_COMPUTE_CAP:-90}"
# The library first: it needs no driver to link.
cargo build --release --features cuda --target-dir target-cuda --lib

STUB="$PWD/target-cuda/libcuda-stub"
mkdir -p "$STUB"
nm -u target-cuda/release/deps/libcudarc-*.rlib 2>/dev/null | awk '{print $2}' | grep -E '^cu[A-Z]' | sort -u \
  | awk '{print "void " $1 "(void) {}"}' > "$STUB/stub.c"
gcc -shared -fPIC -Wl,-soname,libcuda.so.1 -o "$STUB/libcuda.so" "$STUB/stub.c"

LIBRARY_PATH="$CUDA/lib:$STUB" cargo build --release --features cuda --target-dir target-cuda
echo "built target-cuda/release/rnx; at run time: LD_LIBRARY_PATH=$CUDA/lib (and the real driver)"
