#!/usr/bin/env bash
# Installs the Debian/Ubuntu packages esp-live's tests use (run as root, or it uses sudo):
#   socat            pseudo-terminal pairs for the serial device simulator
#   sox, espeak-ng   make and measure test audio; the codec interop reference
#   alsa-utils, libasound2-dev   real ALSA for local audio (and to build `speaker`)
#   udev             `udevadm`, which serialport uses to list USB ports
#   systemd          `systemd-analyze verify` checks the unit `esp-live service install` writes
#   openssl          a self-signed certificate for the TLS test
#   python3          firmware/tools/vectors.py, the independent generator of PROTOCOL.md's vectors
#   make, gcc, clang host-built firmware core tests (ASan/UBSan) and its libFuzzer target
#   gcc-riscv64-unknown-elf, picolibc-riscv64-unknown-elf, qemu-system-misc
#                    the firmware core cross-compiled for a 32-bit RISC-V (ESP32-C6 ISA) and run under QEMU
#   chromium         the web console's browser tests (driven headless by playwright-core, which never downloads a browser)
set -euo pipefail
packages=(python3 socat sox libsox-fmt-all espeak-ng alsa-utils libasound2-dev udev systemd openssl make gcc clang libclang-rt-14-dev
  gcc-riscv64-unknown-elf picolibc-riscv64-unknown-elf qemu-system-misc chromium)
sudo=""
[ "$(id -u)" -eq 0 ] || sudo="sudo"
$sudo apt-get update -qq
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${packages[@]}" >/dev/null
echo "system packages ready: ${packages[*]}"
