#!/usr/bin/env bash
# The C API's checks, from a machine with rustup and a C compiler:
#   1. the checked-in header is what cbindgen generates now (pinned cbindgen version),
#   2. the static and shared libraries build; the Rust API writes the expected results,
#   3. the C tests (cc -std=c99 -pedantic -Wall -Wextra -Werror) run against the static
#      library, the shared library and a pkg-config install; the header compiles as
#      C99/C11 and as C++11/C++17, and a C++ program links and runs,
#   4. the same C tests for aarch64 (NEON and scalar), under qemu-aarch64,
#   5. thumbv7em-none-eabihf: the no_std staticlib builds; a C firmware built with
#      arm-none-eabi-gcc links it with a panic handler that cannot link (the proof that
#      no entry point can panic) and runs under qemu-system-arm, reproducing the host's
#      tokens; a planted panic must break that link. Sizes and stack use are printed.
# Installs cbindgen (cargo) and the cross compilers and QEMUs (apt) when missing; the Rust
# targets come from rust-toolchain.toml.
# Usage: capi/check.sh
set -euo pipefail
cd "$(dirname "$0")"
root=$(cd .. && pwd)
target=${CARGO_TARGET_DIR:-$root/target}
out=$target/capi
mkdir -p "$out"
step() { printf '\n--- capi: %s\n' "$*"; }

cbindgen_version=0.29.4
if [ "$(cbindgen --version 2>/dev/null)" != "cbindgen $cbindgen_version" ]; then
  step "install cbindgen $cbindgen_version"
  cargo install cbindgen --locked --version "$cbindgen_version"
fi
need=()
command -v arm-none-eabi-gcc >/dev/null || need+=(gcc-arm-none-eabi)
command -v arm-none-eabi-size >/dev/null || need+=(binutils-arm-none-eabi)
command -v qemu-system-arm >/dev/null || need+=(qemu-system-arm)
command -v pkg-config >/dev/null || need+=(pkg-config)
command -v aarch64-linux-gnu-gcc >/dev/null || need+=(gcc-aarch64-linux-gnu libc6-dev-arm64-cross)
command -v qemu-aarch64 >/dev/null || need+=(qemu-user)
if ((${#need[@]})); then
  step "apt-get install ${need[*]}"
  sudo=""
  [ "$(id -u)" = 0 ] || sudo="sudo"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends \
    -o DPkg::Lock::Timeout=300 "${need[@]}" >/dev/null
fi

step "the checked-in header is current (cbindgen $cbindgen_version)"
# cbindgen warns that `feature = "alloc"` has no [defines] entry: ls_sampler_new and
# ls_sampler_free are declared unconditionally on purpose (see their docs).
cbindgen --config cbindgen.toml --crate logit-sampler-capi --output "$out/logit_sampler.h" \
  2> >(grep -v -e '^WARN: Skip' -e 'Missing `\[defines\]` entry for `feature = "alloc"`' >&2)
if ! diff -u include/logit_sampler.h "$out/logit_sampler.h"; then
  echo "include/logit_sampler.h is stale: regenerate it with"
  echo "  (cd capi && cbindgen --config cbindgen.toml --crate logit-sampler-capi --output include/logit_sampler.h)"
  exit 1
fi

step "host: static and shared libraries; the Rust API's expected results"
cargo build -q --release -p logit-sampler-capi
cargo run -q --release -p logit-sampler-capi --example expected -- "$out/expected.h"
lib=$target/release
cflags=(-std=c99 -pedantic -Wall -Wextra -Werror -Iinclude "-I$out")
native=(-lpthread -ldl -lm)

step "C tests against the static library"
cc "${cflags[@]}" tests/test_capi.c "$lib/liblogit_sampler.a" "${native[@]}" -o "$out/test_capi_static"
"$out/test_capi_static"

step "C tests against the shared library, found through a pkg-config install"
prefix=$out/prefix
rm -rf "$prefix"
mkdir -p "$prefix/include" "$prefix/lib/pkgconfig"
cp include/logit_sampler.h "$prefix/include/"
cp "$lib/liblogit_sampler.a" "$lib/liblogit_sampler.so" "$prefix/lib/"
version=$(sed -n 's/^version = "\(.*\)"/\1/p' Cargo.toml)
sed -e "s|@PREFIX@|$prefix|" -e "s|@VERSION@|$version|" logit_sampler.pc.in \
  >"$prefix/lib/pkgconfig/logit_sampler.pc"
export PKG_CONFIG_PATH=$prefix/lib/pkgconfig
[ "$(pkg-config --modversion logit_sampler)" = "$version" ]
# shellcheck disable=SC2046 # pkg-config's flags are meant to split
cc -std=c99 -pedantic -Wall -Wextra -Werror "-I$out" tests/test_capi.c \
  $(pkg-config --cflags --libs logit_sampler) -o "$out/test_capi_shared"
# Not grep -q: it may exit before ldd has written everything, and under pipefail the
# SIGPIPE ldd then gets fails the check now and then.
LD_LIBRARY_PATH=$prefix/lib ldd "$out/test_capi_shared" | grep "$prefix/lib/liblogit_sampler.so" >/dev/null
LD_LIBRARY_PATH=$prefix/lib "$out/test_capi_shared" | tail -n 1

step "the header alone as C99, C11, C++11 and C++17; a C++ program against the library"
for std in c99 c11; do
  cc -std=$std -pedantic -Wall -Wextra -Werror -fsyntax-only -x c include/logit_sampler.h
done
for std in c++11 c++17; do
  c++ -std=$std -pedantic -Wall -Wextra -Werror -fsyntax-only -x c++ include/logit_sampler.h
done
c++ -std=c++11 -pedantic -Wall -Wextra -Werror -Iinclude tests/header_cxx.cpp \
  "$lib/liblogit_sampler.a" "${native[@]}" -o "$out/header_cxx"
"$out/header_cxx"

step "aarch64 (NEON): the C tests cross-compiled, under qemu-aarch64"
cargo build -q --release -p logit-sampler-capi --target aarch64-unknown-linux-gnu
aarch64-linux-gnu-gcc "${cflags[@]}" tests/test_capi.c \
  "$target/aarch64-unknown-linux-gnu/release/liblogit_sampler.a" "${native[@]}" \
  -o "$out/test_capi_aarch64"
qemu-aarch64 -L /usr/aarch64-linux-gnu "$out/test_capi_aarch64"

# The thumb builds get their own target directories: LTO, one codegen unit and the
# optimisation level (a firmware's settings; LTO is what lets the optimiser see every
# bound) are set by environment, which would otherwise thrash the workspace's release
# artifacts. opt-level "s" is what firmware ships (firmware-example's profile); the proof
# is also run at the release default, 3, since a panic path may survive one and not the other.
thumb_build() { # thumb_build NAME OPT-LEVEL [cargo flags]: builds $out/NAME.a
  local name=$1 opt=$2
  shift 2
  CARGO_TARGET_DIR=$target/capi-thumb-o$opt CARGO_PROFILE_RELEASE_LTO=true \
    CARGO_PROFILE_RELEASE_CODEGEN_UNITS=1 CARGO_PROFILE_RELEASE_OPT_LEVEL=$opt \
    cargo rustc -q -p logit-sampler-capi --lib --release --target thumbv7em-none-eabihf \
    --no-default-features --crate-type staticlib "$@" 2> >(grep -v "dropping unsupported crate type \`cdylib\`" >&2)
  cp "$target/capi-thumb-o$opt/thumbv7em-none-eabihf/release/liblogit_sampler.a" "$out/$name.a"
}
step "thumbv7em-none-eabihf: the no_std staticlib, and its panic-never and teeth variants"
thumb_build no_std s
thumb_build panic_never s --features panic-never
thumb_build panic_never_o3 3 --features panic-never
thumb_build teeth s --features panic-never,teeth

# Every entry point in the header is a root of the link (-u), so the panic-never link
# covers them all, whatever main.c calls; only the allocator pair is absent from no_std.
roots=()
for f in $(grep -oE '\bls_[a-z0-9_]+\(' include/logit_sampler.h | tr -d '(' | sort -u); do
  case $f in ls_sampler_new | ls_sampler_free) ;; *) roots+=("-Wl,-u,$f") ;; esac
done
[ "${#roots[@]}" -ge 25 ] || { echo "found only ${#roots[@]} entry points in the header"; exit 1; }
firmware_link() { # firmware_link MAIN.c LIBRARY OUTPUT [extra flags]
  local main=$1 library=$2 output=$3
  shift 3
  arm-none-eabi-gcc -mcpu=cortex-m4 -mthumb -mfloat-abi=hard -mfpu=fpv4-sp-d16 -Os -std=c99 \
    -pedantic -Wall -Wextra -Werror -ffreestanding -fno-tree-loop-distribute-patterns \
    -ffunction-sections -fdata-sections -nostdlib -Iinclude "-I$out" -T firmware/link.ld \
    -Wl,--gc-sections -Wl,-z,noexecstack "-Wl,-Map=$output.map" "$@" \
    "$main" firmware/startup.c "$library" -lgcc -o "$output"
}
qemu() { # qemu ELF: runs it on a Cortex-M4F (QEMU prints semihosting output on stderr)
  timeout -k 5 60 qemu-system-arm -cpu cortex-m4 -machine mps2-an386 -nographic \
    -semihosting-config enable=on,target=native -kernel "$1" 2>&1
}

step "panic-never: the C firmware links the staticlib whose panic handler cannot link"
firmware_link firmware/main.c "$out/panic_never.a" "$out/firmware.elf" "${roots[@]}"
firmware_link firmware/main.c "$out/panic_never_o3.a" "$out/firmware_o3.elf" "${roots[@]}"
echo "linked at opt-level s and 3: no entry point of the C API has a reachable panic"
echo "--- panic-never has teeth: an entry point with an unchecked index must break the link"
if firmware_link firmware/main.c "$out/teeth.a" "$out/teeth.elf" "${roots[@]}" -Wl,-u,ls_teeth \
  2>"$out/teeth.log"; then
  echo "the planted panic linked: the panic-never check is not working"
  exit 1
fi
grep -q "panicking branch" "$out/teeth.log"
echo "the planted panic broke the link, as it must"

step "the firmware on a Cortex-M4F under qemu-system-arm (mps2-an386), at opt-level s and 3"
for elf in firmware firmware_o3; do
  qemu "$out/$elf.elf" >"$out/$elf.txt"
  cat "$out/$elf.txt"
  grep -q '^[1-9][0-9]* passed, 0 failed$' "$out/$elf.txt"
done
# The library's share of the flash: the .text and .rodata input sections the map
# attributes to the archive (after the map's list of discarded sections).
library_bytes() { # library_bytes MAP ARCHIVE
  local bytes=0 size
  for size in $(awk -v archive="/$(basename "$2")(" '
    /^Linker script and memory map/ { kept = 1 }
    !kept { next }
    /^ \.(text|rodata)[^ ]* +0x/ { if (index($0, archive)) print $3; next }
    /^ \.(text|rodata)[^ ]*$/ { pending = 1; next }
    pending && /^ +0x[0-9a-f]+ +0x[0-9a-f]+ / { if (index($0, archive)) print $2 }
    { pending = 0 }' "$1"); do
    bytes=$((bytes + size))
  done
  echo "$bytes"
}
arm-none-eabi-size "$out/firmware.elf" "$out/firmware_o3.elf"
echo "liblogit_sampler.a, every entry point kept: $(library_bytes "$out/firmware.elf.map" panic_never.a) bytes of flash at opt-level s, $(library_bytes "$out/firmware_o3.elf.map" panic_never_o3.a) at 3"

step "a minimal firmware (config, seed, sample) with the shipped no_std library"
firmware_link firmware/minimal.c "$out/no_std.a" "$out/minimal.elf"
qemu "$out/minimal.elf"
arm-none-eabi-size "$out/minimal.elf"
echo "liblogit_sampler.a in it: $(library_bytes "$out/minimal.elf.map" no_std.a) bytes of flash"

step "the README's C example (the block after its capi/check.sh marker)"
awk '/capi\/check.sh compiles this block/ { on = 1; next } on && /^```c$/ { body = 1; next }
     body && /^```$/ { exit } body { print }' ../README.md > "$out/readme_example.c"
[ -s "$out/readme_example.c" ] || { echo "no C example found in README.md"; exit 1; }
cc "${cflags[@]}" "$out/readme_example.c" "$lib/liblogit_sampler.a" "${native[@]}" \
  -o "$out/readme_example"
"$out/readme_example"

step "the engine-loop example (capi/examples/engine_loop.c)"
cc "${cflags[@]}" examples/engine_loop.c "$lib/liblogit_sampler.a" "${native[@]}" \
  -o "$out/engine_loop"
"$out/engine_loop"

step "all C API checks passed"
