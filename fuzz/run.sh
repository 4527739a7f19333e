#!/usr/bin/env bash
# Fuzzes every target for SECONDS_PER_TARGET seconds (default 30), one target
# at a time, one process (one core) each; exits nonzero if any target crashes
# (or does not build). Installs what it needs: the nightly toolchain and
# cargo-fuzz. Lints the fuzz crate first (rustfmt, clippy -D warnings).
#
#   fuzz/run.sh [SECONDS_PER_TARGET]
#
# Seeds come from fuzz/corpus/<target>/ (committed, read only); what libFuzzer
# finds goes to fuzz/target/corpus/<target>/ (ignored, kept between runs), and
# crashes to fuzz/artifacts/<target>/. Reproduce or minimise one with
#   cargo +nightly fuzz run --fuzz-dir fuzz -a --no-trace-compares <target> fuzz/artifacts/<target>/<file>
#   cargo +nightly fuzz tmin --fuzz-dir fuzz -a --no-trace-compares <target> fuzz/artifacts/<target>/<file>
# (`cargo +nightly fuzz fmt --fuzz-dir fuzz -a --no-trace-compares <target> <file>` prints the input
# as Rust).
set -euo pipefail

seconds=${1:-30}
cd "$(dirname "$0")/.."
start=$(date +%s)

# cargo-fuzz builds with -Z flags (sanitizer, coverage), so it needs nightly.
# rust-toolchain.toml pins stable, hence the explicit +nightly. Where no
# nightly can be installed (a machine whose only toolchain is stable), stable
# with RUSTC_BOOTSTRAP=1 accepts the same flags.
toolchain=+nightly
if ! rustup run nightly rustc --version >/dev/null 2>&1; then
  echo "fuzz: installing the nightly toolchain"
  if ! timeout 600 rustup toolchain install nightly --profile minimal \
      --component rustfmt --component clippy; then
    echo "fuzz: no nightly toolchain; using stable with RUSTC_BOOTSTRAP=1"
    toolchain=+stable
    export RUSTC_BOOTSTRAP=1
  fi
fi
if ! cargo fuzz --version >/dev/null 2>&1; then
  echo "fuzz: installing cargo-fuzz"
  cargo install cargo-fuzz --locked
fi

echo "fuzz: $(rustup run "${toolchain#+}" rustc --version), $(cargo fuzz --version)"
cargo "$toolchain" fmt --manifest-path fuzz/Cargo.toml --check
cargo "$toolchain" clippy --manifest-path fuzz/Cargo.toml --all-targets -- -D warnings

# -a: debug assertions and overflow checks on, as in the test suite (the
# core's debug_asserts state the cases it holds impossible). No comparison
# tracing: it tripled the cost of every hot loop of the kernels and of the
# radix selection (measured: `sample` ran 1100 exec/s with it, 3160 without,
# reaching the same coverage in 25 s), and no check here waits on a magic value.
build=(--fuzz-dir fuzz -a --no-trace-compares)
cargo "$toolchain" fuzz build "${build[@]}"

targets=$(cargo "$toolchain" fuzz list --fuzz-dir fuzz)
mkdir -p fuzz/target/logs
failed=()
summary=()
for target in $targets; do
  work=fuzz/target/corpus/$target
  mkdir -p "$work"
  corpora=("$work")
  if [ -d "fuzz/corpus/$target" ]; then
    corpora+=("fuzz/corpus/$target")
  fi
  log=fuzz/target/logs/$target.log
  echo "=== fuzz $target for ${seconds} s"
  if cargo "$toolchain" fuzz run "${build[@]}" "$target" "${corpora[@]}" -- \
      -max_total_time="$seconds" -timeout=30 -max_len=8192 -print_final_stats=1 \
      >"$log" 2>&1; then
    # libFuzzer's closing line: "#N DONE cov: ... exec/s: R rss: ...".
    done_line=$(grep -E '^#[0-9]+[[:space:]]+DONE' "$log" | tail -n 1 || true)
    runs=$(sed -nE 's/^#([0-9]+).*/\1/p' <<<"$done_line")
    rate=$(sed -nE 's/.*exec\/s: ([0-9]+).*/\1/p' <<<"$done_line")
    cov=$(sed -nE 's/.*cov: ([0-9]+).*/\1/p' <<<"$done_line")
    summary+=("$(printf '%-24s %12s runs %8s exec/s  cov %s' "$target" "${runs:-?}" "${rate:-?}" "${cov:-?}")")
    echo "${summary[-1]}"
  else
    failed+=("$target")
    echo "fuzz: $target FAILED; the end of $log:"
    tail -n 80 "$log"
  fi
done

echo "=== fuzz summary (${seconds} s per target, $(( $(date +%s) - start )) s in all)"
for line in "${summary[@]}"; do
  echo "$line"
done
if [ ${#failed[@]} -gt 0 ]; then
  echo "fuzz: crashed: ${failed[*]} (inputs in fuzz/artifacts/)"
  exit 1
fi
echo "fuzz: every target ran clean"
