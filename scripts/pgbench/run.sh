#!/usr/bin/env bash
# Reproducible speed comparison of vendrule's redeem with the bare SQL
# transaction (docs/vouchers.md, "Speed"). It creates a scratch database on
# the PostgreSQL server at PGURL, loads setup.sql, and per repeat runs back
# to back:
#
#   pgbench redeem.sql, distinct vouchers, 32 clients
#   vrload -mode distinct -devices 32          (only with VRLOAD_URL)
#   pgbench redeem.sql, one hot voucher, 8 clients
#   pgbench redeem.sql, one hot voucher, 32 clients
#   vrload -mode hot -devices 32               (only with VRLOAD_URL)
#
# then prints the median of each and the ratios, and drops the database.
#
#   scripts/pgbench/run.sh [-T seconds] [-r repeats] [-s]
#
# With -s it also builds vendrule, starts `vendrule serve` on 127.0.0.1:18080
# over a second scratch database on the same server, makes an admin, runs
# the vrload steps against it, and stops it at the end. pgbench and vendrule
# connect with the same PGURL and PGPARAMS, so both use TLS or neither does.
# By default both use their defaults (sslmode=prefer: TLS when the server
# offers it, as this machine's does); PGPARAMS=sslmode=disable compares them
# without TLS, which helps pgbench more (every statement is a round trip).
#
# Environment: PGURL (default postgres://postgres@127.0.0.1:5432), the
# server for the scratch databases; PGPARAMS (default none), connection
# parameters for both; VRLOAD_URL, VRLOAD_USER, VRLOAD_PASSWORD: a
# server of your own for the vrload runs instead of -s; VRLOAD_FLAGS: more
# vrload flags (e.g. -validate=false for redeems without validates).
set -euo pipefail

T=10
R=3
SERVE=
while getopts "T:r:s" o; do
	case $o in
	T) T=$OPTARG ;;
	r) R=$OPTARG ;;
	s) SERVE=1 ;;
	*) echo "usage: $0 [-T seconds] [-r repeats] [-s]" >&2; exit 2 ;;
	esac
done

cd "$(dirname "$0")"
PGURL=${PGURL:-postgres://postgres@127.0.0.1:5432}
Q=${PGPARAMS:+?$PGPARAMS} # the query part of every URL
DB=vr_pgbench_$$
SDB=vr_serve_$$
OUT=$(mktemp -d)
SERVER_PID=
cleanup() {
	[ -n "$SERVER_PID" ] && kill "$SERVER_PID" 2>/dev/null && wait "$SERVER_PID" 2>/dev/null
	psql -q "$PGURL/postgres" -c "DROP DATABASE IF EXISTS $DB WITH (FORCE)" >/dev/null 2>&1 || true
	psql -q "$PGURL/postgres" -c "DROP DATABASE IF EXISTS $SDB WITH (FORCE)" >/dev/null 2>&1 || true
	rm -rf "$OUT"
}
trap cleanup EXIT
psql -q "$PGURL/postgres" -c "CREATE DATABASE $DB"
psql -q "$PGURL/$DB" -v scale=10 -f setup.sql 2>/dev/null
psql -q "$PGURL/$DB" -c ANALYZE

if [ -n "$SERVE" ]; then
	(cd ../.. && go build -o "$OUT/vendrule" ./cmd/vendrule)
	psql -q "$PGURL/postgres" -c "CREATE DATABASE $SDB"
	export DATABASE_URL="$PGURL/$SDB$Q"
	"$OUT/vendrule" migrate up >/dev/null 2>&1
	VRLOAD_USER=admin VRLOAD_PASSWORD=$(head -c 12 /dev/urandom | od -An -tx1 | tr -d ' \n')
	echo "$VRLOAD_PASSWORD" | "$OUT/vendrule" user add -admin -group bench -username admin -email admin@bench.test \
		-password-stdin >/dev/null
	VRLOAD_URL=http://127.0.0.1:18080
	VENDRULE_ADDR=127.0.0.1:18080 "$OUT/vendrule" serve >"$OUT/serve.log" 2>&1 &
	SERVER_PID=$!
	for _ in $(seq 100); do curl -sf "$VRLOAD_URL/readyz" >/dev/null && break; sleep 0.1; done
fi
if [ -n "${VRLOAD_URL:-}" ] && [ -z "${VRLOAD:-}" ]; then
	VRLOAD=$OUT/vrload
	(cd ../.. && go build -o "$VRLOAD" ./cmd/vrload)
fi

# every measured run starts after a CHECKPOINT, so that none pays for the
# dirty pages and WAL of the run before it
checkpoint() { psql -q "$PGURL/postgres$Q" -c CHECKPOINT; }

bench() { # name clients hot
	checkpoint
	pgbench -n -c "$2" -j 2 -T "$T" -D scale=10 -D hot="$3" -f redeem.sql "$PGURL/$DB$Q" 2>/dev/null |
		awk '/^tps/ {printf "%.0f\n", $3}' | tee -a "$OUT/$1"
}
load() { # name mode
	checkpoint
	"$VRLOAD" -url "$VRLOAD_URL" -user "$VRLOAD_USER" -password "$VRLOAD_PASSWORD" -mode "$2" -devices 32 \
		-duration "${T}s" -warmup 2s ${VRLOAD_FLAGS:-} | tee "$OUT/last"
	awk '/^redeems\/s/ {print $2}' "$OUT/last" >>"$OUT/$1"
}

if [ -n "$SERVE" ]; then
	# a first short load fills the new database, then its statistics are
	# gathered (as autovacuum would in a database that has run a while)
	"$VRLOAD" -url "$VRLOAD_URL" -user "$VRLOAD_USER" -password "$VRLOAD_PASSWORD" -mode distinct -devices 32 \
		-duration 2s -warmup 0s >/dev/null
	psql -q "$PGURL/$SDB$Q" -c ANALYZE
fi

for i in $(seq "$R"); do
	echo "== run $i of $R ($(uptime | sed 's/.*load/load/'))"
	echo -n "pgbench distinct c=32 tps: "; bench pg_distinct_32 32 0
	[ -n "${VRLOAD_URL:-}" ] && load vr_distinct distinct
	echo -n "pgbench hot c=8 tps: "; bench pg_hot_8 8 1
	echo -n "pgbench hot c=32 tps: "; bench pg_hot_32 32 1
	[ -n "${VRLOAD_URL:-}" ] && load vr_hot hot
	# the redemptions of one run are not the next run's problem
	psql -q "$PGURL/$DB$Q" -c "TRUNCATE bench_redemptions; UPDATE bench_vouchers SET redemption_count = 0, amount_redeemed = 0"
done

median() { sort -n "$OUT/$1" | awk '{a[NR]=$1} END {print (NR % 2) ? a[(NR+1)/2] : (a[NR/2] + a[NR/2+1]) / 2}'; }
echo "== medians of $R runs of ${T}s ($(uptime | sed 's/.*load/load/'); the 2 cores are shared: note it)"
for k in pg_distinct_32 pg_hot_8 pg_hot_32 vr_distinct vr_hot; do
	[ -s "$OUT/$k" ] && printf "%-16s %8s   (runs: %s)\n" "$k" "$(median $k)" "$(tr '\n' ' ' <"$OUT/$k")"
done
if [ -s "$OUT/vr_distinct" ]; then
	awk -v a="$(median vr_distinct)" -v b="$(median pg_distinct_32)" \
		'BEGIN {printf "distinct: vrload redeems/s / pgbench tps (c=32) = %.2f (goal >= 0.70)\n", a / b}'
	awk -v a="$(median vr_hot)" -v b="$(median pg_hot_8)" \
		'BEGIN {printf "hot:      vrload redeems/s / pgbench hot tps (c=8) = %.2f (goal >= 1.00)\n", a / b}'
fi
