#!/usr/bin/env bash
# Builds the probe and runs it under QEMU with -icount shift=6, printing the
# tables of executed instructions per sample call (markdown).
#
# The conversion: with -icount shift=6 QEMU's virtual clock advances 64 ns per
# executed instruction; the mps2-an386 SysTick (core clock, 25 MHz, 40 ns a
# tick) then counts 64 / 40 = 1.6 ticks per instruction, so
# instructions = ticks / 1.6, whatever the host's speed. The probe's first
# lines check it on blocks of 1000 and 10000 nops.
#
# The probe runs twice and the two outputs must be identical (the count is
# deterministic). Exit status: nonzero if the build, QEMU or the probe fails,
# or if the two runs differ.
#
# Usage: ./run.sh            print the tables
#        ./run.sh --write    also write them to RESULTS.md (which the benchmark
#                            report copies into BENCHMARKS.md)
set -euo pipefail
cd "$(dirname "$0")"
cargo build --release
elf="${CARGO_TARGET_DIR:-target}/thumbv7em-none-eabihf/release/cost-probe"
probe() {
  timeout -k 5 120 qemu-system-arm -cpu cortex-m4 -machine mps2-an386 -nographic \
    -semihosting-config enable=on,target=native -icount shift=6 -kernel "$elf"
}
status=0
first=$(probe) || status=$?
printf '%s\n' "$first"
[ "$status" -eq 0 ] || { echo "error: the probe failed (exit status $status)" >&2; exit "$status"; }
second=$(probe)
if [ "$first" != "$second" ]; then
  echo "error: two runs of the same build printed different counts" >&2
  exit 1
fi
if [ "${1:-}" = "--write" ]; then
  {
    echo "## Cortex-M4F: executed instructions per call"
    echo
    echo "Written by \`cost-probe/run.sh --write\` (QEMU \`mps2-an386\`, \`-icount shift=6\`; see cost-probe/src/main.rs for the method). Do not edit by hand."
    printf '%s\n' "$first" | tail -n +3 | sed 's/^executed.*/&\n/'
  } > RESULTS.md
  echo "wrote cost-probe/RESULTS.md"
fi
