#!/usr/bin/env bash
# Where one call's instructions go, on one MCU family: builds the probe with
# --features profile (one call of each column on one input, between marker
# functions), runs it under QEMU with an instruction trace
# (-d exec,nochain -singlestep: one line per executed instruction, streamed
# through a FIFO, never stored), cuts the trace at the markers and prints, for
# each call:
#   - its instructions by function (the innermost inlined frame, via addr2line
#     on the debug info, skipping primitives such as a Vector method or an
#     index), the top $TOP;
#   - the instructions spent in compiler-builtins routines (soft float, 64-bit
#     division, memcpy), by routine and by the function that called it.
#
# Usage: ./profile.sh [TARGET] [INPUT] [VOCAB]
#   TARGET: thumbv6m-none-eabi (default), thumbv7em-none-eabihf,
#           thumbv8m.main-none-eabihf, riscv32imac-unknown-none-elf
#   INPUT:  flat (default) or model-like;  VOCAB: 1024 (default), up to 4096
#   TOP=20 ./profile.sh ...  shows more rows.
# A trace runs at about 5 M instructions a second: vocab 1024 takes seconds,
# vocab 4096 on the Cortex-M0 a minute.
set -euo pipefail
cd "$(dirname "$0")"
target=${1:-thumbv6m-none-eabi}
input=${2:-flat}
vocab=${3:-1024}
top=${TOP:-12}
../firmware-example/install-tools.sh
need=()
command -v llvm-addr2line >/dev/null && command -v llvm-nm >/dev/null || need+=(llvm)
command -v gawk >/dev/null || need+=(gawk)
if ((${#need[@]})); then
  sudo=""
  [ "$(id -u)" = 0 ] || sudo="sudo"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends \
    -o DPkg::Lock::Timeout=300 "${need[@]}" >/dev/null
fi

export CARGO_TARGET_DIR=target/profile
PROBE_PROFILE_INPUT=$input PROBE_PROFILE_VOCAB=$vocab \
  cargo build -q --release --features profile --target "$target"
elf=$CARGO_TARGET_DIR/$target/release/cost-probe
# The family's QEMU command line, from .cargo/config.toml (less its timeout:
# a traced run is slower), with the trace added.
runner=$(sed -n "/^\[target\.$target\]/,/^\[/s/^runner = \"\(.*\)\"$/\1/p" .cargo/config.toml |
  sed 's/^timeout [-0-9 k]*//')
[ -n "$runner" ] || { echo "error: no runner for $target in .cargo/config.toml" >&2; exit 1; }
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkfifo "$work/trace"

# Symbols: the markers, and the address ranges of compiler-builtins routines.
llvm-nm -C -S "$elf" >"$work/nm"
markers=$(gawk '$4 ~ /^profile_/ { printf "%s %08x\n", $4, and(strtonum("0x" $1), 0xFFFFFFFE) }' "$work/nm")
gawk '($3 == "t" || $3 == "T") && $2 != "" {
       name = $4; for (i = 5; i <= NF; i++) name = name " " $i
       if (name ~ /^__aeabi_|^__[a-z]+[sdt]f[0-9]|^__[a-z]+[sd]i[0-9]|^compiler_builtins::/)
         printf "%d %d %s\n", and(strtonum("0x" $1), 0xFFFFFFFE), strtonum("0x" $2), name
     }' "$work/nm" >"$work/builtins"

# Count executed instructions per (call, pc), and builtin instructions per
# (call, routine, call site): the routine is the one called from outside the
# builtins (__mulsf3's own calls to __aeabi_lmul count as __mulsf3's), the call
# site the last pc outside the builtins before it.
timeout -k 5 3600 ${runner% -kernel} -d exec,nochain -singlestep -D "$work/trace" -kernel "$elf" \
  >"$work/output" 2>&1 </dev/null &
qemu=$!
gawk -v markers="$markers" -v builtins="$work/builtins" -v out="$work" '
  BEGIN {
    n = split(markers, m, "\n")
    for (i = 1; i <= n; i++) { split(m[i], f, " "); mark[f[2]] = f[1] }
    while ((getline line < builtins) > 0) {
      split(line, f, " "); nb++; lo[nb] = f[1]; hi[nb] = f[1] + f[2]
      bname[nb] = substr(line, length(f[1]) + length(f[2]) + 3)
    }
  }
  function builtin(pc,   i) { for (i = 1; i <= nb; i++) if (pc >= lo[i] && pc < hi[i]) return i; return 0 }
  $1 == "Trace" {
    pc = substr($4, 11, 8)
    if (pc in mark) { call = (mark[pc] == "profile_idle") ? "" : substr(mark[pc], 9); routine = ""; next }
    if (call == "") next
    total[call]++
    if (!(pc in isb)) isb[pc] = builtin(strtonum("0x" pc))
    b = isb[pc]
    if (b) {
      if (routine == "") { routine = bname[b]; site = prev; bcalls[call SUBSEP routine SUBSEP site]++ }
      bcount[call SUBSEP routine SUBSEP site]++
      fcount[call SUBSEP "=" bname[b]]++
    } else {
      routine = ""; prev = pc
      count[call SUBSEP pc]++
    }
  }
  END {
    for (c in total) print c, total[c] > (out "/totals")
    for (k in count) { split(k, f, SUBSEP); print f[1], f[2], count[k] > (out "/pcs") }
    for (k in fcount) { split(k, f, SUBSEP); print f[1], f[2], fcount[k] > (out "/pcs") }
    for (k in bcount) { split(k, f, SUBSEP); print f[1], f[3], bcount[k], bcalls[k], f[2] > (out "/builtin_sites") }
  }' "$work/trace"
wait "$qemu" || { cat "$work/output"; echo "error: the probe failed" >&2; exit 1; }
head -n 2 "$work/output" | tail -n 1

# Legacy-mangled names that addr2line left as they are, made readable.
demangle() {
  sed -e 's/\$LT\$/</g; s/\$GT\$/>/g; s/\$u20\$/ /g; s/\$RF\$/\&/g; s/\$C\$/,/g; s/\$BP\$/*/g; s/\$u5b\$/[/g; s/\$u5d\$/]/g' \
    -e 's/\$u7b\$/{/g; s/\$u7d\$/}/g; s/\.\./::/g; s/::h[0-9a-f]\{16\}//g; s/ _</ </g; s/::_</::</g; s/^\([0-9a-f=]\S* \)_</\1</'
}

# Innermost inlined frame of every pc that ran (and of every call site).
cut -d' ' -f2 "$work/pcs" "$work/builtin_sites" | grep -v '^=' | sort -u | sed 's/^/0x/' >"$work/addrs"
llvm-addr2line -e "$elf" -f -i -C -a <"$work/addrs" | demangle | gawk '
  function flush() { if (addr != "" && !(addr in seen)) { seen[addr] = 1; print addr, (pick != "" ? pick : first) } }
  /^0x/ { flush(); addr = sprintf("%08x", strtonum($0)); first = ""; pick = ""; line = 0; next }
  { line++; if (line % 2 == 0) next
    if (first == "") first = $0
    # Skip the primitives (a Vector method, an index, a pointer read) for the
    # algorithm that uses them.
    if (pick == "" && $0 !~ /Vector for|^core::|^<[^>]* as core::|^<usize as|^<u(32|64)>::|^<f32>::|_\{\{closure\}\}$/) pick = $0
  }
  END { flush() }
' >"$work/frames"
cut -d' ' -f2- "$work/pcs" | grep '^=' | cut -d' ' -f1 | sort -u | sed 's/^=\(.*\)/=\1 \1/' >>"$work/frames"

for call in ours_chain ours_top_p llama2c_top_p ours_full llama2c_full; do
  total=$(gawk -v c="$call" '$1 == c { print $2 }' "$work/totals")
  [ -n "$total" ] || continue
  echo
  echo "== $call: $total instructions ($target, $input logits, vocab $vocab)"
  echo "-- by function (innermost inlined frame that is not a primitive), top $top"
  gawk -v c="$call" -v t="$total" 'NR == FNR { fn[$1] = substr($0, length($1) + 2); next }
    $1 == c { by[fn[$2]] += $3 }
    END { for (f in by) printf "%10d %5.1f%%  %s\n", by[f], 100 * by[f] / t, f }' \
    "$work/frames" "$work/pcs" | sort -rn | awk -v n="$top" 'NR <= n'
  echo "-- in compiler-builtins routines, by routine and calling function (instructions, calls), top $top"
  gawk -v c="$call" -v t="$total" 'NR == FNR { fn[$1] = substr($0, length($1) + 2); next }
    $1 == c { r = $5; for (i = 6; i <= NF; i++) r = r " " $i; k = r " <- " fn[$2]; by[k] += $3; calls[k] += $4 }
    END { for (f in by) printf "%10d %5.1f%% %8d  %s\n", by[f], 100 * by[f] / t, calls[f], f }' \
    "$work/frames" "$work/builtin_sites" | sort -rn | awk -v n="$top" 'NR <= n'
done
