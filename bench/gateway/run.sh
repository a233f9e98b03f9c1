#!/usr/bin/env bash
# One benchmark run: keywarden (every governance step on) vs a bare passthrough vs the upstream
# directly (and peer gateways when installed), non-streaming and streaming chat completions, fixed
# concurrency levels and durations. `npm run bench` runs it; docs/performance.md explains the output.
# Results: results/<RUN_ID>/{results.jsonl,meta.json,report.md,logs/}; table printed at the end.
#
# Needs wrk (apt-get install -y wrk), taskset and ss. Peer gateways (TARGETS=... portkey nullplatform)
# need BENCH_PEERS_DIR with them installed (see the side-by-side harness this was adapted from).
#
# Knobs (env):
#   TARGETS="direct baseline keywarden"   (+ portkey nullplatform when installed in BENCH_PEERS_DIR)
#   MODES="chat chat-stream"          also: messages messages-stream embeddings
#   CONCS="1 16 64"  DURATION=10  WARMUP=3  PAUSE=1   (seconds)
#   REPEATS=1   measure every cell N times (targets interleaved: ABC ABC ...); report takes medians
#   TTFT=1 TTFT_COUNT=300   sequential time-to-first-token probe of *-stream modes (ttft.mjs)
#   UPSTREAM_CHUNKS=20 UPSTREAM_CHUNK_DELAY_MS=0 UPSTREAM_LATENCY_MS=0   (see upstream.mjs)
#   PIN=1 LOADGEN_CPU=0 UPSTREAM_CPU=0 PROXY_CPU=1
#   UPSTREAM_PORT=18080 BASELINE_PORT=18081 PORTKEY_PORT=18082 NULLPLATFORM_PORT=18083 KEYWARDEN_PORT=18084
#   BENCH_UPSTREAM_KEY=sk-upstream-bench  BENCH_VIRTUAL_KEY=vk-bench
#   BENCH_PEERS_DIR=<this repository>   RESULTS_DIR=${TMPDIR:-/tmp}/keywarden-bench   RUN_ID=<utc timestamp>
# keywarden (by default: a fresh data dir prepared by prepare-gateway.mjs with a provider pointing at
# the fake upstream and a key with scopes, RPM and TPM limits and a hard budget too large to trip):
#   KEYWARDEN_CMD   command that starts keywarden in the foreground (exec'd, pinned to PROXY_CPU).
#                   It gets PORT=KEYWARDEN_PORT, KEYWARDEN_PORT, UPSTREAM_URL, BENCH_UPSTREAM_KEY,
#                   BENCH_VIRTUAL_KEY in its env. Start node directly (not via npm) so RSS/CPU are its own.
#   KEYWARDEN_URL   base URL of an already running keywarden (default http://127.0.0.1:$KEYWARDEN_PORT);
#                   its listener PID is found with ss for CPU/RSS.
#   KEYWARDEN_KEY   virtual key sent to keywarden (default BENCH_VIRTUAL_KEY)
#   KEYWARDEN_PREFIX  path prefix before /v1/... (default empty)
# keywarden-scaleout (added next to keywarden when DATABASE_URL and REDIS_URL are both set and neither
# KEYWARDEN_CMD nor KEYWARDEN_URL is): the same preparation, but the store in Postgres and the counters
# in Redis, as a multi-instance deployment runs it. Nothing existing is touched: a fresh database
# keywarden_bench_<run>_<pid> is created on the server DATABASE_URL points at and dropped at the end
# (also on failure), and its Redis keys live under their own prefix kwbench:<run>_<pid>: and are deleted.
#   DATABASE_URL=postgres://user@host:5432/postgres  (any database on the server; used to CREATE/DROP)
#   REDIS_URL=redis://host:6379   KEYWARDEN_SCALEOUT_PORT=18085
#   Postgres/Redis CPU per request is reported separately (when they run on this machine).
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO="$(cd "$HERE/../.." && pwd)"
PEERS="${BENCH_PEERS_DIR:-$REPO}"
export BENCH_PEERS_DIR="$PEERS"

DURATION="${DURATION:-10}"; WARMUP="${WARMUP:-3}"; PAUSE="${PAUSE:-1}"; REPEATS="${REPEATS:-1}"; REP=1
CONCS="${CONCS:-1 16 64}"
MODES="${MODES:-chat chat-stream}"
TARGETS="${TARGETS:-direct baseline keywarden}"
if [ -n "${KEYWARDEN_CMD:-}" ] || [ -n "${KEYWARDEN_URL:-}" ]; then
  case " $TARGETS " in *" keywarden "*) ;; *) TARGETS="$TARGETS keywarden";; esac
fi
# Scale-out goes next to keywarden; with an external keywarden (KEYWARDEN_CMD/URL) there is nothing
# of ours to prepare against Postgres/Redis.
SCALEOUT=0; SCALEOUT_SKIPPED=""
if [ -z "${DATABASE_URL:-}" ] || [ -z "${REDIS_URL:-}" ]; then
  SCALEOUT_SKIPPED="keywarden-scaleout skipped: set DATABASE_URL=postgres://user@host:5432/postgres and REDIS_URL=redis://host:6379 to also measure keywarden with a Postgres store and Redis counters (a throwaway database and key prefix are used)"
elif [ -n "${KEYWARDEN_CMD:-}" ] || [ -n "${KEYWARDEN_URL:-}" ]; then
  SCALEOUT_SKIPPED="keywarden-scaleout skipped: KEYWARDEN_CMD/KEYWARDEN_URL select an external keywarden"
else
  case " $TARGETS " in
    *" keywarden-scaleout "*) SCALEOUT=1;;
    *" keywarden "*) SCALEOUT=1; tt=""; for t in $TARGETS; do tt+="$t "; [ "$t" = keywarden ] && tt+="keywarden-scaleout "; done; TARGETS=${tt% };;
    *) SCALEOUT_SKIPPED="keywarden-scaleout skipped: keywarden is not in TARGETS";;
  esac
fi
case " $TARGETS " in *" keywarden-scaleout "*) [ "$SCALEOUT" = 1 ] || { echo "$SCALEOUT_SKIPPED" >&2; exit 1; };; esac
export UPSTREAM_PORT="${UPSTREAM_PORT:-18080}"
BASELINE_PORT="${BASELINE_PORT:-18081}"; PORTKEY_PORT="${PORTKEY_PORT:-18082}"
export NULLPLATFORM_PORT="${NULLPLATFORM_PORT:-18083}"; KEYWARDEN_PORT="${KEYWARDEN_PORT:-18084}"
KEYWARDEN_SCALEOUT_PORT="${KEYWARDEN_SCALEOUT_PORT:-18085}"
export BENCH_UPSTREAM_KEY="${BENCH_UPSTREAM_KEY:-sk-upstream-bench}"
export BENCH_VIRTUAL_KEY="${BENCH_VIRTUAL_KEY:-vk-bench}"
UPSTREAM_ORIGIN="http://127.0.0.1:$UPSTREAM_PORT"
KEYWARDEN_PREFIX="${KEYWARDEN_PREFIX:-}"
export UPSTREAM_CHUNKS="${UPSTREAM_CHUNKS:-20}"
export UPSTREAM_CHUNK_DELAY_MS="${UPSTREAM_CHUNK_DELAY_MS:-0}"
export UPSTREAM_LATENCY_MS="${UPSTREAM_LATENCY_MS:-0}"

NPROC="$(nproc)"
PIN="${PIN:-1}"; LOADGEN_CPU="${LOADGEN_CPU:-0}"; UPSTREAM_CPU="${UPSTREAM_CPU:-0}"; PROXY_CPU="${PROXY_CPU:-1}"
[ "$NPROC" -ge 2 ] || PIN=0
RESULTS_DIR="${RESULTS_DIR:-${TMPDIR:-/tmp}/keywarden-bench}"
RUN_ID="${RUN_ID:-$(date -u +%Y%m%dT%H%M%SZ)}"
RUN_DIR="$RESULTS_DIR/$RUN_ID"
mkdir -p "$RUN_DIR/logs"
RESULTS="$RUN_DIR/results.jsonl"; : > "$RESULTS"
CLK_TCK="$(getconf CLK_TCK)"

command -v wrk >/dev/null || { echo "wrk not found: run ./setup.sh (apt-get install -y wrk)"; exit 1; }
# log pin start port_* proc_ticks rss_kb prepare_keywarden scaleout_* service_ticks lib_cleanup
source "$HERE/lib.sh"
# The orchestration shell (and everything it spawns unless re-pinned) lives on the load-generator core.
[ "$PIN" = 1 ] && taskset -cp "$LOADGEN_CPU" $$ >/dev/null

sanitize_logs() { sed -i -e "s#$PEERS#<peers>#g" -e "s#$HERE#<bench>#g" "$RUN_DIR"/logs/*.log 2>/dev/null || true; }
cleanup() {
  lib_cleanup
  sanitize_logs
}
trap cleanup EXIT
trap 'echo "run.sh: command failed at line $LINENO: $BASH_COMMAND" >&2' ERR
trap 'exit 130' INT TERM

core_stat() { awk -v c="cpu$1" '$1 == c {busy = $2 + $3 + $4 + $7 + $8 + $9; print busy, busy + $5 + $6}' /proc/stat; }
# CPU ticks (incl. reaped children) of every user-space process that is NOT part of this run:
# other work on this shared 2-core machine shows up here. Kernel threads are excluded
# (ksoftirqd etc. also carry our own loopback traffic). Postgres/Redis of the scale-out target are
# measured on their own (SVC_PID and its children, see lib.sh) and left out here.
MY_SID=$(awk '{sub(/^.*\) /, ""); print $4}' /proc/$$/stat)
foreign_ticks() {
  { cat /proc/[0-9]*/stat 2>/dev/null || true; } | awk -v sid="$MY_SID" -v skip=" ${STARTED[*]:-} ${PID[*]:-} " -v svc=" ${SVC_PID[*]:-} " '
    { pid = $1; line = $0; sub(/^.*\) /, "", line); split(line, f, " ")
      if (pid == 2 || f[2] == 2) next
      if (index(svc, " " pid " ") || index(svc, " " f[2] " ")) next
      if (f[4] == sid || index(skip, " " f[4] " ") || index(skip, " " pid " ")) next
      t += f[12] + f[13] + f[14] + f[15] }
    END { print t + 0 }'
}

# ---- per target/mode request shape -------------------------------------------------------
# sets URL, HDRS, BODY, CHECK, MARK, FRAMES, UPCOUNTER; returns 1 if the target doesn't support the mode
shape() {
  local target=$1 mode=$2 path base key auth
  case $mode in
    chat) path=/v1/chat/completions; BODY=chat.json; CHECK=json; MARK="\"completion_tokens\":$UPSTREAM_CHUNKS,"; FRAMES=0; UPCOUNTER=chat;;
    chat-stream) path=/v1/chat/completions; BODY=chat-stream.json; CHECK=sse-openai; MARK="\"completion_tokens\":$UPSTREAM_CHUNKS,"; FRAMES=$((UPSTREAM_CHUNKS + 4)); UPCOUNTER=chat_stream;;
    messages) path=/v1/messages; BODY=messages.json; CHECK=json; MARK="\"output_tokens\":$UPSTREAM_CHUNKS"; FRAMES=0; UPCOUNTER=messages;;
    messages-stream) path=/v1/messages; BODY=messages-stream.json; CHECK=sse-anthropic; MARK="\"output_tokens\":$UPSTREAM_CHUNKS"; FRAMES=$((UPSTREAM_CHUNKS + 6)); UPCOUNTER=messages_stream;;
    embeddings) path=/v1/embeddings; BODY=embeddings.json; CHECK=json; MARK='"embedding":['; FRAMES=0; UPCOUNTER=embeddings;;
    *) echo "unknown mode $mode" >&2; exit 1;;
  esac
  local anth=0; case $mode in messages*) anth=1;; esac
  case $target in
    direct) base=$UPSTREAM_ORIGIN; key=$BENCH_UPSTREAM_KEY;;
    baseline) base=http://127.0.0.1:$BASELINE_PORT; key=$BENCH_VIRTUAL_KEY;;
    portkey) base=http://127.0.0.1:$PORTKEY_PORT; key=$BENCH_UPSTREAM_KEY;;
    nullplatform) [ $anth = 0 ] && [ "$mode" != embeddings ] || return 1
                  base=http://127.0.0.1:$NULLPLATFORM_PORT; path=/openai$path; key=$BENCH_VIRTUAL_KEY;;
    keywarden) base=${KEYWARDEN_URL:-http://127.0.0.1:$KEYWARDEN_PORT}; path=$KEYWARDEN_PREFIX$path; key=$KEYWARDEN_KEY;;
    keywarden-scaleout) base=http://127.0.0.1:$KEYWARDEN_SCALEOUT_PORT; key=${KW_KEY[keywarden-scaleout]};;
  esac
  if [ $anth = 1 ]; then auth="x-api-key: $key"$'\n'"anthropic-version: 2023-06-01"; else auth="Authorization: Bearer $key"; fi
  HDRS=$auth
  if [ "$target" = portkey ]; then
    HDRS+=$'\n'"x-portkey-provider: $([ $anth = 1 ] && echo anthropic || echo openai)"$'\n'"x-portkey-custom-host: $UPSTREAM_ORIGIN/v1"
  fi
  URL=$base$path
}

# measure TARGET MODE CONC SECONDS KIND(measure|warmup)
measure() {
  local target=$1 mode=$2 conc=$3 secs=$4 kind=$5
  shape "$target" "$mode" || return 0
  local pid=${PID[$target]:-} out="$RUN_DIR/logs/wrk-$target-$mode-c$conc-$kind$([ "$REP" -gt 1 ] && echo "-r$REP").txt" rssf="$RUN_DIR/logs/.rss"
  local pt0 ut0 c0 c1 up0 pt1 ut1 c0b c1b up1 f0 f1 pg0 pg1 rd0 rd1 sampler=""
  echo 0 > "$rssf"
  if [ -n "$pid" ]; then
    ( m=0; while :; do r=$(rss_kb "$pid"); [ "${r:-0}" -gt "$m" ] && m=$r && echo "$m" > "$rssf"; sleep 0.25; done ) &
    sampler=$!; BG_PIDS+=("$sampler")
  fi
  up0=$(upstream_count "$UPCOUNTER"); pt0=$(proc_ticks "$pid"); ut0=$(proc_ticks "${PID[upstream]}")
  c0=$(core_stat 0); c1=$(core_stat 1); f0=$(foreign_ticks)
  pg0=$(service_ticks "${SVC_PID[postgres]:-}"); rd0=$(service_ticks "${SVC_PID[redis]:-}")
  BENCH_BODY_FILE="$HERE/bodies/$BODY" BENCH_HEADERS="$HDRS" BENCH_CHECK=$CHECK BENCH_MARK="$MARK" BENCH_FRAMES=$FRAMES \
    pin "$LOADGEN_CPU" wrk -t1 -c"$conc" -d"${secs}s" --timeout 10s -s "$HERE/wrk/post.lua" "$URL" > "$out" 2>&1 || true
  pt1=$(proc_ticks "$pid"); ut1=$(proc_ticks "${PID[upstream]}")
  c0b=$(core_stat 0); c1b=$(core_stat 1); f1=$(foreign_ticks)
  pg1=$(service_ticks "${SVC_PID[postgres]:-}"); rd1=$(service_ticks "${SVC_PID[redis]:-}")
  # (the sampler is run.sh's only background job: lib_cleanup stops it if we die before this line)
  [ -n "$sampler" ] && { kill "$sampler" 2>/dev/null; wait "$sampler" 2>/dev/null || true; BG_PIDS=(); }
  up1=$(upstream_count "$UPCOUNTER")
  up0=${up0:-0}; up1=${up1:-0}; pt0=${pt0:-0}; pt1=${pt1:-0}; ut0=${ut0:-0}; ut1=${ut1:-0}; f0=${f0:-0}; f1=${f1:-0}
  local wj; wj=$(grep '^JSON ' "$out" | head -1 | cut -c6-)
  [ -n "$wj" ] || { log "wrk produced no summary for $target/$mode/c$conc:"; tail -5 "$out" >&2; wj='null'; }
  local busy0 busy1
  busy0=$(awk -v a="$c0" -v b="$c0b" 'BEGIN{split(a,x," ");split(b,y," "); d=y[2]-x[2]; v=0; if (d > 0) v=100*(y[1]-x[1])/d; printf "%.1f", v}')
  busy1=$(awk -v a="$c1" -v b="$c1b" 'BEGIN{split(a,x," ");split(b,y," "); d=y[2]-x[2]; v=0; if (d > 0) v=100*(y[1]-x[1])/d; printf "%.1f", v}')
  # services_cpu_ticks: Postgres/Redis (only when the scale-out target is on and they are local), any target's cell
  local svc=""
  [ -n "${SVC_PID[postgres]:-}" ] && svc+=",\"postgres\":$((pg1 - pg0))"
  [ -n "${SVC_PID[redis]:-}" ] && svc+=",\"redis\":$((rd1 - rd0))"
  printf '{"run":"%s","kind":"%s","target":"%s","mode":"%s","conc":%d,"seconds":%d,"wrk":%s,"proxy_cpu_ticks":%d,"upstream_cpu_ticks":%d,"cpu0_busy_pct":%s,"cpu1_busy_pct":%s,"proxy_rss_peak_kb":%d,"upstream_served":%d,"foreign_cpu_ticks":%d,"services_cpu_ticks":{%s},"rep":%d}\n' \
    "$RUN_ID" "$kind" "$target" "$mode" "$conc" "$secs" "$wj" $((pt1 - pt0)) $((ut1 - ut0)) "$busy0" "$busy1" "$(cat "$rssf")" $((up1 - up0)) $((f1 - f0)) "${svc#,}" "$REP" >> "$RESULTS"
  if [ "$wj" != null ]; then
    log "$(printf '%-8s %-18s %-12s c=%-3s %s' "$kind" "$target" "$mode" "$conc" \
      "$(echo "$wj" | sed -E 's/.*"rps":([0-9.]+).*"p50":([0-9]+).*"p99":([0-9]+).*"status":([0-9]+).*"ok":([0-9]+),"bad_status":([0-9]+),"incomplete":([0-9]+),"wrong_frames":([0-9]+).*/rps=\1 p50=\2us p99=\3us ok=\5 non200=\6 incomplete=\7 wrong_frames=\8/')")"
  fi
  rm -f "$rssf"
}

# ---- start everything ------------------------------------------------------------------
log "run $RUN_ID: targets=[$TARGETS] modes=[$MODES] concs=[$CONCS] ${DURATION}s each, pin=$PIN (loadgen cpu$LOADGEN_CPU, upstream cpu$UPSTREAM_CPU, proxies cpu$PROXY_CPU)"
[ -n "$SCALEOUT_SKIPPED" ] && log "$SCALEOUT_SKIPPED"
# keywarden data dirs (by default: a fresh one prepared by prepare-gateway.mjs; the scale-out one
# against its own database and Redis key prefix)
case " $TARGETS " in *" keywarden "*)
  if [ -z "${KEYWARDEN_CMD:-}" ] && [ -z "${KEYWARDEN_URL:-}" ]; then
    prepare_keywarden keywarden "$KEYWARDEN_PORT" local
    KEYWARDEN_KEY=${KW_KEY[keywarden]}; KEYWARDEN_CMD=${KW_CMD[keywarden]}
  fi;;
esac
KEYWARDEN_KEY="${KEYWARDEN_KEY:-$BENCH_VIRTUAL_KEY}"
if [ "$SCALEOUT" = 1 ]; then
  scaleout_services
  scaleout_setup
  prepare_keywarden keywarden-scaleout "$KEYWARDEN_SCALEOUT_PORT" scaleout
fi
UPSTREAM_API_KEY="$BENCH_UPSTREAM_KEY" start upstream "$UPSTREAM_PORT" "$UPSTREAM_CPU" node "$HERE/upstream.mjs" "$UPSTREAM_PORT"
for t in $TARGETS; do
  case $t in
    direct) ;;
    baseline) UPSTREAM_URL=$UPSTREAM_ORIGIN start baseline "$BASELINE_PORT" "$PROXY_CPU" node "$HERE/baseline-proxy.mjs" "$BASELINE_PORT";;
    portkey)
      [ -f "$PEERS/node_modules/@portkey-ai/gateway/build/start-server.js" ] || { echo "Portkey not installed in $PEERS: run ./setup.sh"; exit 1; }
      NODE_ENV=production start portkey "$PORTKEY_PORT" "$PROXY_CPU" node "$PEERS/node_modules/@portkey-ai/gateway/build/start-server.js" "--port=$PORTKEY_PORT" --headless;;
    nullplatform)
      [ -f "$PEERS/node_modules/@nullplatform/llm-gateway/dist/cli.js" ] || { echo "nullplatform gateway not installed in $PEERS: run ./setup.sh"; exit 1; }
      start nullplatform "$NULLPLATFORM_PORT" "$PROXY_CPU" node "$PEERS/node_modules/@nullplatform/llm-gateway/dist/cli.js" start -c "$HERE/peers/nullplatform.yaml";;
    keywarden)
      if [ -n "${KEYWARDEN_CMD:-}" ]; then
        PORT=$KEYWARDEN_PORT KEYWARDEN_PORT=$KEYWARDEN_PORT UPSTREAM_URL=$UPSTREAM_ORIGIN \
          start keywarden "$KEYWARDEN_PORT" "$PROXY_CPU" bash -c "exec $KEYWARDEN_CMD"
      else
        kp=$(echo "${KEYWARDEN_URL}" | sed -E 's#.*:([0-9]+).*#\1#'); PID[keywarden]=$(port_pid "$kp")
        log "keywarden at $KEYWARDEN_URL (pid ${PID[keywarden]:-unknown}; not started/pinned by us)"
      fi;;
    keywarden-scaleout) start keywarden-scaleout "$KEYWARDEN_SCALEOUT_PORT" "$PROXY_CPU" bash -c "exec ${KW_CMD[keywarden-scaleout]}";;
    *) echo "unknown target $t"; exit 1;;
  esac
done
sleep 2
declare -A IDLE_RSS=()
for t in $TARGETS; do [ "$t" = direct ] || IDLE_RSS[$t]=$(rss_kb "${PID[$t]:-}"); done
IDLE_RSS[upstream]=$(rss_kb "${PID[upstream]}")

# ---- meta -------------------------------------------------------------------------------
ver() { node -p "try{require('$PEERS/node_modules/$1/package.json').version}catch(e){'n/a'}" 2>/dev/null; }
{
  printf '{"run":"%s","date_utc":"%s","node":"%s","wrk":"%s","kernel":"%s","cpu":"%s","nproc":%d,"clk_tck":%d,' \
    "$RUN_ID" "$(date -u +%FT%TZ)" "$(node -v)" "$(wrk --version 2>&1 | head -1 | awk '{print $2}')" "$(uname -r)" \
    "$(awk -F': ' '/model name/{print $2; exit}' /proc/cpuinfo | sed 's/"//g')" "$NPROC" "$CLK_TCK"
  printf '"versions":{"@portkey-ai/gateway":"%s","@hono/node-server":"%s","hono":"%s","@nullplatform/llm-gateway":"%s","undici":"%s"},' \
    "$(ver @portkey-ai/gateway)" "$(ver @hono/node-server)" "$(ver hono)" "$(ver @nullplatform/llm-gateway)" "$(ver undici)"
  printf '"settings":{"targets":"%s","modes":"%s","concs":"%s","repeats":%d,"duration_s":%d,"warmup_s":%d,"pin":%d,"loadgen_cpu":%d,"upstream_cpu":%d,"proxy_cpu":%d,"upstream_chunks":%d,"upstream_chunk_delay_ms":%s,"upstream_latency_ms":%s},' \
    "$TARGETS" "$MODES" "$CONCS" "$REPEATS" "$DURATION" "$WARMUP" "$PIN" "$LOADGEN_CPU" "$UPSTREAM_CPU" "$PROXY_CPU" "$UPSTREAM_CHUNKS" "$UPSTREAM_CHUNK_DELAY_MS" "$UPSTREAM_LATENCY_MS"
  if [ "$SCALEOUT" = 1 ]; then
    printf '"scaleout":{"postgres":"%s","redis":"%s","services_measured":"%s"},' "$SCALEOUT_PG_VERSION" "$SCALEOUT_REDIS_VERSION" "${!SVC_PID[*]}"
  fi
  printf '"idle_rss_kb":{'; first=1
  for t in "${!IDLE_RSS[@]}"; do [ $first = 1 ] || printf ','; first=0; printf '"%s":%d' "$t" "${IDLE_RSS[$t]:-0}"; done
  printf '}}\n'
} > "$RUN_DIR/meta.json"

# ---- quick correctness probe (one request per target/mode) ------------------------------
for mode in $MODES; do
  for t in $TARGETS; do
    shape "$t" "$mode" || continue
    hargs=(); while IFS= read -r h; do [ -n "$h" ] && hargs+=(-H "$h"); done <<< "$HDRS"
    code=$(curl -s -o "$RUN_DIR/logs/probe-$t-$mode.txt" -w '%{http_code}' -H 'content-type: application/json' "${hargs[@]}" --data-binary "@$HERE/bodies/$BODY" "$URL" || echo 000)
    if [ "$code" != 200 ] || ! grep -qF -- "$MARK" "$RUN_DIR/logs/probe-$t-$mode.txt"; then
      log "PROBE FAILED $t/$mode: HTTP $code, body: $(head -c 300 "$RUN_DIR/logs/probe-$t-$mode.txt")"
    fi
  done
done

# ---- the run ---------------------------------------------------------------------------
for mode in $MODES; do
  for t in $TARGETS; do measure "$t" "$mode" 16 "$WARMUP" warmup; done
  for c in $CONCS; do
    for ((REP = 1; REP <= REPEATS; REP++)); do
      for t in $TARGETS; do sleep "$PAUSE"; measure "$t" "$mode" "$c" "$DURATION" measure; done
    done
    REP=1
  done
done

# time to first byte / first token of streams at concurrency 1 (wrk cannot see inside a response)
if [ "${TTFT:-1}" = 1 ]; then
  for mode in $MODES; do
    case $mode in *-stream) ;; *) continue;; esac
    for t in $TARGETS; do
      shape "$t" "$mode" || continue
      tj=$(BENCH_HEADERS="$HDRS" pin "$LOADGEN_CPU" node "$HERE/ttft.mjs" "$URL" "$HERE/bodies/$BODY" "${TTFT_COUNT:-300}" 30 2>>"$RUN_DIR/logs/ttft.log" || true)
      [ -n "$tj" ] || tj=null
      printf '{"run":"%s","kind":"ttft","target":"%s","mode":"%s","ttft":%s}\n' "$RUN_ID" "$t" "$mode" "$tj" >> "$RESULTS"
      log "ttft     $(printf '%-18s %-12s' "$t" "$mode") $tj"
    done
  done
fi

# idle RSS again after load (heap growth / leaks show up here)
{
  printf '{"run":"%s","kind":"rss_after","rss_kb":{' "$RUN_ID"; first=1
  for t in $TARGETS upstream; do [ "$t" = direct ] && continue; [ $first = 1 ] || printf ','; first=0; printf '"%s":%d' "$t" "$(rss_kb "${PID[$t]:-}")"; done
  printf '}}\n'
} >> "$RESULTS"

log "done: $RUN_DIR"
node "$HERE/report.mjs" "$RUN_DIR" | tee "$RUN_DIR/report.md"
