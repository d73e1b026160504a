#!/usr/bin/env bash
# Tandem vs ONNX Runtime on the same model with the same thread count, runs
# interleaved (ORT, Tandem, ORT, Tandem, ...) so both see the same machine
# noise. Prints per-round FPS, medians, spread, the ratio, and the peak
# resident memory of each (/usr/bin/time -v). Also the process CPU time per
# frame (median): on a busy machine wall-clock FPS mostly measures the
# scheduler, CPU time still measures the work (1 thread; with more threads it
# includes spinning).
#
#   bench/ort_compare.sh MODEL.onnx MODEL.tdm [--threads N] [--rounds R]
#                        [--runs K] [--warmup W] [--processor SPEC]
#
# ONNX Runtime comes from PyPI into .venv (created on first use; ignored by git).
# bench/peers.sh compares against OpenVINO, MNN and ncnn as well.
# Tandem is build/tandem (override with TANDEM=path). Default processor:
# cpu:threads=N.
set -euo pipefail

usage() { sed -n '2,16p' "$0"; exit 2; }
[ $# -ge 2 ] || usage
ONNX=$1 TDM=$2
shift 2
THREADS=1 ROUNDS=5 RUNS=10 WARMUP=2 PROCESSOR=""
while [ $# -gt 0 ]; do
  case $1 in
    --threads) THREADS=$2; shift 2 ;;
    --rounds) ROUNDS=$2; shift 2 ;;
    --runs) RUNS=$2; shift 2 ;;
    --warmup) WARMUP=$2; shift 2 ;;
    --processor) PROCESSOR=$2; shift 2 ;;
    *) usage ;;
  esac
done
[ -n "$PROCESSOR" ] || PROCESSOR="cpu:threads=$THREADS"
ROOT=$(cd "$(dirname "$0")/.." && pwd)
TANDEM=${TANDEM:-$ROOT/build/tandem}
VENV=$ROOT/.venv
[ -f "$ONNX" ] || { echo "ort_compare: no such file: $ONNX" >&2; exit 1; }
[ -f "$TDM" ] || { echo "ort_compare: no such file: $TDM" >&2; exit 1; }
[ -x "$TANDEM" ] || { echo "ort_compare: build tandem first ($TANDEM)" >&2; exit 1; }
[ -x /usr/bin/time ] || { echo "ort_compare: needs GNU time (apt-get install time)" >&2; exit 1; }

if [ ! -x "$VENV/bin/python" ] || ! "$VENV/bin/python" -c "import onnxruntime" 2>/dev/null; then
  echo "ort_compare: creating $VENV with onnxruntime (pip)" >&2
  "${PYTHON:-python3}" -m venv "$VENV"
  "$VENV/bin/pip" install -q onnxruntime numpy
fi

TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT

# run NAME CMD...: last stdout line (JSON) -> $TMP/NAME.json, peak RSS (KiB) -> $TMP/NAME.rss
run() {
  local name=$1
  shift
  /usr/bin/time -v -o "$TMP/$name.time" "$@" > "$TMP/$name.out"
  tail -n 1 "$TMP/$name.out" > "$TMP/$name.json"
  awk -F': ' '/Maximum resident set size/ {print $2}' "$TMP/$name.time" > "$TMP/$name.rss"
}

field() { "$VENV/bin/python" -c "import json,sys; print(json.load(open(sys.argv[1]))[sys.argv[2]])" "$1" "$2"; }

echo "model: $ONNX / $TDM, threads $THREADS, $ROUNDS rounds x $RUNS runs (+$WARMUP warmup)"
echo "round  ort_fps  tandem_fps  ratio  ort_cpu_ms  tandem_cpu_ms"
ORT_FPS=() TDM_FPS=() ORT_CPU=() TDM_CPU=() ORT_RSS=0 TDM_RSS=0
for r in $(seq 1 "$ROUNDS"); do
  run ort "$VENV/bin/python" "$ROOT/bench/ort_bench.py" "$ONNX" --threads "$THREADS" \
    --runs "$RUNS" --warmup "$WARMUP"
  run tdm "$TANDEM" bench "$TDM" --processor "$PROCESSOR" --runs "$RUNS" --warmup "$WARMUP" --json
  o=$(field "$TMP/ort.json" fps)
  t=$(field "$TMP/tdm.json" fps)
  oc=$(field "$TMP/ort.json" cpu_ms)
  tc=$(field "$TMP/tdm.json" cpu_ms)
  ORT_FPS+=("$o")
  TDM_FPS+=("$t")
  ORT_CPU+=("$oc")
  TDM_CPU+=("$tc")
  ORT_RSS=$(( $(cat "$TMP/ort.rss") > ORT_RSS ? $(cat "$TMP/ort.rss") : ORT_RSS ))
  TDM_RSS=$(( $(cat "$TMP/tdm.rss") > TDM_RSS ? $(cat "$TMP/tdm.rss") : TDM_RSS ))
  awk -v r="$r" -v o="$o" -v t="$t" -v oc="$oc" -v tc="$tc" \
    'BEGIN { printf "%5d  %7.2f  %10.2f  %5.3f  %10.2f  %13.2f\n", r, o, t, t / o, oc, tc }'
done

"$VENV/bin/python" - "$ORT_RSS" "$TDM_RSS" "${ORT_FPS[*]}" "${TDM_FPS[*]}" "${ORT_CPU[*]}" \
  "${TDM_CPU[*]}" <<'PY'
import statistics, sys
ort_rss, tdm_rss = int(sys.argv[1]), int(sys.argv[2])
o = [float(x) for x in sys.argv[3].split()]
t = [float(x) for x in sys.argv[4].split()]
oc = statistics.median(float(x) for x in sys.argv[5].split())
tc = statistics.median(float(x) for x in sys.argv[6].split())
mo, mt = statistics.median(o), statistics.median(t)
print(f"onnxruntime  median {mo:8.2f} FPS  (min {min(o):.2f}, max {max(o):.2f})  peak RSS {ort_rss/1024:.0f} MiB")
print(f"tandem       median {mt:8.2f} FPS  (min {min(t):.2f}, max {max(t):.2f})  peak RSS {tdm_rss/1024:.0f} MiB")
print(f"ratio tandem/onnxruntime: {mt/mo:.3f} (FPS), {tdm_rss/max(ort_rss,1):.3f} (peak RSS)")
print(f"cpu time per frame: onnxruntime {oc:.2f} ms, tandem {tc:.2f} ms, speed ratio {oc/tc:.3f}")
PY
