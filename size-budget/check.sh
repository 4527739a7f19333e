#!/usr/bin/env bash
# The code size of logit-sampler's sampling pipeline on a Cortex-M4F
# (thumbv7em-none-eabihf, opt-level "s", LTO, one codegen unit, panic-never:
# no panic or formatting code), per feature, and the check against the budget.
#
# Each image in src/bin/ calls one feature's public entry points (src/lib.rs)
# with inputs the optimiser cannot see (`baseline`, startup alone, calls
# nothing). The bytes of each image's .text are
# attributed by source through the debug info (every halfword of .text, its
# innermost inlined frame outside core, via arm-none-eabi-addr2line;
# attribute.awk): the core's own code by module, soft-float f64 routines (the
# M4F's FPU is single precision), 64-bit integer routines, memcpy/memset, libm.
# The pipeline's figure leaves out startup and the image's own calls (its
# black-boxed inputs), which a firmware has anyway.
#
# Every image is built twice: with every stage (the core's `context` and
# `shapes` features) and with neither (temperature, min-p, top-k, top-p and
# the draws; a configuration that turns another stage on is an error there).
# The budget applies to the second build's whole pipeline, the set of stages
# the budget was set for; the first build's figures are reported beside it.
#
# Usage: ./check.sh                 print the tables; exit 1 if the whole
#                                   pipeline's .text is over $BUDGET bytes (16 KiB)
#        ./check.sh --report-only   print the tables, never fail on the budget
#        ./check.sh --write         also write them to RESULTS.md (never fails on the budget)
set -euo pipefail
cd "$(dirname "$0")"
../firmware-example/install-tools.sh
budget=${BUDGET:-16384}
mode=${1:-}
target_dir=${CARGO_TARGET_DIR:-target}
cargo build --release --bins --features context,shapes --target-dir "$target_dir/every-stage"
cargo build --release --bins --target-dir "$target_dir/basic-stages"
every=$target_dir/every-stage/thumbv7em-none-eabihf/release
basic=$target_dir/basic-stages/thumbv7em-none-eabihf/release
dir=$every

text_size() { arm-none-eabi-size -A "$dir/$1" | awk '$1 == ".text" { print $2 }'; }
rodata_size() { arm-none-eabi-size -A "$dir/$1" | awk '$1 == ".rodata" { print $2 }'; }
# "bytes where" lines for image $1, summed by where.
attribute() {
  local elf=$dir/$1
  arm-none-eabi-size -A "$elf" | awk '$1 == ".text" { for (a = $3; a < $3 + $2; a += 2) printf "0x%x\n", a }' |
    arm-none-eabi-addr2line -e "$elf" -a -f -i -C | awk -f attribute.awk |
    awk '{ b = $1; sub(/^[0-9]+ /, ""); s[$0] += b } END { for (k in s) print s[k], k }' | sort -rn
}
by_where() { # image -> "where|bytes" lines, sorted by where (for join)
  attribute "$1" | awk '{ b = $1; w = substr($0, length($1) + 2); print w "|" b }' | sort -t '|' -k1,1
}
group() { # attribution lines -> "ours f64 int64 mem libm unattributed own"
  awk '{ b = $1; w = substr($0, length($1) + 2)
         if (w ~ /^logit_sampler|^rand_pcg|^core: generic/) g["ours"] += b
         else if (w ~ /soft f64/) g["f64"] += b
         else if (w ~ /64-bit integer/) g["int64"] += b
         else if (w ~ /memcpy/) g["mem"] += b
         else if (w ~ /^libm/) g["libm"] += b
         else if (w ~ /^no line info/) g["none"] += b
         else g["own"] += b }
       END { print g["ours"] + 0, g["f64"] + 0, g["int64"] + 0, g["mem"] + 0, g["libm"] + 0,
               g["none"] + 0, g["own"] + 0 }'
}
pipeline() { # image -> its pipeline bytes: .text less startup and the image's own calls
  local groups
  read -r -a groups <<<"$(attribute "$1" | group)"
  echo $((groups[0] + groups[1] + groups[2] + groups[3] + groups[4] + groups[5]))
}

base=$(text_size baseline)
row() { # image label -> a markdown row
  local image=$1 label=$2 groups
  read -r -a groups <<<"$(attribute "$image" | group)"
  printf '| %s | **%d** | %d | %d | %d | %d | %d | %d | %d | %d |\n' "$label" \
    "$((groups[0] + groups[1] + groups[2] + groups[3] + groups[4] + groups[5]))" \
    "${groups[0]}" "${groups[1]}" "${groups[2]}" "${groups[3]}" "${groups[4]}" "${groups[5]}" \
    "$(($(text_size "$image") - base))" "$(rodata_size "$image")"
}

all=$(pipeline all)
dir=$basic
basic_all=$(pipeline all)
basic_sampler=$(pipeline sampler)
basic_rows=$(
  row sampler "sampler: \`Sampler<256>\` (new, with_order, with_backend, with_dry_breakers, accept, reset, sample, distribution_in_place), softmax_in_place, argmax, sample_inverse_cdf"
  row all "**whole pipeline**: the sampler, the alias table and the Gaussian"
)
basic_where=$(by_where all)
dir=$every
gaussian_adds=$((all - $(pipeline sampler_alias)))
alias_adds=$(($(pipeline sampler_alias) - $(pipeline sampler)))
second_cap=$(($(pipeline sampler_two_caps) - $(pipeline sampler)))
constraints_add=$(($(pipeline sampler) - $(pipeline sampler_without_constraints)))
report=$(
  echo "## Code size on a Cortex-M4F"
  echo
  echo "Written by \`size-budget/check.sh\` (\`thumbv7em-none-eabihf\`, opt-level \"s\", LTO, codegen-units 1, panic-never). Bytes of .text attributed by source through the debug info; the pipeline is everything but startup and the image's own calls (black-boxed inputs). Do not edit by hand."
  echo
  echo "### Every stage (the core's default features \`context\` and \`shapes\`)"
  echo
  echo "| image | pipeline .text (bytes) | core's code | soft f64 | 64-bit int | memcpy, memset | libm | no line info | image .text less startup | .rodata |"
  echo "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
  row sampler "sampler: \`Sampler<256>\` (new, with_order, with_backend, with_dry_breakers, accept, reset, sample, sample_with, distribution_in_place, distribution_in_place_with; penalties and DRY on), softmax_in_place, argmax, sample_inverse_cdf"
  row alias "alias table: \`AliasTable<256>\` (new, rebuild, sample, try_sample)"
  row gaussian "Gaussian: gaussian, fill_gaussian"
  row all "**whole pipeline**: the sampler, the alias table and the Gaussian"
  row sampler_two_caps "sampler at two capacities (\`Sampler<256>\`, \`Sampler<1>\`)"
  row sampler_without_constraints "sampler without sample_with and distribution_in_place_with (no logit bias, mask or logprobs)"
  echo
  echo "Added to the rest of the pipeline: the Gaussian $gaussian_adds bytes, the alias table $alias_adds bytes, a second \`CAP\` $second_cap bytes. Added to the sampler by sample_with and distribution_in_place_with (logit bias, allowed-token mask, logprobs and the top slice): $constraints_add bytes."
  echo
  echo "### The basic stages (\`default-features = false\`: temperature, min-p, top-k, top-p, the draws)"
  echo
  echo "| image | pipeline .text (bytes) | core's code | soft f64 | 64-bit int | memcpy, memset | libm | no line info | image .text less startup | .rodata |"
  echo "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
  printf '%s\n' "$basic_rows"
  echo
  echo "The stage features add to the whole pipeline: $((all - basic_all)) bytes ($basic_all -> $all); to the sampler alone $(($(pipeline sampler) - basic_sampler)) bytes."
  echo
  echo "| where the whole pipeline's bytes go | every stage | basic stages |"
  echo "|---|---:|---:|"
  join -t '|' -a 1 -a 2 -e 0 -o 0,1.2,2.2 <(by_where all) <(printf '%s\n' "$basic_where") |
    sort -t '|' -k2,2nr | awk -F'|' '{ printf "| %s | %d | %d |\n", $1, $2, $3 }'
  echo
  echo "Budget: $basic_all of $budget bytes of .text for the whole pipeline of the basic stages ($all with every stage)."
)
printf '%s\n' "$report"
if [ "$mode" = "--write" ]; then
  printf '%s\n' "$report" >RESULTS.md
  echo "wrote size-budget/RESULTS.md"
fi
if [ "$basic_all" -gt "$budget" ]; then
  echo "over budget: the basic stages' pipeline .text is $basic_all bytes, the budget $budget"
  [ "$mode" = "--report-only" ] || [ "$mode" = "--write" ] || exit 1
else
  echo "within budget: the basic stages' pipeline .text is $basic_all bytes, the budget $budget"
fi
