#!/usr/bin/env bash
# The GPU check of docs/performance.md ("On an NVIDIA GPU"), in two halves.
#
#   bench/gpu-check.sh build
#       on the build machine: the goldilocks binary with the cuda and flex backends, stripped,
#       into target/gpu-check/goldilocks (carried to the GPU machine, which needs no Rust);
#   bench/gpu-check.sh run OUT
#       on the GPU machine, from the repository root: the GPU's name, the bench on cuda and on
#       flex, configs/checks/backend-check.toml on cuda and on flex, and `goldilocks compare`
#       of the two, everything written under OUT (check.log holds the whole session).
#
# With the device tool of the development sessions:
#   bench/gpu-check.sh build
#   run(command = "bench/gpu-check.sh run $OUT", carry = ["target/gpu-check"], timeout_s = 540)
set -euo pipefail
cd "$(dirname "$0")/.."

case "${1:-}" in
build)
    cargo build --package goldilocks-cli --no-default-features --features cuda,flex
    mkdir -p target/gpu-check
    cp target/debug/goldilocks target/gpu-check/goldilocks
    strip target/gpu-check/goldilocks
    ls -l target/gpu-check/goldilocks
    ;;
run)
    out="${2:?usage: bench/gpu-check.sh run OUT}"
    mkdir -p "$out"
    binary=target/gpu-check/goldilocks
    {
        echo "== $(date -u +%Y-%m-%dT%H:%M:%SZ)"
        nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv || true
        nproc
        echo "== bench, cuda"
        "$binary" bench --backend cuda --paper-steps 2000 --online-steps 2000 \
            --output "$out/bench-cuda.json"
        echo "== bench, flex (this machine's CPU, without the Python peers)"
        PATH=/nonexistent "$binary" bench --backend flex --paper-steps 2000 --online-steps 2000 \
            --output "$out/bench-flex.json" || true
        timed=()
        if [ -x /usr/bin/time ]; then timed=(/usr/bin/time -v); fi
        for backend in cuda flex; do
            echo "== backend-check on $backend"
            SECONDS=0
            "${timed[@]}" "$binary" experiment --config configs/checks/backend-check.toml \
                --backend "$backend" --results "$out/$backend" --quiet
            echo "backend-check on $backend: $SECONDS s"
        done
        echo "== compare cuda against flex"
        "$binary" compare "$out/cuda/backend-check" "$out/flex/backend-check"
    } 2>&1 | tee "$out/check.log"
    ;;
*)
    echo "usage: bench/gpu-check.sh build | run OUT" >&2
    exit 2
    ;;
esac
