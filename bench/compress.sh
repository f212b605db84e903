#!/usr/bin/env bash
# Compressed weights (issue 8): a network with compressed weights against the same network
# stored dense (every conv / linear layer forced to `weight_format: dense`), on one platform.
# Prints model size (raw / stored), DRAM bytes read, DRAM energy, decompressor energy, total
# energy and cycles of each, and the ratios; the simulation is deterministic, so the figures
# are exact (REPEATS > 1 only repeats the wall time, whose median is printed).
# Usage: bench/compress.sh [NETWORK] [HW] [REPEATS]   (defaults: resnet20-hybrid-sparse4,
# configs/hw/default.yaml, 3; SAVP=path/to/savp to use another build; OBJECTIVE=latency|energy|edp
# for the tiling search, default latency)
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
savp="${SAVP:-$root/build/app/savp}"
net="${1:-resnet20-hybrid-sparse4}"
hw="${2:-$root/configs/hw/default.yaml}"
reps="${3:-3}"
tmp="$(mktemp -d)"; trap 'rm -rf "$tmp"' EXIT
# The dense twin: weight_format: dense added to the network's defaults (or a new defaults map).
python3 - "$root/configs/nets/$net.yaml" "$tmp/dense.yaml" <<'PY'
import re, sys
s = open(sys.argv[1]).read()
if re.search(r'^defaults: \{', s, re.M):
    s = re.sub(r'^defaults: \{', 'defaults: {weight_format: dense, ', s, count=1, flags=re.M)
else:
    s = re.sub(r'^layers:', 'defaults: {weight_format: dense}\nlayers:', s, count=1, flags=re.M)
open(sys.argv[2], 'w').write(s)
PY
for v in auto dense; do
  file="$root/configs/nets/$net.yaml"; [ "$v" = dense ] && file="$tmp/dense.yaml"
  : > "$tmp/$v.wall"
  for i in $(seq "$reps"); do
    "$savp" run --hw "$hw" --net "$file" --functional --objective "${OBJECTIVE:-latency}" \
      --report "$tmp/$v.json" > "$tmp/$v.txt"
    python3 -c "import json;print(json.load(open('$tmp/$v.json'))['simulator']['wall_seconds'])" >> "$tmp/$v.wall"
  done
  grep -q "bit-exact" "$tmp/$v.txt" || { echo "$v: functional check failed"; exit 1; }
done
python3 - "$tmp" "$net" <<'PY'
import json, sys, statistics
tmp, net = sys.argv[1], sys.argv[2]
r = {v: json.load(open(f"{tmp}/{v}.json")) for v in ("auto", "dense")}
wall = {v: statistics.median(float(x) for x in open(f"{tmp}/{v}.wall")) for v in r}
def row(name, f, unit=""):
    a, d = f(r["auto"]), f(r["dense"])
    ratio = f"{a / d:.3f}" if d else "-"
    print(f"| {name} | {a:,.1f}{unit} | {d:,.1f}{unit} | {ratio} |" if isinstance(a, float)
          else f"| {name} | {a:,}{unit} | {d:,}{unit} | {ratio} |")
print(f"{net}: compressed (weight_format auto) vs the same network stored dense\n")
print("| figure | compressed | dense | compressed / dense |\n|---|---|---|---|")
row("weights stored (B)", lambda j: j["model_size"]["weight_bytes_stored"])
row("weights raw (B)", lambda j: j["model_size"]["weight_bytes_raw"])
row("DRAM bytes read", lambda j: j["dram"]["read_bytes"])
row("DRAM energy (nJ)", lambda j: j["energy"]["by_component_pj"]["dram"] / 1e3)
row("decompress energy (nJ)", lambda j: j["energy"]["by_component_pj"]["decompress"] / 1e3)
row("total energy (nJ)", lambda j: j["energy"]["total_pj"] / 1e3)
row("cycles", lambda j: j["cycles"])
row("decompressor busy cycles", lambda j: j["totals"]["decompress_cycles"])
print(f"\nDRAM energy saved: {(r['dense']['energy']['by_component_pj']['dram'] - r['auto']['energy']['by_component_pj']['dram']) / 1e3:,.1f} nJ; "
      f"model {r['auto']['model_size']['compression_ratio']:.2f}x smaller; "
      f"wall (median) {wall['auto']:.3f} s vs {wall['dense']:.3f} s")
PY
