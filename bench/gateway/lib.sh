# Shared by run.sh and soak.sh (sourced, not run): starting, pinning, measuring and stopping the
# processes of a run, preparing keywarden, and the throwaway Postgres database + Redis key prefix of
# the scale-out target. Everything started here is stopped again by lib_cleanup (call it from the
# caller's EXIT trap), and everything created (data dirs, database, Redis keys) is removed.
#
# The caller sets first: HERE REPO RUN_DIR (with logs/ in it) RUN_ID PIN UPSTREAM_ORIGIN
# BENCH_UPSTREAM_KEY, and has `set -euo pipefail`.

log() { printf '[%s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
pin() { if [ "$PIN" = 1 ]; then taskset -c "$1" "${@:2}"; else "${@:2}"; fi; }

# PID[name]: the listener we measure; STARTED[name]: the process group we started (setsid).
declare -A PID=() STARTED=()
DATA_DIRS=()      # keywarden data dirs we created (they hold a master key: removed at the end)
BG_PIDS=()        # samplers etc. running in this shell's background

port_busy() { [ -n "$(ss -ltnH "sport = :$1" 2>/dev/null)" ]; }
port_pid() { ss -ltnpH "sport = :$1" 2>/dev/null | grep -o 'pid=[0-9]*' | head -1 | cut -d= -f2; }
wait_port() { # port seconds
  local i; for ((i = 0; i < $2 * 10; i++)); do port_busy "$1" && return 0; sleep 0.1; done
  return 1
}
# start NAME PORT CPU CMD...  (setsid: a new process group, so we can stop exactly what we started)
start() {
  local name=$1 port=$2 cpu=$3; shift 3
  if port_busy "$port"; then echo "port $port (for $name) is already in use; stop that process first" >&2; exit 1; fi
  (cd "$RUN_DIR" && exec setsid bash -c 'exec "$@"' _ $( [ "$PIN" = 1 ] && echo taskset -c "$cpu" ) "$@" >"$RUN_DIR/logs/$name.log" 2>&1) &
  local p=$!
  STARTED[$name]=$p
  if ! wait_port "$port" 30; then echo "$name did not listen on :$port; log:" >&2; tail -20 "$RUN_DIR/logs/$name.log" >&2; exit 1; fi
  PID[$name]=$(port_pid "$port"); [ -n "${PID[$name]}" ] || PID[$name]=$p
  log "started $name pid=${PID[$name]} port=$port cpu=$([ "$PIN" = 1 ] && echo "$cpu" || echo any)"
}

proc_ticks() { [ -n "${1:-}" ] && [ -r "/proc/$1/stat" ] && awk '{sub(/^.*\) /, ""); print $12 + $13}' "/proc/$1/stat" || echo 0; }
rss_kb() { [ -n "${1:-}" ] && awk '/^VmRSS/{print $2}' "/proc/$1/status" 2>/dev/null || echo 0; }
# the kernel's RSS high-water mark: catches peaks that fall between samples
hwm_kb() { [ -n "${1:-}" ] && awk '/^VmHWM/{print $2}' "/proc/$1/status" 2>/dev/null || echo 0; }
upstream_count() { curl -s "$UPSTREAM_ORIGIN/__stats" | grep -o "\"$1\":[0-9]*" | cut -d: -f2; }

# ---- keywarden ----------------------------------------------------------------------------
# prepare_keywarden NAME PORT local|scaleout
# A fresh data dir prepared by prepare-gateway.mjs; sets KW_KEY[NAME] (the virtual key) and
# KW_CMD[NAME] (a shell-quoted command line that serves it on PORT, for `bash -c "exec ..."`).
# The scale-out settings are always set or unset explicitly: DATABASE_URL/REDIS_URL in the caller's
# environment must not turn the plain (SQLite, in-process counters) keywarden into a scale-out one.
declare -A KW_KEY=() KW_CMD=()
prepare_keywarden() {
  local name=$1 port=$2 mode=$3 dir
  local envs=(env -u DATABASE_URL -u REDIS_URL -u KEYWARDEN_REDIS_PREFIX)
  [ "$mode" = scaleout ] && envs+=("DATABASE_URL=$SCALEOUT_DATABASE_URL" "REDIS_URL=$SCALEOUT_REDIS_URL" "KEYWARDEN_REDIS_PREFIX=$SCALEOUT_REDIS_PREFIX")
  dir="$(mktemp -d "${TMPDIR:-/tmp}/keywarden-bench-data.XXXXXX")"
  DATA_DIRS+=("$dir")
  KW_KEY[$name]="$("${envs[@]}" node "$HERE/prepare-gateway.mjs" "$dir" "$UPSTREAM_ORIGIN" "$BENCH_UPSTREAM_KEY")"
  printf -v "KW_CMD[$name]" '%q ' "${envs[@]}" KEYWARDEN_LOG_LEVEL=warn node "$REPO/bin/keywarden.js" serve --data-dir "$dir" --port "$port"
}

# ---- scale-out backing stores -------------------------------------------------------------
# scaleout_setup: a database of our own on the Postgres server DATABASE_URL points at (never the
# database in that URL itself) and a key prefix of our own in REDIS_URL's Redis (keywarden prefixes
# every counter key and its change channel with KEYWARDEN_REDIS_PREFIX), both named after this run
# (+ our pid, so two runs started in the same second cannot meet). lib_cleanup drops/deletes them.
SCALEOUT_DB=""; SCALEOUT_DB_CREATED=0; SCALEOUT_REDIS_PREFIX=""; SCALEOUT_REDIS_USED=0
SCALEOUT_DATABASE_URL=""; SCALEOUT_REDIS_URL=""
scaleout_setup() {
  local id
  id=$(printf '%s_%s' "$RUN_ID" "$$" | tr 'A-Z' 'a-z' | tr -c 'a-z0-9_' '_')
  SCALEOUT_DB="keywarden_bench_$id"; SCALEOUT_DB=${SCALEOUT_DB:0:63}
  SCALEOUT_REDIS_PREFIX="kwbench:$id:"
  SCALEOUT_REDIS_URL=$REDIS_URL
  node "$HERE/scaleout.mjs" redis-check "$REDIS_URL" "$SCALEOUT_REDIS_PREFIX" || { echo "Redis at REDIS_URL is not usable (see above)" >&2; exit 1; }
  SCALEOUT_REDIS_USED=1
  # Flag the database for dropping only once we created it: if CREATE fails (e.g. it exists) it is not ours.
  SCALEOUT_DATABASE_URL=$(node "$HERE/scaleout.mjs" create-db "$DATABASE_URL" "$SCALEOUT_DB") \
    || { echo "could not create database $SCALEOUT_DB on the server DATABASE_URL points at (see above)" >&2; exit 1; }
  SCALEOUT_DB_CREATED=1
  log "scale-out: Postgres database $SCALEOUT_DB, Redis key prefix $SCALEOUT_REDIS_PREFIX (both removed at the end)"
}
scaleout_teardown() {
  if [ "$SCALEOUT_DB_CREATED" = 1 ]; then
    if node "$HERE/scaleout.mjs" drop-db "$DATABASE_URL" "$SCALEOUT_DB"; then
      SCALEOUT_DB_CREATED=0; log "dropped database $SCALEOUT_DB"
    else log "WARNING: could not drop database $SCALEOUT_DB: drop it by hand"; fi
  fi
  if [ "$SCALEOUT_REDIS_USED" = 1 ]; then
    local n
    if n=$(node "$HERE/scaleout.mjs" redis-clear "$REDIS_URL" "$SCALEOUT_REDIS_PREFIX"); then
      SCALEOUT_REDIS_USED=0; log "deleted $n Redis keys under $SCALEOUT_REDIS_PREFIX"
    else log "WARNING: could not delete the Redis keys under $SCALEOUT_REDIS_PREFIX"; fi
  fi
}

# Postgres and Redis usually run outside the run (system services), so their CPU is neither the
# proxy's nor "other work on the machine": it is what the scale-out target moved out of its own
# process. A server is its listener process and that process's children: Postgres backends are
# children of the postmaster (each in a session of its own, so sessions would miss them), and the
# ended ones are in the postmaster's reaped-children time. Redis is one process.
# Sets SVC_PID[postgres|redis] for servers on this machine whose listener we can see.
declare -A SVC_PID=()
SCALEOUT_PG_VERSION=""; SCALEOUT_REDIS_VERSION=""
scaleout_services() {
  local info pgv pgh pgp rv rh rp svc host port p
  info=$(node "$HERE/scaleout.mjs" info "$DATABASE_URL" "$REDIS_URL") || { echo "cannot reach Postgres/Redis (see above)" >&2; exit 1; }
  read -r pgv pgh pgp rv rh rp <<< "$info"
  SCALEOUT_PG_VERSION=$pgv; SCALEOUT_REDIS_VERSION=$rv
  for svc in postgres redis; do
    if [ $svc = postgres ]; then host=$pgh port=$pgp; else host=$rh port=$rp; fi
    case $host in 127.*|localhost|::1) ;; *) continue;; esac
    p=$(port_pid "$port")
    [ -n "$p" ] && [ -r "/proc/$p/stat" ] && SVC_PID[$svc]=$p
  done
  local seen="${!SVC_PID[*]}"
  log "scale-out: PostgreSQL $pgv, Redis $rv; CPU of the servers measured for: ${seen:-neither (not local or not visible)}"
}
# ticks (incl. reaped children) of process PID and its children
service_ticks() {
  [ -n "${1:-}" ] || { echo 0; return; }
  { cat /proc/[0-9]*/stat 2>/dev/null || true; } | awk -v p="$1" '
    { pid = $1; line = $0; sub(/^.*\) /, "", line); split(line, f, " ")
      if (pid == p || f[2] == p) t += f[12] + f[13] + f[14] + f[15] }
    END { print t + 0 }'
}

# ---- cleanup --------------------------------------------------------------------------------
lib_cleanup() {
  local p t
  for p in "${BG_PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
  for t in "${!STARTED[@]}"; do
    p="${STARTED[$t]}"
    kill -TERM -- "-$p" 2>/dev/null || kill -TERM "$p" 2>/dev/null || true
    # the listener we measured (same process unless the command forked)
    [ -n "${PID[$t]:-}" ] && [ "${PID[$t]}" != "$p" ] && kill -TERM "${PID[$t]}" 2>/dev/null || true
  done
  sleep 0.5
  for t in "${!STARTED[@]}"; do
    p="${STARTED[$t]}"
    kill -0 "$p" 2>/dev/null && { kill -KILL -- "-$p" 2>/dev/null || kill -KILL "$p" 2>/dev/null || true; }
  done
  # after the processes: keywarden must have let go of its database first
  scaleout_teardown
  for p in "${DATA_DIRS[@]}"; do rm -rf -- "$p"; done
}
