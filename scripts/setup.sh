#!/usr/bin/env bash
# Installs the Debian 12 packages savp needs, when they are missing. Idempotent; needs root
# (or sudo) only when something is missing. Usage: scripts/setup.sh [--torch]
set -euo pipefail

pkgs=(cmake g++ make pkg-config libsystemc-dev libyaml-cpp-dev libfmt-dev libcli11-dev
      nlohmann-json3-dev zlib1g-dev libgtest-dev libgmock-dev libbenchmark-dev libsqlite3-dev)
if [[ "${1:-}" == "--torch" ]]; then
  pkgs+=(libtorch-dev dataset-fashion-mnist)
fi

missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  echo "setup: installing ${missing[*]}"
  SUDO=""
  [[ $(id -u) -ne 0 ]] && SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi
