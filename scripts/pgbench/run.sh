#!/usr/bin/env bash
# Reproducible speed comparison of vendrule's device hot path with the bare
# SQL of a redeem (docs/vouchers.md, "Speed"). It creates a scratch database
# on the PostgreSQL server at PGURL, loads setup.sql, ANALYZEs it, and per
# repeat runs back to back, each after a CHECKPOINT:
#
#   pgbench redeem.sql, distinct vouchers, 32 clients
#   vrload -mode distinct -devices 32                  (pairs: validate + redeem)
#   vrload -mode distinct -devices 32 -validate=false  (redeems only)
#   pgbench redeem.sql, one hot voucher, 8 clients
#   pgbench redeem.sql, one hot voucher, 32 clients
#   vrload -mode hot -devices 32                       (one gift voucher)
#
# and before them, for the latency of a device alone on the server:
#
#   vrload -mode distinct -devices 1, with and without validates
#
# It prints every run as it ends (with the seconds since vendrule started)
# and at the end a table of all runs with the ratios of each run, their
# minimum and their median, then drops the databases.
#
#   scripts/pgbench/run.sh [-T seconds] [-r repeats] [-s | -d DBNAME]
#
# With -s it builds vendrule, starts `vendrule serve` on 127.0.0.1:18080 over
# a second scratch database that is migrated and ANALYZEd while empty (the
# worst moment for the planner: a fresh deployment), and makes an admin; the
# vrload runs count from their first second (no warm-up). Without -s,
# VRLOAD_URL, VRLOAD_USER and VRLOAD_PASSWORD name a server of your own.
# With -d DBNAME it starts vendrule the same way on an existing database,
# e.g. the fleet-sized one of scripts/bigdb/generate.sh (user admin,
# password BIGDB_PASSWORD), which it neither analyzes nor drops.
#
# Environment: PGURL (default postgres://postgres@127.0.0.1:5432), the
# server for the scratch databases; PGPARAMS (default sslmode=disable),
# connection parameters for both pgbench and vendrule: sslmode=require
# compares them over TLS; VRLOAD_FLAGS: more vrload flags.
set -euo pipefail

T=10
R=3
SERVE=
KEEP=
while getopts "T:r:sd:" o; do
	case $o in
	T) T=$OPTARG ;;
	r) R=$OPTARG ;;
	s) SERVE=1 ;;
	d) SERVE=1 KEEP=$OPTARG ;;
	*) echo "usage: $0 [-T seconds] [-r repeats] [-s | -d DBNAME]" >&2; exit 2 ;;
	esac
done

cd "$(dirname "$0")"
PGURL=${PGURL:-postgres://postgres@127.0.0.1:5432}
PGPARAMS=${PGPARAMS-sslmode=disable}
Q=${PGPARAMS:+?$PGPARAMS} # the query part of every URL
DB=vr_pgbench_$$
SDB=${KEEP:-vr_serve_$$}
OUT=$(mktemp -d)
SERVER_PID=
cleanup() {
	[ -n "$SERVER_PID" ] && kill "$SERVER_PID" 2>/dev/null && wait "$SERVER_PID" 2>/dev/null
	psql -q "$PGURL/postgres" -c "DROP DATABASE IF EXISTS $DB WITH (FORCE)" >/dev/null 2>&1 || true
	[ -n "$KEEP" ] || psql -q "$PGURL/postgres" -c "DROP DATABASE IF EXISTS $SDB WITH (FORCE)" >/dev/null 2>&1 || true
	rm -rf "$OUT"
}
trap cleanup EXIT
psql -q "$PGURL/postgres" -c "CREATE DATABASE $DB"
psql -q "$PGURL/$DB" -v scale=10 -f setup.sql 2>/dev/null
psql -q "$PGURL/$DB" -c ANALYZE

if [ -n "$SERVE" ]; then
	(cd ../.. && go build -o "$OUT/vendrule" ./cmd/vendrule)
	export DATABASE_URL="$PGURL/$SDB$Q"
	VRLOAD_USER=admin
	if [ -n "$KEEP" ]; then
		VRLOAD_PASSWORD=${BIGDB_PASSWORD:-bigdb-password}
	else
		psql -q "$PGURL/postgres" -c "CREATE DATABASE $SDB"
		"$OUT/vendrule" migrate up >/dev/null 2>&1
		VRLOAD_PASSWORD=$(head -c 12 /dev/urandom | od -An -tx1 | tr -d ' \n')
		echo "$VRLOAD_PASSWORD" | "$OUT/vendrule" user add -admin -group bench -username admin \
			-email admin@bench.test -password-stdin >/dev/null
		psql -q "$PGURL/$SDB$Q" -c ANALYZE # statistics of empty tables, as on a fresh deployment
	fi
	VRLOAD_URL=http://127.0.0.1:18080
	VENDRULE_ADDR=127.0.0.1:18080 "$OUT/vendrule" serve >"$OUT/serve.log" 2>&1 &
	SERVER_PID=$!
	for _ in $(seq 100); do curl -sf "$VRLOAD_URL/readyz" >/dev/null && break; sleep 0.1; done
fi
STARTED=$(date +%s)
if [ -n "${VRLOAD_URL:-}" ] && [ -z "${VRLOAD:-}" ]; then
	VRLOAD=$OUT/vrload
	(cd ../.. && go build -o "$VRLOAD" ./cmd/vrload)
fi

# every measured run starts after a CHECKPOINT, so that none pays for the
# dirty pages and WAL of the run before it
checkpoint() { psql -q "$PGURL/postgres$Q" -c CHECKPOINT; }

# run NAME VALUE: records VALUE as run $i of NAME and prints it.
record() {
	echo "$2" >>"$OUT/$1"
	printf '  %-22s %8s   (t+%ss)\n' "$1" "$2" "$(($(date +%s) - STARTED))"
}
bench() { # name clients hot
	checkpoint
	record "$1" "$(pgbench -n -c "$2" -j 2 -T "$T" -D scale=10 -D hot="$3" -f redeem.sql "$PGURL/$DB$Q" 2>/dev/null |
		awk '/^tps/ {printf "%.0f\n", $3}')"
}
load() { # name mode [flags]
	checkpoint
	local name=$1 mode=$2
	shift 2
	"$VRLOAD" -url "$VRLOAD_URL" -user "$VRLOAD_USER" -password "$VRLOAD_PASSWORD" -mode "$mode" -devices 32 \
		-duration "${T}s" -warmup 0s "$@" ${VRLOAD_FLAGS:-} >"$OUT/last"
	record "$name" "$(awk '/^redeems\/s/ {print $2}' "$OUT/last")"
	grep -E '^(validate|redeem|pair) ' "$OUT/last" | sed 's/^/      /'
}

VR=${VRLOAD_URL:+1}
for i in $(seq "$R"); do
	echo "== run $i of $R ($(uptime | sed 's/.*load/load/'))"
	if [ -n "$VR" ]; then # one device alone: its latencies
		load vr_lone_pairs distinct -devices 1
		load vr_lone_redeems distinct -devices 1 -validate=false
	fi
	bench pg_distinct_32 32 0
	if [ -n "$VR" ]; then
		load vr_distinct_pairs distinct
		load vr_distinct_redeems distinct -validate=false
	fi
	bench pg_hot_8 8 1
	bench pg_hot_32 32 1
	[ -n "$VR" ] && load vr_hot hot
	# the redemptions of one run are not the next run's problem
	psql -q "$PGURL/$DB$Q" -c "TRUNCATE bench_redemptions, bench_voucher_logs; UPDATE bench_vouchers SET redemption_count = 0, amount_redeemed = 0"
done

median() { sort -n | awk '{a[NR]=$1} END {print (NR % 2) ? a[(NR+1)/2] : (a[NR/2] + a[NR/2+1]) / 2}'; }
echo "== all $R runs of ${T}s ($(uptime | sed 's/.*load/load/'); the 2 cores are shared: note it)"
for k in pg_distinct_32 pg_hot_8 pg_hot_32 vr_distinct_pairs vr_distinct_redeems vr_hot vr_lone_pairs vr_lone_redeems; do
	[ -s "$OUT/$k" ] && printf "%-20s median %8s   runs: %s\n" "$k" "$(median <"$OUT/$k")" "$(tr '\n' ' ' <"$OUT/$k")"
done
# ratio LABEL A B GOAL: A / B of each run, their minimum and median.
ratio() {
	local f=$OUT/ratio
	paste "$OUT/$2" "$OUT/$3" | awk '{printf "%.2f\n", $1 / $2}' >"$f"
	printf "%-34s runs: %s  min %s  median %s  (goal >= %s in every run)\n" "$1" \
		"$(tr '\n' ' ' <"$f")" "$(sort -n "$f" | head -1)" "$(median <"$f")" "$4"
}
if [ -n "$VR" ]; then
	ratio "pairs / pgbench distinct c=32" vr_distinct_pairs pg_distinct_32 1.0
	ratio "redeems / pgbench distinct c=32" vr_distinct_redeems pg_distinct_32 1.0
	ratio "hot / pgbench hot c=8" vr_hot pg_hot_8 2.0
fi
