#!/usr/bin/env bash
# Builds the firmware for each MCU family, boots it under QEMU (time-limited by
# the runners in .cargo/config.toml), checks its exit status and its text,
# checks the host generates the identical text, then proves the core has no
# panic path on every family.
#
#   family            target                        QEMU board
#   Cortex-M4F        thumbv7em-none-eabihf         mps2-an386 (the README's command)
#   Cortex-M0         thumbv6m-none-eabi            microbit (nRF51, 16 KiB RAM, no FPU)
#   Cortex-M33        thumbv8m.main-none-eabihf     mps2-an505
#   RISC-V RV32IMAC   riscv32imac-unknown-none-elf  sifive_e (E31, 16 KiB RAM)
set -euo pipefail
cd "$(dirname "$0")"
./install-tools.sh
targets=(thumbv7em-none-eabihf thumbv6m-none-eabi thumbv8m.main-none-eabihf
  riscv32imac-unknown-none-elf)
mkdir -p ../target
outputs=()
teeth_log=$(mktemp)
trap 'rm -f "$teeth_log"' EXIT

check_output() {
  local out=$1
  local len
  len=$(sed -n '/^--- text ---$/{n;p;q}' "$out" | tr -d '\n' | wc -c)
  [ "$len" -eq 400 ] || { echo "expected 400 generated characters in $out, got $len"; exit 1; }
  grep -q '^stack per sample call' "$out"
  grep -q '^stack per sample_with call' "$out"
  grep -q '^stack per sample call: .* with DRY' "$out"
  outputs+=("$PWD/$out")
}

echo "--- firmware: Cortex-M4F under QEMU (mps2-an386), the README's command"
cargo build --release --bin generate
out=../target/firmware-output-thumbv7em-none-eabihf.txt
# The README's command, exactly (set -e + pipefail: a failing exit fails here).
cargo run --release | tee "$out"
check_output "$out"

for target in "${targets[@]:1}"; do
  echo "--- firmware: $target under QEMU"
  cargo build --release --bin generate --target "$target"
  out=../target/firmware-output-$target.txt
  cargo run --release --target "$target" | tee "$out"
  check_output "$out"
done

echo "--- the host generates the same text from the same model and seed, on every family"
(
  IFS=:
  cd .. && FIRMWARE_OUTPUT="${outputs[*]}" \
    cargo test -q -p sampler-tests --test firmware_text -- --include-ignored --nocapture
)

for target in "${targets[@]}"; do
  echo "--- panic-never on $target: the core links with a panic handler that cannot link"
  cargo build --release --no-default-features --features panic-never --bin panic-never \
    --target "$target"
  cargo run --release --no-default-features --features panic-never --bin panic-never \
    --target "$target"
  echo "--- panic-never has teeth on $target: a planted unchecked index must break the link"
  if cargo build --release --no-default-features --features panic-never,teeth --bin panic-never \
    --target "$target" 2>"$teeth_log"; then
    echo "the planted panic linked: the panic-never check is not working"
    exit 1
  fi
  grep -q "panicking branch" "$teeth_log"
done
echo "--- per family: stack per call (bytes, painted) and image size"
echo "| MCU (QEMU board) | sample, Sampler<64, 8>, survivors in scratch | sample, Sampler<1, 8>, streaming | sample_with, Sampler<64, 8>, bias, mask, top 5 | sample with DRY too, Sampler<64, 8> | .text | .rodata |"
echo "|---|---:|---:|---:|---:|---:|---:|"
for out in "${outputs[@]}"; do
  sed -n '1s/^logit-sampler on an\{0,1\} \([^:]*\):.*/\1/p' "$out" | tr -d '\n'
  awk '/^stack per sample call/ { s[++n] = $5 }
       /^stack per sample_with call/ { w = $5 }
       /^image:/ { t = $3; r = $6 }
       END { printf " | %s | %s | %s | %s | %s | %s |\n", s[1], s[2], w, s[3], t, r }' "$out"
done | sed 's/^/| /'
echo "--- firmware checks passed on ${targets[*]}"
