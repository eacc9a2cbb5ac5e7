#!/usr/bin/env bash
# `make bench`'s server part (issue #14): CLIENTS concurrent pgbench clients (default 50),
# each sending `select * from office_risk` and a filtered variant (one office's ALL row)
# back to back for DURATION seconds (default 60), against `retention serve` on the
# benchmark warehouse. Prints p50 and p99 latency, queries per second and failures.
#
# usage: bench/serve.sh RETENTION_BINARY BENCH_DIR   (BENCH_DIR/warehouse must be published)
set -euo pipefail
bin=$1
dir=$2
clients=${CLIENTS:-50}
duration=${DURATION:-60}
work=$dir/serve
rm -rf "$work" && mkdir -p "$work"
echo "bench-password" | "$bin" users add bench --role leadership --users "$work/users.toml" >/dev/null
"$bin" serve --warehouse "$dir/warehouse" --users "$work/users.toml" --listen 127.0.0.1:0 \
    --max-connections $((clients + 4)) >"$work/serve.out" 2>"$work/serve.log" &
server=$!
trap 'kill $server 2>/dev/null || true' EXIT
for _ in $(seq 1 300); do grep -q "listening on" "$work/serve.out" && break; sleep 0.1; done
port=$(sed -n 's/^listening on .*:\([0-9]*\)$/\1/p' "$work/serve.out")
[ -n "$port" ] || { cat "$work/serve.log"; exit 1; }
offices=$(PGPASSWORD=bench-password psql -X -At "host=127.0.0.1 port=$port dbname=retention user=bench" \
    -c "select count(*) from office_risk where tenure_band = 'ALL' and office_id <> 'ALL'")
echo "select * from office_risk;" >"$work/all.sql"
printf '\\set o random(1, %s)\nselect * from office_risk where tenure_band = '"'ALL'"' and office_id = concat('"'OFF'"', lpad(cast(:o as varchar), 3, '"'0'"'));\n' \
    "$offices" >"$work/one.sql"
(cd "$work" && PGPASSWORD=bench-password pgbench -h 127.0.0.1 -p "$port" -U bench -n \
    -c "$clients" -j 2 -T "$duration" -M simple -f all.sql -f one.sql -l --log-prefix=latency retention \
    >pgbench.out 2>pgbench.err) || { cat "$work/pgbench.err"; exit 1; }
grep -E "number of (transactions actually processed|failed transactions)|^tps" "$work/pgbench.out"
if grep -q "aborted" "$work/pgbench.err"; then grep "aborted" "$work/pgbench.err" | head -3; exit 1; fi
cat "$work"/latency.* | awk '{print $3}' | sort -n | awk -v s="$duration" '
    { v[NR] = $1 }
    END {
        printf "serve: %d clients x %d s: %d queries, %.0f queries/s, p50 %.2f ms, p99 %.2f ms, max %.2f ms\n",
            '"$clients"', s, NR, NR / s, v[int(NR * 0.50)] / 1000, v[int(NR * 0.99)] / 1000, v[NR] / 1000
    }'
