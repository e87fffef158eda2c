#!/usr/bin/env bash
# scripts/bigdb/generate.sh: builds a fleet-sized vendrule database for the
# speed figures (docs/vouchers.md, "Speed"): at scale 1, 10 000 machines,
# 1 000 campaigns, 2 000 000 vouchers, 10 000 000 redemptions and as many
# log rows, in a tenant "bench" with an admin user.
#
#   scripts/bigdb/generate.sh [-S scale] DBNAME
#
# It (re)creates DBNAME on the server at PGURL (default
# postgres://postgres@127.0.0.1:5432), migrates it with vendrule, adds the
# user admin (password BIGDB_PASSWORD, default bigdb-password) and loads
# generate.sql. Then: scripts/pgbench/run.sh -d DBNAME. About 10 GB and a
# few minutes at scale 1; -S 0.1 for a quick try.
set -euo pipefail

SCALE=1
while getopts "S:" o; do
	case $o in
	S) SCALE=$OPTARG ;;
	*) echo "usage: $0 [-S scale] DBNAME" >&2; exit 2 ;;
	esac
done
shift $((OPTIND - 1))
[ $# -eq 1 ] || { echo "usage: $0 [-S scale] DBNAME" >&2; exit 2; }
DBNAME=$1
cd "$(dirname "$0")"
PGURL=${PGURL:-postgres://postgres@127.0.0.1:5432}
BIN=$(mktemp -d)
trap 'rm -rf "$BIN"' EXIT

(cd ../.. && go build -o "$BIN/vendrule" ./cmd/vendrule)
psql -q "$PGURL/postgres" -c "DROP DATABASE IF EXISTS $DBNAME WITH (FORCE)" -c "CREATE DATABASE $DBNAME"
export DATABASE_URL="$PGURL/$DBNAME?sslmode=disable"
"$BIN/vendrule" migrate up >/dev/null 2>&1
echo "${BIGDB_PASSWORD:-bigdb-password}" |
	"$BIN/vendrule" user add -admin -group bench -username admin -email admin@bench.test -password-stdin >/dev/null
GROUP=$(psql -XAtq "$DATABASE_URL" -c "SELECT id FROM user_groups WHERE name = 'bench'")
start=$(date +%s)
psql -X -q "$DATABASE_URL" -v ON_ERROR_STOP=1 -v scale="$SCALE" -v group="$GROUP" -f generate.sql
echo "generate.sh: $DBNAME built at scale $SCALE in $(($(date +%s) - start)) s"
