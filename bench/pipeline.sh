#!/usr/bin/env bash
# `make bench`'s pipeline part: times `retention run` on the benchmark inbox, each stage
# from the run's own log (elapsed_ms) and the whole run with /usr/bin/time (wall, peak
# memory). With a baseline binary (`make bench BASELINE=path`, issue #28), the two
# binaries run in turns (new, old, new, old, ...), since these machines are noisy, and the
# medians are printed side by side with their ratio, so that a slowdown shows in the
# change that made it.
#
# usage: bench/pipeline.sh RETENTION_BINARY BENCH_DIR AS_OF [BASELINE_BINARY] [RUNS]
set -euo pipefail
bin=$1
dir=$2
as_of=$3
baseline=${4:-}
runs=${5:-3}
out="$dir/pipeline-times.tsv"
: > "$out"

one() { # label binary run-number
    local label=$1 b=$2 i=$3 log="$dir/run-$1.log"
    rm -rf "$dir/warehouse-$label"
    /usr/bin/time -f "%e %M" -o "$dir/time-$label.txt" \
        "$b" run --inbox "$dir/inbox" --warehouse "$dir/warehouse-$label" --as-of "$as_of" \
        2>"$log" >/dev/null || { cat "$log"; exit 1; }
    read -r wall peak < "$dir/time-$label.txt"
    printf '%s\t%s\twhole run\t%s\n' "$label" "$i" "$wall" >> "$out"
    printf '%s\t%s\tpeak memory (MB)\t%s\n' "$label" "$i" "$((peak / 1024))" >> "$out"
    sed -e 's/\x1b\[[0-9;]*m//g' "$log" | python3 -c '
import re, sys
label, i = sys.argv[1], sys.argv[2]
for line in sys.stdin:
    m = re.search(r"(INFO|WARN)\s+(.*?)\s+(?:\S+=\S+\s+)*?elapsed_ms=(\d+)", line)
    if m:
        print(f"{label}\t{i}\t{m.group(2)}\t{int(m.group(3)) / 1000:.2f}")
' "$label" "$i" >> "$out"
    echo "$label run $i: $wall s wall, $((peak / 1024)) MB peak"
}

for i in $(seq 1 "$runs"); do
    one new "$bin" "$i"
    if [ -n "$baseline" ]; then one baseline "$baseline" "$i"; fi
done

python3 - "$out" "${baseline:+yes}" <<'PY'
import statistics, sys
rows = [l.rstrip("\n").split("\t") for l in open(sys.argv[1])]
with_baseline = sys.argv[2] == "yes"
order, values = [], {}
for label, _, stage, v in rows:
    if stage not in order:
        order.append(stage)
    values.setdefault((label, stage), []).append(float(v))
med = lambda k: statistics.median(values[k]) if k in values else None
print()
if with_baseline:
    print(f"{'median of each stage (s; memory in MB)':48} {'this':>9} {'baseline':>9} {'ratio':>7}")
    for stage in order:
        a, b = med(("new", stage)), med(("baseline", stage))
        ratio = f"{a / b:7.2f}" if a is not None and b else "      -"
        fa = f"{a:9.2f}" if a is not None else "        -"
        fb = f"{b:9.2f}" if b is not None else "        -"
        print(f"{stage[:48]:48} {fa} {fb} {ratio}")
else:
    print(f"{'median of each stage (s; memory in MB)':48} {'this':>9}")
    for stage in order:
        print(f"{stage[:48]:48} {med(('new', stage)):9.2f}")
PY
