#!/usr/bin/env bash
# Builds the firmware, boots it under qemu-system-arm (time-limited by the
# runner in .cargo/config.toml), checks its exit status and its text, checks the
# host generates the identical text, then proves the core has no panic path.
set -euo pipefail
cd "$(dirname "$0")"
out=../target/firmware-output.txt
mkdir -p ../target

echo "--- firmware: build and run under QEMU (mps2-an386, Cortex-M4F)"
cargo build --release --bin generate
# The README's command, exactly (set -e + pipefail: a failing exit fails here).
cargo run --release | tee "$out"
len=$(sed -n '/^--- text ---$/{n;p;q}' "$out" | tr -d '\n' | wc -c)
[ "$len" -eq 400 ] || { echo "expected 400 generated characters, got $len"; exit 1; }
grep -q '^stack per sample call' "$out"
if command -v arm-none-eabi-size >/dev/null; then
  arm-none-eabi-size target/thumbv7em-none-eabihf/release/generate
fi

echo "--- the host generates the same text from the same model and seed"
(cd .. && FIRMWARE_OUTPUT="$PWD/target/firmware-output.txt" \
  cargo test -q -p sampler-tests --test firmware_text -- --include-ignored)

echo "--- panic-never: the core links with a panic handler that cannot link"
cargo build --release --no-default-features --features panic-never --bin panic-never
cargo run --release --no-default-features --features panic-never --bin panic-never
echo "--- panic-never has teeth: a planted unchecked index must break the link"
if cargo build --release --no-default-features --features panic-never,teeth --bin panic-never 2>/tmp/teeth.log; then
  echo "the planted panic linked: the panic-never check is not working"; exit 1
fi
grep -q "panicking branch" /tmp/teeth.log
echo "--- firmware checks passed"
