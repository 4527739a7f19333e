#!/usr/bin/env bash
# Installs what the MCU builds need, when missing: the Rust targets of the four
# families and Debian's QEMU system emulators (qemu-system-arm for the
# Cortex-M boards, qemu-system-misc for qemu-system-riscv32) and
# binutils-arm-none-eabi (arm-none-eabi-size). Used by firmware-example/check.sh,
# firmware-example/size-budget.sh and cost-probe/run.sh; CI starts from a fresh machine.
set -euo pipefail
rustup target add thumbv7em-none-eabihf thumbv6m-none-eabi thumbv8m.main-none-eabihf \
  riscv32imac-unknown-none-elf >/dev/null 2>&1 ||
  rustup target add thumbv7em-none-eabihf thumbv6m-none-eabi thumbv8m.main-none-eabihf \
    riscv32imac-unknown-none-elf
need=()
command -v qemu-system-arm >/dev/null || need+=(qemu-system-arm)
command -v qemu-system-riscv32 >/dev/null || need+=(qemu-system-misc)
command -v arm-none-eabi-size >/dev/null || need+=(binutils-arm-none-eabi)
if ((${#need[@]})); then
  echo "--- installing ${need[*]}"
  sudo=""
  [ "$(id -u)" = 0 ] || sudo="sudo"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends \
    -o DPkg::Lock::Timeout=300 "${need[@]}" >/dev/null
fi
