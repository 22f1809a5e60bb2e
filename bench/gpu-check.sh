#!/usr/bin/env bash
# The GPU check of docs/performance.md ("On an NVIDIA GPU"), in two halves.
#
#   bench/gpu-check.sh build
#       on the build machine: the goldilocks binary with the cuda and flex backends, stripped
#       and gzipped (about 60 MiB, 16 MiB packed), into target/gpu-check/goldilocks.gz (carried
#       to the GPU machine, which needs no Rust);
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
    cp "${CARGO_TARGET_DIR:-target}/debug/goldilocks" target/gpu-check/goldilocks
    strip target/gpu-check/goldilocks
    gzip -9 --force target/gpu-check/goldilocks
    ls -l target/gpu-check/goldilocks.gz
    ;;
run)
    out="${2:?usage: bench/gpu-check.sh run OUT}"
    mkdir -p "$out"
    unpacked="$(mktemp -d)"
    binary="$unpacked/goldilocks"
    gunzip -c target/gpu-check/goldilocks.gz >"$binary"
    chmod +x "$binary"
    timed=()
    if [ -x /usr/bin/time ]; then timed=(/usr/bin/time -v); fi
    failed=0
    # One step of the check: its title, then the command; a failure is logged and the check
    # goes on, so that one session on the device gathers every number it can.
    step() {
        local title="$1"
        shift
        echo "== $title"
        SECONDS=0
        if "$@"; then
            echo "-- $title: $SECONDS s"
        else
            echo "-- $title: FAILED (exit $?) after $SECONDS s"
            failed=$((failed + 1))
        fi
    }
    {
        echo "== $(date -u +%Y-%m-%dT%H:%M:%SZ)"
        nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv || true
        nproc
        step "bench, cuda" "$binary" bench --backend cuda --paper-steps 2000 \
            --online-steps 2000 --output "$out/bench-cuda.json"
        # The Python peers stay out: the binary finds no interpreter on this PATH.
        step "bench, flex (this machine's CPU)" env PATH=/nonexistent "$binary" bench \
            --backend flex --paper-steps 2000 --online-steps 2000 --output "$out/bench-flex.json"
        for backend in cuda flex; do
            step "backend-check on $backend" "${timed[@]}" "$binary" experiment \
                --config configs/checks/backend-check.toml --backend "$backend" \
                --results "$out/$backend" --quiet
        done
        step "compare cuda against flex" \
            "$binary" compare "$out/cuda/backend-check" "$out/flex/backend-check"
        echo "== $failed step(s) failed"
        [ "$failed" -eq 0 ]
    } 2>&1 | tee "$out/check.log"
    ;;
*)
    echo "usage: bench/gpu-check.sh build | run OUT" >&2
    exit 2
    ;;
esac
