# Helpers for infra/load and infra/bench: a booking service of its own (release build,
# its own database and Redis key prefix, never the demo's), started and stopped here.
# Sourced after lib.sh, not run.

LOAD_DB="${LOAD_DB:-load_bench}"
LOAD_PORT="${LOAD_PORT:-8180}"
LOAD_PREFIX="${LOAD_PREFIX:-lb:}"
LOAD_STATE="$ROOT/var/load"

# Builds the release binaries, makes the database (migrated, demo data loaded) and, with
# CAPACITY set, raises every slot to at least that many places. With FRESH_DB=1 the
# database and the prefix's Redis keys of an earlier run go first, so runs start alike
# (bookings piling up from run to run made later runs slower).
prepare_load_db() {
  build_release
  BIN="$(target_dir)/release/booking"
  LOADTESTS="$(target_dir)/release/loadtests"
  mkdir -p "$LOAD_STATE"
  if [ "${FRESH_DB:-0}" = 1 ]; then
    say "starting from an empty $LOAD_DB and no $LOAD_PREFIX keys in Redis"
    psql "$PG_URL_BASE/postgres" -qc "DROP DATABASE IF EXISTS $LOAD_DB WITH (FORCE)"
    redis-cli -u "$REDIS_URL" --scan --pattern "${LOAD_PREFIX}*" \
      | xargs -r -n 1000 redis-cli -u "$REDIS_URL" UNLINK >/dev/null
  fi
  if [ "$(psql "$PG_URL_BASE/postgres" -qtAc "SELECT 1 FROM pg_database WHERE datname = '$LOAD_DB'")" != "1" ]; then
    say "creating database $LOAD_DB"
    psql "$PG_URL_BASE/postgres" -qc "CREATE DATABASE $LOAD_DB"
  fi
  say "loading demo sites and slots into $LOAD_DB"
  APP__DATABASE__URL="$PG_URL_BASE/$LOAD_DB" APP__REDIS__KEY_PREFIX="$LOAD_PREFIX" \
    APP__TELEMETRY__FILTER=warn "$BIN" seed
  if [ -n "${CAPACITY:-}" ]; then
    say "raising every slot to at least $CAPACITY places"
    psql "$PG_URL_BASE/$LOAD_DB" -qc \
      "UPDATE slots SET capacity = $CAPACITY, version = version + 1 WHERE capacity < $CAPACITY"
  fi
}

# Starts the service on LOAD_PORT with the limits in $1 (TOML lines for [limits]).
start_load_service() {
  local limits="$1"
  cat >"$LOAD_STATE/booking.toml" <<TOML
[limits]
$limits
TOML
  APP_CONFIG="$LOAD_STATE/booking.toml" \
  APP__HTTP__PORT="$LOAD_PORT" \
  APP__HTTP__WORKERS="${WORKERS:-2}" \
  APP__DATABASE__URL="$PG_URL_BASE/$LOAD_DB" \
  APP__DATABASE__POOL_SIZE="${POOL_SIZE:-16}" \
  APP__REDIS__URL="$REDIS_URL" \
  APP__REDIS__KEY_PREFIX="$LOAD_PREFIX" \
  APP__IDENTITY__DEV_PROVIDER=true \
  APP__IDENTITY__ISSUER="http://127.0.0.1:$LOAD_PORT/dev" \
  APP__IDENTITY__DEV_KEY_PATH="$LOAD_STATE/dev-idp-key.pem" \
  APP__TELEMETRY__FILTER="${LOG:-error}" \
  APP__WAITING_ROOM__LAPSE_SECONDS="${LAPSE_SECONDS:-180}" \
    "$BIN" >"$LOAD_STATE/booking.log" 2>&1 &
  LOAD_PID=$!
  trap 'kill $LOAD_PID 2>/dev/null; wait $LOAD_PID 2>/dev/null' EXIT INT TERM
  for _ in $(seq 1 150); do
    curl -fsS "http://127.0.0.1:$LOAD_PORT/readyz" >/dev/null 2>&1 && return 0
    kill -0 $LOAD_PID 2>/dev/null || die "the booking service stopped; see $LOAD_STATE/booking.log"
    sleep 0.2
  done
  die "the booking service did not become ready; see $LOAD_STATE/booking.log"
}
