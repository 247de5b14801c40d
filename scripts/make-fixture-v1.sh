#!/usr/bin/env bash
# make-fixture-v1.sh builds e2e/testdata/datadir-v1: a data directory written
# by the modelsql of data-directory format version 1 (main at 3f3b567, the
# last build before format versions were recorded), and what that build
# printed about it. e2e/datadir_test.go opens a copy with today's binary and
# expects the same answers.
#
# Usage (from anywhere; needs psql and python3):
#   git worktree add /tmp/oldsrc 3f3b567
#   (cd /tmp/oldsrc && go build -o /tmp/old-modelsql ./cmd/modelsql)
#   git worktree remove /tmp/oldsrc
#   scripts/make-fixture-v1.sh /tmp/old-modelsql
#
# The fixture holds a test secret.key (the APIKEY below is sealed with it) and
# test passwords; none of them protects anything.
set -euo pipefail

OLD=${1:?usage: $0 PATH-TO-OLD-MODELSQL}
OLD=$(cd "$(dirname "$OLD")" && pwd)/$(basename "$OLD")
ROOT=$(cd "$(dirname "$0")/.." && pwd)
OUT=$ROOT/e2e/testdata/datadir-v1
DATA=$OUT/data
EXP=$OUT/expected
cd "$ROOT" # LOCATION 'file://examples/...' is relative to the working directory

rm -rf "$OUT"
mkdir -p "$DATA" "$EXP"
export MODELSQL_SECRET_KEY= # use secret.key in the data directory

freeport() { /usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
waitport() {
	for _ in $(seq 1 200); do
		if /usr/bin/python3 -c "import socket,sys; socket.create_connection(('127.0.0.1',$1),1)" 2>/dev/null; then return 0; fi
		sleep 0.1
	done
	echo "nothing listens on port $1" >&2
	return 1
}
m() { "$OLD" --data "$DATA" "$@"; }

PIDS=()
cleanup() { for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done; }
trap cleanup EXIT

LLM_PORT=$(freeport)
"$OLD" fake-llm --listen "127.0.0.1:$LLM_PORT" --api-key fixture-key-7f3a >/dev/null 2>&1 &
PIDS+=($!)
waitport "$LLM_PORT"

# Tables in two projects, models of both kinds, several versions, moved defaults.
m -c "CREATE TABLE iris AS SELECT * FROM read_csv('examples/iris.csv')" \
	-c "CREATE MODEL iris_clf WITH VERSION v1 INPUT(f1 DOUBLE, f2 DOUBLE, f3 DOUBLE, f4 DOUBLE)
	    OPTIONS(MODEL_SOURCE_TYPE='IMPORT', MODEL_TYPE='BOOSTED_TREE_CLASSIFIER',
	            LOCATION='file://examples/iris_classifier.json') COMMENT 'iris, first import'" \
	-c "ALTER MODEL iris_clf ADD VERSION v2 INPUT(f1 DOUBLE, f2 DOUBLE, f3 DOUBLE, f4 DOUBLE)
	    WITH OPTIONS(LOCATION='file://examples/iris_classifier.json') COMMENT 'same file, stored once'" \
	-c "ALTER MODEL iris_clf SET DEFAULT_VERSION = v2" \
	-c "CREATE MODEL housing_reg WITH VERSION v01
	    INPUT(crim FLOAT, zn FLOAT, indus FLOAT, chas INT, nox FLOAT, rm FLOAT, age FLOAT,
	          dis FLOAT, rad FLOAT, tax FLOAT, ptratio FLOAT, lstat FLOAT)
	    OPTIONS(MODEL_SOURCE_TYPE='IMPORT', MODEL_TYPE='BOOSTED_TREE_REGRESSOR',
	            LOCATION='file://examples/housing_regressor.ubj') COMMENT 'housing prices'" \
	-c "CREATE MODEL llm WITH VERSION v1
	    OPTIONS(MODEL_SOURCE_TYPE='REMOTE', MODEL_TYPE='LLM', TASKS='text-generation',
	            PAI_EAS_MODEL_NAME='Qwen3-0.6B', PAI_EAS_SERVICE_NAME='fixture_service',
	            ENDPOINT='http://127.0.0.1:$LLM_PORT', APIKEY='fixture-key-7f3a', PAI_EAS_SYNC_MODE='true')
	    COMMENT 'remote LLM'" \
	-c "ALTER MODEL llm ADD VERSION v2
	    WITH OPTIONS(TASKS='text-generation', PAI_EAS_MODEL_NAME='Qwen3-0.6B', PAI_EAS_SERVICE_NAME='fixture_service',
	            ENDPOINT='http://127.0.0.1:$LLM_PORT', APIKEY='fixture-key-7f3a', PAI_EAS_SYNC_MODE='true')
	    COMMENT 'second version'" \
	-c "ALTER MODEL llm SET DEFAULT_VERSION = v2" >/dev/null
m --project sales -c "CREATE TABLE orders AS SELECT range AS id, range * 1.5 AS amount FROM range(20)" >/dev/null

# Users: an administrator, bob (grants of his own) and carol (through a role).
echo 'admin-pw-fixture' | "$OLD" user add --admin admin --data "$DATA" >/dev/null
echo 'bob-pw-fixture' | "$OLD" user add bob --data "$DATA" >/dev/null
echo 'carol-pw-fixture' | "$OLD" user add carol --data "$DATA" >/dev/null

PG_PORT=$(freeport)
"$OLD" serve --data "$DATA" --listen "127.0.0.1:$PG_PORT" --threads 2 >"$OUT/serve.log" 2>&1 &
SERVE=$!
PIDS+=($SERVE)
waitport "$PG_PORT"
q() { # q USER PASSWORD SQL...: psql, unaligned, tuples only
	local u=$1 pw=$2
	shift 2
	local args=()
	for s in "$@"; do args+=(-c "$s"); done
	PGPASSWORD=$pw psql -X -v ON_ERROR_STOP=1 -A -t -h 127.0.0.1 -p "$PG_PORT" -U "$u" -d default "${args[@]}"
}
q admin admin-pw-fixture \
	"CREATE ROLE analysts" \
	"GRANT ROLE analysts TO USER carol" \
	"GRANT Select ON TABLE iris TO ROLE analysts" \
	"GRANT CreateTable, List ON PROJECT default TO USER bob" \
	"GRANT Describe, Execute ON MODEL default.default.iris_clf TO USER bob" >/dev/null
q bob bob-pw-fixture "CREATE TABLE bob_notes AS SELECT 1 AS id, 'owned by bob' AS note" >/dev/null
q admin admin-pw-fixture "SHOW GRANTS FOR USER bob" >"$EXP/grants_bob.txt"
q admin admin-pw-fixture "SHOW GRANTS FOR USER carol" >"$EXP/grants_carol.txt"
q bob bob-pw-fixture "SELECT ML_PREDICT(iris_clf, DEFAULT_VERSION, 5.9, 3.0, 5.1, 1.8)" >"$EXP/bob_predict.txt"
q carol carol-pw-fixture "SELECT count(*), sum(f1) FROM iris" >"$EXP/carol_iris.txt"
kill -TERM "$SERVE"
wait "$SERVE" || true

# What the old build printed (CSV: the values, not the table drawing).
c() { m --format csv -c "$1" >"$EXP/$2"; }
c "SHOW MODELS" show_models.csv
c "DESC MODEL iris_clf" desc_iris_clf.csv
c "DESC MODEL housing_reg" desc_housing_reg.csv
c "DESC MODEL llm" desc_llm.csv
c "SHOW VERSIONS FOR MODEL iris_clf" versions_iris_clf.csv
c "SELECT id, ML_PREDICT(iris_clf, DEFAULT_VERSION, f1, f2, f3, f4) AS p FROM iris ORDER BY id" predict_iris.csv
c "SELECT id, ML_PREDICT(housing_reg, v01, crim::FLOAT, zn::FLOAT, indus::FLOAT, chas::INT, nox::FLOAT, rm::FLOAT, age::FLOAT, dis::FLOAT, rad::FLOAT, tax::FLOAT, ptratio::FLOAT, lstat::FLOAT) AS p
   FROM read_csv('examples/housing.csv') ORDER BY id LIMIT 20" predict_housing.csv
c "SELECT AI_GENERATE(llm, DEFAULT_VERSION, 'Describe an iris flower in one line') AS answer" ai_generate.csv
m --project sales --format csv -c "SELECT count(*), sum(amount) FROM orders" >"$EXP/sales_orders.csv"
echo "$LLM_PORT" >"$EXP/llm_port.txt"

rm -f "$OUT/serve.log"
ls -la "$DATA" "$DATA/projects"
du -sh "$OUT"
