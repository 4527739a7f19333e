#!/usr/bin/env bash
# Builds the probe for each MCU family and runs it under QEMU with
# -icount shift=6, printing the tables of executed instructions per sample call
# (markdown), then a table of ours / llama2.c-style per MCU.
#
#   family            target                        QEMU board (timer)
#   Cortex-M4F        thumbv7em-none-eabihf         mps2-an386 (SysTick, 25 MHz)
#   Cortex-M33        thumbv8m.main-none-eabihf     mps2-an505 (SysTick, 20 MHz)
#   Cortex-M0         thumbv6m-none-eabi            microbit, SRAM grown to 4 MiB (SysTick, 16 MHz)
#   RISC-V RV32IMAC   riscv32imac-unknown-none-elf  virt (mcycle: QEMU's ns clock)
#
# The conversion: with -icount shift=6 QEMU's virtual clock advances 64 ns per
# executed instruction; a timer of f Hz on it then counts 64 ns * f ticks per
# instruction (1.6 on mps2-an386), so instructions = ticks / (64 ns * f),
# whatever the host's speed. The probe's first lines check it on blocks of
# 1000 and 10000 nops.
#
# Each probe runs twice and the two outputs must be identical (the count is
# deterministic). Exit status: nonzero if a build, QEMU or a probe fails, or if
# two runs differ.
#
# Usage: ./run.sh                    every family
#        ./run.sh --write            also write the tables to RESULTS.md (which the
#                                    benchmark report copies into BENCHMARKS.md)
#        ./run.sh thumbv6m-none-eabi one family (any of the targets above; not with --write)
set -euo pipefail
cd "$(dirname "$0")"
../firmware-example/install-tools.sh

families=(
  "thumbv7em-none-eabihf|Cortex-M4F|mps2-an386"
  "thumbv8m.main-none-eabihf|Cortex-M33|mps2-an505"
  "thumbv6m-none-eabi|Cortex-M0|microbit"
  "riscv32imac-unknown-none-elf|RISC-V RV32IMAC|virt"
)
write=false
only=""
case "${1:-}" in
  --write) write=true ;;
  "") ;;
  *) only=$1 ;;
esac

out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
ran=()
for family in "${families[@]}"; do
  IFS='|' read -r target mcu board <<<"$family"
  [ -z "$only" ] || [ "$only" = "$target" ] || continue
  echo "--- $mcu ($target) on QEMU $board" >&2
  cargo build --release --target "$target"
  status=0
  first=$(cargo run -q --release --target "$target") || status=$?
  printf '%s\n\n' "$first"
  [ "$status" -eq 0 ] || { echo "error: the $mcu probe failed (exit status $status)" >&2; exit "$status"; }
  second=$(cargo run -q --release --target "$target")
  if [ "$first" != "$second" ]; then
    echo "error: two runs of the same $mcu build printed different counts" >&2
    exit 1
  fi
  printf '%s\n' "$first" >"$out/$target.txt"
  ran+=("$family")
done
[ ${#ran[@]} -gt 0 ] || { echo "error: no family named $only" >&2; exit 1; }

# ours / llama2.c-style for top-p 0.9 (columns 3/4 of a table row) and for the
# full-vocab draw (columns 5/6), at vocab 256 and 4 096, one column per MCU.
summary() {
  printf '| ours / llama2.c-style, instructions per call |'
  for family in "${ran[@]}"; do IFS='|' read -r _ mcu _ <<<"$family"; printf ' %s |' "$mcu"; done
  printf '\n|---|'
  for _ in "${ran[@]}"; do printf -- '---:|'; done
  printf '\n'
  for row in "model-like|top-p 0.9|256" "model-like|top-p 0.9|4 096" \
    "model-like|full-vocab draw|256" "model-like|full-vocab draw|4 096" \
    "flat|top-p 0.9|256" "flat|top-p 0.9|4 096" \
    "flat|full-vocab draw|256" "flat|full-vocab draw|4 096"; do
    IFS='|' read -r input case vocab <<<"$row"
    printf '| %s, %s logits, vocab %s |' "$case" "$input" "$vocab"
    for family in "${ran[@]}"; do
      IFS='|' read -r target _ _ <<<"$family"
      awk -F'|' -v input="$input" -v column="$case" -v vocab="$vocab" '
        /^executed/ { section = index($0, input " logits") > 0 }
        section && $2 == " " vocab " " {
          for (i = 3; i <= 7; i++) gsub(/ /, "", $i)
          if (column == "top-p 0.9") { ours = $4; peer = $5 } else { ours = $6; peer = $7 }
          printf " %.2fx |", ours / peer
        }' "$out/$target.txt"
    done
    printf '\n'
  done
}
table=$(summary)
printf '%s\n' "$table"

if $write; then
  [ -z "$only" ] || { echo "error: --write needs every family" >&2; exit 1; }
  {
    for family in "${ran[@]}"; do
      IFS='|' read -r target mcu board <<<"$family"
      echo "## $mcu: executed instructions per call"
      echo
      echo "Written by \`cost-probe/run.sh --write\` (\`$target\` on QEMU \`$board\`, \`-icount shift=6\`; see cost-probe/src/main.rs for the method). Do not edit by hand."
      tail -n +3 "$out/$target.txt" | sed 's/^executed.*/&\n/'
      echo
    done
    echo "## Every MCU: ours against the llama2.c-style sampler"
    echo
    echo "Written by \`cost-probe/run.sh --write\` from the tables above: instructions per call, ours divided by the llama2.c-style port's (below 1: ours executes fewer). Do not edit by hand."
    echo
    printf '%s\n' "$table"
  } >RESULTS.md
  echo "wrote cost-probe/RESULTS.md"
fi
