#!/usr/bin/env bash
# The whole test suite, from a fresh machine with only rustup:
#   1. installs what it needs (Rust targets from rust-toolchain.toml; Debian's
#      qemu-user, gcc-aarch64-linux-gnu, qemu-system-arm when missing),
#   2. runs every host test (f64 reference, proptest, chi-square, every x86 backend),
#   3. checks run-time backend detection without std (and with AVX2/AVX-512 off at compile time),
#   4. runs the core and the backend suite on aarch64 NEON under qemu-aarch64,
#   5. builds the core for four MCU targets (no_std proof),
#   6. boots the firmware on four MCU families under QEMU (M4F, M0, M33, RISC-V) with the
#      host's text, and runs the panic-never link on each,
#   7. checks the C API (capi/check.sh: header, C tests, C firmware; installs cbindgen).
# Usage: ./test.sh            (everything)
set -euo pipefail
cd "$(dirname "$0")"

step() { printf '\n=== %s\n' "$*"; }

step "setup: Rust toolchain and targets (rust-toolchain.toml)"
rustup toolchain install 2>/dev/null || rustup show active-toolchain
rustup target add thumbv7em-none-eabihf thumbv6m-none-eabi thumbv8m.main-none-eabihf \
  riscv32imac-unknown-none-elf aarch64-unknown-linux-gnu

need=()
command -v qemu-aarch64 >/dev/null || need+=(qemu-user)
command -v aarch64-linux-gnu-gcc >/dev/null || need+=(gcc-aarch64-linux-gnu libc6-dev-arm64-cross)
command -v qemu-system-arm >/dev/null || need+=(qemu-system-arm)
command -v qemu-system-riscv32 >/dev/null || need+=(qemu-system-misc)
command -v arm-none-eabi-size >/dev/null || need+=(binutils-arm-none-eabi)
if ((${#need[@]})); then
  step "setup: apt-get install ${need[*]}"
  sudo=""
  [ "$(id -u)" = 0 ] || sudo="sudo"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends \
    -o DPkg::Lock::Timeout=300 "${need[@]}" >/dev/null
fi

step "host tests: every backend this CPU runs"
cargo test --workspace
step "the exp error bound over every f32 in [-104, 0] (1.1e9 inputs, every backend)"
cargo test -q -p sampler-tests --test exp_accuracy -- --ignored --nocapture exp_error_full_sweep
step "the scalar backend's float-to-integer roundings (float, integer, cvtss2si) on every f32 in [0, 2^31)"
cargo test -q --release -p logit-sampler --lib -- --ignored every_rounding_agrees_on_every_float

step "detection without std (cpuid/xgetbv): the best tier, also with AVX2/AVX-512 off at compile time; stages behind features refused when left out"
cargo test -q -p logit-sampler --lib --no-default-features -- --nocapture
cargo test -q -p logit-sampler --lib --no-default-features --features context -- config
cargo test -q -p logit-sampler --lib --no-default-features --features shapes -- config
RUSTFLAGS="-C target-feature=-avx2,-avx512f" CARGO_TARGET_DIR=target/featureless \
  cargo test -q -p logit-sampler --lib --no-default-features -- --nocapture

step "aarch64 NEON under qemu-aarch64"
cargo test --target aarch64-unknown-linux-gnu -p logit-sampler
cargo test --target aarch64-unknown-linux-gnu -p sampler-tests \
  --test backends --test exp_accuracy --test worked_example --test bad_input --test exact_edges \
  --test trust_edges

step "no_std: the core builds for every MCU target"
for target in thumbv7em-none-eabihf thumbv6m-none-eabi thumbv8m.main-none-eabihf riscv32imac-unknown-none-elf; do
  cargo build -p logit-sampler --no-default-features --target "$target" --release
  cargo build -p logit-sampler --no-default-features --features context,shapes --target "$target" --release
done

step "firmware: Cortex-M4F, Cortex-M0, Cortex-M33, RISC-V under QEMU (host-identical text), panic-never on each"
(cd firmware-example && ./check.sh)

step "C API: header current, C tests (static, shared, C++, aarch64), panic-never link, C firmware under QEMU"
capi/check.sh
step "all tests passed"
