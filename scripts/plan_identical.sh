#!/usr/bin/env bash
# Checks that two tandem builds choose the same plans: `tandem plan --json` of
# each, on one cost table (the old build measures it into a fresh cache, the new
# one reads that cache), must match except for the planning time, for each set
# of plan options; and a plan one build saves into a .tdm the other reads back
# (`tandem info` prints the same stored plan).
#   scripts/plan_identical.sh OLD_TANDEM NEW_TANDEM MODEL.tdm PROCESSORS
set -euo pipefail
old=$1 new=$2 model=$3 procs=$4
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
export TANDEM_CACHE_DIR=$work/cache
variants=("" "--no-replicas" "--objective latency" "--no-intra-op" "--min-gain 0")
fail=0
strip() { tail -n 1 "$1" | python3 -c 'import json,sys; j=json.load(sys.stdin); j.pop("plan_ms"); print(json.dumps(j, sort_keys=True))'; }
for v in "${variants[@]}"; do
  # shellcheck disable=SC2086
  "$old" plan "$model" --processors "$procs" --json $v > "$work/old.txt" 2> /dev/null
  # shellcheck disable=SC2086
  "$new" plan "$model" --processors "$procs" --json $v > "$work/new.txt" 2> /dev/null
  if [[ "$(strip "$work/old.txt")" == "$(strip "$work/new.txt")" ]]; then
    echo "same plan  $(basename "$model") ${v:-(defaults)}: $(strip "$work/new.txt" | python3 -c 'import json,sys; j=json.load(sys.stdin); print(j["kind"], [(s["processor"], s["first_node"], s["last_node"]) for s in j["stages"]])')"
  else
    echo "DIFFERENT  $(basename "$model") ${v:-(defaults)}"; diff <(strip "$work/old.txt") <(strip "$work/new.txt") || true; fail=1
  fi
done
for pair in "$old $new" "$new $old"; do
  read -r writer reader <<< "$pair"
  cp "$model" "$work/saved.tdm"
  "$writer" plan "$work/saved.tdm" --processors "$procs" --save --no-intra-op > /dev/null 2>&1
  if [[ "$("$writer" info "$work/saved.tdm")" == "$("$reader" info "$work/saved.tdm")" ]]; then
    echo "stored plan reads back the same ($writer -> $reader)"
  else
    echo "STORED PLAN DIFFERS ($writer -> $reader)"; fail=1
  fi
done
exit $fail
