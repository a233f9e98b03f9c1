#!/usr/bin/env bash
# Soak: keywarden under steady non-streaming chat load for a long while, watching its memory. A leak
# that a 10 s benchmark cell cannot see (a cache without a bound, listeners piling up, usage rows
# never released) shows up here as RSS that keeps climbing after the first minute.
# Same fake upstream, same keywarden preparation and the same pinning as run.sh (shared: lib.sh);
# wrk at 64 connections with wrk/post.lua verifying every response; RSS sampled every 10 s.
# Results: RESULTS_DIR/<RUN_ID>/{summary.json,summary.md,rss.tsv,wrk.txt,logs/}; summary printed.
# Exit status: 0 if every check passed, 1 if one failed (see soak-report.mjs), 2 on a setup error.
#
# Knobs (env):
#   SOAK_SECONDS=600   SOAK_CONNS=64   SOAK_SAMPLE_SECONDS=10
#   SOAK_SETTLE_SECONDS=60   the reference is the median RSS of the minute after this point (heap, JIT
#                            and pools have settled by then); a soak shorter than 2x that uses a
#                            quarter of its length
#   SOAK_MAX_GROWTH_PCT=15   the median RSS of the last minute may exceed the reference by at most this
#                            (medians of windows, since RSS under load is a GC sawtooth)
#   SOAK_MAX_RSS_MB=250      peak RSS (the kernel's high-water mark) must stay under this
#   SOAK_TARGET=keywarden    or keywarden-scaleout (needs DATABASE_URL and REDIS_URL, see run.sh)
#   SOAK_MODE=chat           or chat-stream (every stream checked frame by frame up to [DONE])
#   UPSTREAM_PORT=18080 KEYWARDEN_PORT=18084 KEYWARDEN_SCALEOUT_PORT=18085
#   PIN=1 LOADGEN_CPU=0 UPSTREAM_CPU=0 PROXY_CPU=1   UPSTREAM_CHUNKS=20
#   BENCH_UPSTREAM_KEY=sk-upstream-bench   RESULTS_DIR=${TMPDIR:-/tmp}/keywarden-bench   RUN_ID=soak-<utc timestamp>
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO="$(cd "$HERE/../.." && pwd)"

SOAK_SECONDS="${SOAK_SECONDS:-600}"; SOAK_CONNS="${SOAK_CONNS:-64}"; SOAK_SAMPLE_SECONDS="${SOAK_SAMPLE_SECONDS:-10}"
SOAK_SETTLE_SECONDS="${SOAK_SETTLE_SECONDS:-60}"
SOAK_MAX_GROWTH_PCT="${SOAK_MAX_GROWTH_PCT:-15}"; SOAK_MAX_RSS_MB="${SOAK_MAX_RSS_MB:-250}"
SOAK_TARGET="${SOAK_TARGET:-keywarden}"
SOAK_MODE="${SOAK_MODE:-chat}"
case $SOAK_MODE in
  chat) BODY=chat.json; CHECK=json; FRAMES=0; UPCOUNTER=chat; WHAT='non-streaming chat';;
  chat-stream) BODY=chat-stream.json; CHECK=sse-openai; FRAMES=$((${UPSTREAM_CHUNKS:-20} + 4)); UPCOUNTER=chat_stream
    WHAT='streaming chat';;
  *) echo "SOAK_MODE must be chat or chat-stream" >&2; exit 2;;
esac
# A short soak (a quick check of the script) has no "first minute": take the reference a quarter in,
# on a sample boundary, so that there is still something after it to compare.
if [ "$SOAK_SECONDS" -lt $((2 * SOAK_SETTLE_SECONDS)) ]; then
  SOAK_SETTLE_SECONDS=$(( (SOAK_SECONDS / 4) / SOAK_SAMPLE_SECONDS * SOAK_SAMPLE_SECONDS ))
  [ "$SOAK_SETTLE_SECONDS" -ge "$SOAK_SAMPLE_SECONDS" ] || SOAK_SETTLE_SECONDS=$SOAK_SAMPLE_SECONDS
fi
export UPSTREAM_PORT="${UPSTREAM_PORT:-18080}"
KEYWARDEN_PORT="${KEYWARDEN_PORT:-18084}"; KEYWARDEN_SCALEOUT_PORT="${KEYWARDEN_SCALEOUT_PORT:-18085}"
export BENCH_UPSTREAM_KEY="${BENCH_UPSTREAM_KEY:-sk-upstream-bench}"
export UPSTREAM_CHUNKS="${UPSTREAM_CHUNKS:-20}"
UPSTREAM_ORIGIN="http://127.0.0.1:$UPSTREAM_PORT"
case $SOAK_TARGET in
  keywarden) KW_PORT=$KEYWARDEN_PORT; KW_MODE=local;;
  keywarden-scaleout)
    [ -n "${DATABASE_URL:-}" ] && [ -n "${REDIS_URL:-}" ] || { echo "SOAK_TARGET=keywarden-scaleout needs DATABASE_URL and REDIS_URL" >&2; exit 2; }
    KW_PORT=$KEYWARDEN_SCALEOUT_PORT; KW_MODE=scaleout;;
  *) echo "SOAK_TARGET must be keywarden or keywarden-scaleout" >&2; exit 2;;
esac

NPROC="$(nproc)"
PIN="${PIN:-1}"; LOADGEN_CPU="${LOADGEN_CPU:-0}"; UPSTREAM_CPU="${UPSTREAM_CPU:-0}"; PROXY_CPU="${PROXY_CPU:-1}"
[ "$NPROC" -ge 2 ] || PIN=0
RESULTS_DIR="${RESULTS_DIR:-${TMPDIR:-/tmp}/keywarden-bench}"
RUN_ID="${RUN_ID:-soak-$(date -u +%Y%m%dT%H%M%SZ)}"
RUN_DIR="$RESULTS_DIR/$RUN_ID"
# Results are machine-specific measurements, not source: keep them out of the working tree.
case "$(realpath -m "$RUN_DIR")/" in "$(realpath -m "$REPO")/"*)
  echo "RESULTS_DIR is inside the repository ($RESULTS_DIR): point it elsewhere" >&2; exit 2;;
esac
mkdir -p "$RUN_DIR/logs"

command -v wrk >/dev/null || { echo "wrk not found: run ./setup.sh (apt-get install -y wrk)"; exit 2; }
source "$HERE/lib.sh"
# The orchestration shell (and everything it spawns unless re-pinned) lives on the load-generator core.
[ "$PIN" = 1 ] && taskset -cp "$LOADGEN_CPU" $$ >/dev/null

trap lib_cleanup EXIT
trap 'echo "soak.sh: command failed at line $LINENO: $BASH_COMMAND" >&2' ERR
trap 'exit 130' INT TERM

log "soak $RUN_ID: $SOAK_TARGET, $WHAT, $SOAK_CONNS connections for ${SOAK_SECONDS}s, RSS every ${SOAK_SAMPLE_SECONDS}s (reference at ${SOAK_SETTLE_SECONDS}s), pin=$PIN"
[ "$KW_MODE" = scaleout ] && scaleout_setup
prepare_keywarden "$SOAK_TARGET" "$KW_PORT" "$KW_MODE"
UPSTREAM_API_KEY="$BENCH_UPSTREAM_KEY" start upstream "$UPSTREAM_PORT" "$UPSTREAM_CPU" node "$HERE/upstream.mjs" "$UPSTREAM_PORT"
start "$SOAK_TARGET" "$KW_PORT" "$PROXY_CPU" bash -c "exec ${KW_CMD[$SOAK_TARGET]}"
KW_PID=${PID[$SOAK_TARGET]}

# One request first: a misconfigured gateway should fail in a second, not after ten minutes of 401s.
URL="http://127.0.0.1:$KW_PORT/v1/chat/completions"
MARK="\"completion_tokens\":$UPSTREAM_CHUNKS,"
code=$(curl -s -o "$RUN_DIR/logs/probe.txt" -w '%{http_code}' -H 'content-type: application/json' \
  -H "Authorization: Bearer ${KW_KEY[$SOAK_TARGET]}" --data-binary "@$HERE/bodies/$BODY" "$URL" || echo 000)
if [ "$code" != 200 ] || ! grep -qF -- "$MARK" "$RUN_DIR/logs/probe.txt"; then
  echo "probe failed: HTTP $code, body: $(head -c 300 "$RUN_DIR/logs/probe.txt")" >&2; exit 2
fi

# RSS sampler: "seconds-since-load-start rss_kb" on a fixed 10 s grid (sleeps to the next grid point,
# so the samples do not drift with the time the sampling itself takes).
RSS_TSV="$RUN_DIR/rss.tsv"
printf 'elapsed_s\trss_kb\n' > "$RSS_TSV"
t0=$EPOCHREALTIME
(
  k=0
  while :; do
    printf '%d\t%d\n' $((k * SOAK_SAMPLE_SECONDS)) "$(rss_kb "$KW_PID")" >> "$RSS_TSV"
    k=$((k + 1))
    sleep "$(awk -v t0="$t0" -v now="$EPOCHREALTIME" -v at=$((k * SOAK_SAMPLE_SECONDS)) 'BEGIN { d = t0 + at - now; print (d > 0 ? d : 0) }')"
  done
) &
BG_PIDS+=("$!")

up0=$(upstream_count "$UPCOUNTER")
BENCH_BODY_FILE="$HERE/bodies/$BODY" BENCH_HEADERS="Authorization: Bearer ${KW_KEY[$SOAK_TARGET]}" BENCH_CHECK=$CHECK \
  BENCH_MARK="$MARK" BENCH_FRAMES=$FRAMES \
  pin "$LOADGEN_CPU" wrk -t1 -c"$SOAK_CONNS" -d"${SOAK_SECONDS}s" --timeout 10s -s "$HERE/wrk/post.lua" "$URL" > "$RUN_DIR/wrk.txt" 2>&1 || true
# the end-of-load sample, taken before the sampler stops and before keywarden goes idle
end_s=$(awk -v t0="$t0" -v now="$EPOCHREALTIME" 'BEGIN { printf "%d", now - t0 }')
end_rss=$(rss_kb "$KW_PID"); hwm=$(hwm_kb "$KW_PID")
for p in "${BG_PIDS[@]}"; do kill "$p" 2>/dev/null || true; wait "$p" 2>/dev/null || true; done; BG_PIDS=()
printf '%d\t%d\n' "$end_s" "$end_rss" >> "$RSS_TSV"
up1=$(upstream_count "$UPCOUNTER")
kill -0 "$KW_PID" 2>/dev/null || log "WARNING: $SOAK_TARGET is no longer running (see $RUN_DIR/logs/$SOAK_TARGET.log)"

wj=$(grep '^JSON ' "$RUN_DIR/wrk.txt" | head -1 | cut -c6-)
[ -n "$wj" ] || { log "wrk produced no summary:"; tail -5 "$RUN_DIR/wrk.txt" >&2; wj=null; }
cat > "$RUN_DIR/soak.json" <<EOF
{"run":"$RUN_ID","date_utc":"$(date -u +%FT%TZ)","node":"$(node -v)","target":"$SOAK_TARGET","mode":"$SOAK_MODE","seconds":$SOAK_SECONDS,"conns":$SOAK_CONNS,"sample_s":$SOAK_SAMPLE_SECONDS,"settle_s":$SOAK_SETTLE_SECONDS,"max_growth_pct":$SOAK_MAX_GROWTH_PCT,"max_rss_mb":$SOAK_MAX_RSS_MB,"pin":$PIN,"upstream_chunks":$UPSTREAM_CHUNKS,"peak_rss_kb":$hwm,"upstream_served":$((${up1:-0} - ${up0:-0})),"wrk":$wj}
EOF
sed -i -e "s#$HERE#<bench>#g" "$RUN_DIR"/logs/*.log 2>/dev/null || true

# exit status of the report = the soak's verdict (the EXIT trap still cleans up)
rc=0
node "$HERE/soak-report.mjs" "$RUN_DIR" || rc=$?
log "done: $RUN_DIR"
exit "$rc"
