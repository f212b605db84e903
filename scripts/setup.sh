#!/usr/bin/env bash
# Installs the Debian 12 packages savp needs, when they are missing. Idempotent; needs root
# (or sudo) only when something is missing. Usage: scripts/setup.sh [--no-torch]
# (--no-torch: leave out LibTorch and Fashion-MNIST, for a build without the NAS training part)
set -euo pipefail

pkgs=(cmake g++ make pkg-config libsystemc-dev libyaml-cpp-dev libfmt-dev libcli11-dev
      nlohmann-json3-dev zlib1g-dev libgtest-dev libgmock-dev libbenchmark-dev libsqlite3-dev
      libopenmpi-dev openmpi-bin chromium)
# npm (for the charting libraries savp report inlines, below): Debian's nodejs + npm, unless a
# node/npm is already on the PATH (another nodejs build ships its own npm and conflicts with
# Debian's npm package).
command -v npm >/dev/null 2>&1 || pkgs+=(nodejs npm)
if [[ "${1:-}" != "--no-torch" ]]; then
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

# The charting libraries of savp report (Vega, Vega-Lite, vega-embed; versions pinned by
# third_party/js/package.json and package-lock.json), installed from the npm registry into the
# gitignored third_party/js/node_modules. savp report reads and inlines them at report time.
js_dir="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)/third_party/js"
if [[ ! -f "$js_dir/node_modules/vega-embed/build/vega-embed.min.js" ]]; then
  echo "setup: npm ci in $js_dir (vega, vega-lite, vega-embed for savp report)"
  (cd "$js_dir" && npm ci --no-audit --no-fund --loglevel=error)
fi
