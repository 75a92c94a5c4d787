#!/usr/bin/env bash
# HTTP load benchmark of the rate service (GET /rate/{key}) against nginx on the same machine, in
# one run: nginx `limit_req` (the same job: a limit per URI) and nginx `return 204` (an HTTP server
# that does nothing), over HTTP/1.1 (wrk) and h2c with prior knowledge (h2load), for the allow and
# the deny path, with one key and with many keys, each row with the server's CPU time per request
# (user space and kernel apart, from /proc). Then the heap of a million idle keys and the time
# from process start to the first answered request. The part `room` measures the waiting room:
# status polls and enqueues against the room's /health with a million users queued, in memory and
# in Redis, and the heap and Redis memory those users take. The part `gateway` measures
# `gatehouse gateway` against nginx `proxy_pass` in front of the same upstream (an nginx `return
# 200` of its own, another process than either proxy), and that upstream asked directly:
# pass-through, and with the rate limit and breaker on. The part `draw` opens a drawn queue (ecvrf)
# of a million tickets in memory and in Redis: how long the open takes, how status answers
# meanwhile, the heap after, and `gatehouse verify` of every position.
#
#   gatehouse-bench/load/run.sh                 # http, memory and startup (about 8 minutes)
#   gatehouse-bench/load/run.sh http            # only the load table
#   gatehouse-bench/load/run.sh memory startup  # only those measurements
#   gatehouse-bench/load/run.sh room            # only the waiting room (about 10 minutes)
#   gatehouse-bench/load/run.sh gateway         # only the gateway (about 15 minutes)
#   gatehouse-bench/load/run.sh draw            # only the drawn queue (about 4 minutes)
#   gatehouse-bench/load/run.sh envoy           # Envoy's rate-limit service over gRPC beside /rate over h2c (about 2 minutes)
#   gatehouse-bench/load/run.sh alloc           # bytes allocated per /rate/{key} request (about 2 minutes)
#   BASE_JAR=before.jar gatehouse-bench/load/run.sh ab   # GATEHOUSE_JAR against BASE_JAR (about 18 minutes)
#
# Everything listens on and is sent to 127.0.0.1 only. Targets run one after the other, never at
# the same time; every process started here is stopped on exit. The whole run holds
# /tmp/gatehouse-mvn.lock (the lock the project's Maven builds take), so no build runs during it.
# Raw outputs and a summary go to $RESULTS (default gatehouse-bench/target/load/<time>).
#
# Settings (environment): DURATION (s, 10), WARMUP (s, 5), CONNECTIONS (64), H2_STREAMS (streams per
# h2c connection, 10), MANY_KEYS (10000), IDLE_KEYS (1000000), STARTS (5), GATEHOUSE_JAVA_OPTS
# (-Xmx512m), GATEHOUSE_JAR (gatehouse-cli/target/gatehouse.jar, built when missing), PIN (0; 1
# puts servers on CPU 0 and the load generator on CPU 1), NGINX_AUTO (1: also run nginx with
# worker_processes auto), EVENT_LOOPS (1: `serve`'s http.event-loops and the gateway's event_loops,
# as nginx's worker_processes 1; 0 is one per CPU, their default), RESULTS. The room part: ROOM_USERS (users queued before measuring,
# 1000000), ROOM_SAMPLES (queued users whose tokens the status polls cycle over, 1000, spread along
# the queue), ROOM_ROUNDS (3), ROOM_STORES (memory redis), ROOM_WIDE_CONNECTIONS (256: enqueues are
# measured with CONNECTIONS and with this many connections too, as a crowd arrives), REDIS_URL
# (redis://127.0.0.1:6379; keys under a prefix of this run's, deleted at the end). The gateway part:
# GATEWAY_ROUNDS (3; the targets take turns in each round, each gateway started anew and alone),
# GATEWAY_LATENCY_CONNS (connections of the latency rows, each asking one request at a time without
# pause: "1"; empty: none), GATEWAY_PACED (CONNECTIONS:THINK_MS of the paced rows, wrk -t1 on that many
# connections, each waiting 0 to 2×THINK_MS ms after each answer: "64:8"; empty: none), GATEWAY_FLOORS (0; 1
# adds two rows a round: NettyProxyFloor.java passing bytes, and passing HTTP through Netty's codecs). The draw part: DRAW_TICKETS (1000000),
# DRAW_STORES (memory redis), DRAW_JAVA_OPTS (-Xmx2g: the gateway's heap in this part). The ab part:
# BASE_JAR (the jar before a change, required), AB_ROUNDS (4), AB_CASES (gateway rate-allow rate-deny).
# JVM_WARMUP (s of load on each process started by the gateway and ab parts, before it is measured; 20).
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/../.." && pwd)
lock_file=/tmp/gatehouse-mvn.lock
# shellcheck source=../../.mvn/jdk.sh
. "$root/.mvn/jdk.sh"

DURATION=${DURATION:-10}
WARMUP=${WARMUP:-5}
CONNECTIONS=${CONNECTIONS:-64}
H2_STREAMS=${H2_STREAMS:-10}
MANY_KEYS=${MANY_KEYS:-10000}
IDLE_KEYS=${IDLE_KEYS:-1000000}
STARTS=${STARTS:-5}
JAVA_OPTS=${GATEHOUSE_JAVA_OPTS:--Xmx512m}
PIN=${PIN:-0}
NGINX_AUTO=${NGINX_AUTO:-1}
JAR=${GATEHOUSE_JAR:-$root/gatehouse-cli/target/gatehouse.jar}
RESULTS=${RESULTS:-$root/gatehouse-bench/target/load/$(date -u +%Y%m%dT%H%M%SZ)}
EVENT_LOOPS=${EVENT_LOOPS:-1}
ROOM_USERS=${ROOM_USERS:-1000000}
ROOM_SAMPLES=${ROOM_SAMPLES:-1000}
ROOM_ROUNDS=${ROOM_ROUNDS:-3}
ROOM_STORES=${ROOM_STORES:-memory redis}
ROOM_WIDE_CONNECTIONS=${ROOM_WIDE_CONNECTIONS:-256}
REDIS_URL=${REDIS_URL:-redis://127.0.0.1:6379}
GATEWAY_ROUNDS=${GATEWAY_ROUNDS:-3}
GATEWAY_LATENCY_CONNS=${GATEWAY_LATENCY_CONNS-1}
GATEWAY_PACED=${GATEWAY_PACED-64:8}
GATEWAY_FLOORS=${GATEWAY_FLOORS:-0}
DRAW_TICKETS=${DRAW_TICKETS:-1000000}
DRAW_STORES=${DRAW_STORES:-memory redis}
DRAW_JAVA_OPTS=${DRAW_JAVA_OPTS:--Xmx2g}
BASE_JAR=${BASE_JAR:-}
AB_ROUNDS=${AB_ROUNDS:-4}
JVM_WARMUP=${JVM_WARMUP:-20}
[ -z "${AB_WARMUP:-}" ] || { echo "run.sh: AB_WARMUP is now JVM_WARMUP (the gateway part's warm-up too)" >&2; exit 2; }
AB_CASES=${AB_CASES:-gateway rate-allow rate-deny}

# Gatehouse settings of the two paths: the allow server never fills a window during the run; the
# deny server admits one request per key per hour, and every key is spent before measuring. Both
# windows are long, so keys stay (idle eviction is after 3 windows).
ALLOW_FLAGS=(--max-requests 1000000000 --window-millis 600000)
DENY_FLAGS=(--max-requests 1 --window-millis 3600000)

work=""
room_prefix="" # the Redis key prefix of the room part's run, while it has keys
started_pids=()
used_ports=()
# set by start_gatehouse, start_nginx, start_proxy_nginx and http_table
gh_jar="" gh_pid="" gh_port="" gh_admin="" ngx_pid="" ngx_worker=""
# the processes whose CPU time a measured run counts (cpu_start, cpu_per_request), and their count before it
measured_pids="" cpu_user_before=0 cpu_system_before=0
proxy_upstream="" proxy_port="" proxy_h2_port="" nginx_workers=1 counts_before=""
site_pid="" site_worker="" upstream_pid="" upstream_worker="" launched_pid=""
ngx_allow="" ngx_allow_h2="" ngx_deny="" ngx_deny_h2="" ngx_204="" ngx_204_h2=""

log() { printf '[%(%H:%M:%S)T] %s\n' -1 "$*" >&2; }
die() { log "error: $*"; exit 1; }

# ---------------------------------------------------------------------------------------------
# Set-up and tear-down

take_lock() {
  if [ -z "${GATEHOUSE_LOAD_LOCKED:-}" ]; then
    log "waiting for $lock_file (held by Maven builds and other benchmark runs)"
    export GATEHOUSE_LOAD_LOCKED=1
    exec flock "$lock_file" "$0" "$@"
  fi
}

cleanup() {
  local pid
  for pid in "${started_pids[@]}"; do
    kill -TERM "$pid" 2>/dev/null || true
  done
  for pid in "${started_pids[@]}"; do
    wait_gone "$pid" 10 || kill -KILL "$pid" 2>/dev/null || true
  done
  if [ -n "$room_prefix" ]; then
    delete_redis_keys "$room_prefix"
  fi
  if [ -n "$work" ] && [ -d "$work" ]; then
    rm -rf "$work"
  fi
}

# wait_gone PID SECONDS: true once PID has exited, false if it still runs after SECONDS.
wait_gone() {
  local pid=$1 i
  for ((i = 0; i < $2 * 20; i++)); do
    kill -0 "$pid" 2>/dev/null || { wait "$pid" 2>/dev/null || true; return 0; }
    sleep 0.05
  done
  return 1
}

# stop PID: TERM, then KILL after 10 s; forgets PID.
stop() {
  local pid=$1 kept=() p
  kill -TERM "$pid" 2>/dev/null || true
  wait_gone "$pid" 10 || kill -KILL "$pid" 2>/dev/null || true
  for p in "${started_pids[@]}"; do
    [ "$p" = "$pid" ] || kept+=("$p")
  done
  started_pids=("${kept[@]}")
}

ensure_tools() {
  local missing=() packages=() tool
  declare -A package_of=([nginx]=nginx-light [wrk]=wrk [h2load]=nghttp2-client [curl]=curl
    [taskset]=util-linux [ss]=iproute2 [flock]=util-linux [shuf]=coreutils [redis-cli]=redis-tools)
  for tool in nginx wrk h2load curl taskset ss flock shuf redis-cli; do
    command -v "$tool" >/dev/null || { missing+=("$tool"); packages+=("${package_of[$tool]}"); }
  done
  if [ "${#missing[@]}" -gt 0 ]; then
    if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
      log "installing ${packages[*]} (missing: ${missing[*]})"
      apt-get install -y -q "${packages[@]}" >&2 || die "apt-get install ${packages[*]} failed"
    else
      die "missing: ${missing[*]}; install the Debian packages ${packages[*]}"
    fi
  fi
}

ensure_java() {
  local candidate
  for candidate in "${JAVA_HOME:-}" /usr/lib/jvm/temurin-25-jdk-amd64; do
    if [ -n "$candidate" ] && [ -x "$candidate/bin/jcmd" ]; then
      export JAVA_HOME=$candidate PATH="$candidate/bin:$PATH"
      # the options ./gatehouse runs the jar with on this JDK, before the memory options
      JAVA_OPTS="$(gatehouse_runtime_opts "$JAVA_HOME") $JAVA_OPTS"
      DRAW_JAVA_OPTS="$(gatehouse_runtime_opts "$JAVA_HOME") $DRAW_JAVA_OPTS"
      return
    fi
  done
  die "no JDK with jcmd (set JAVA_HOME to a JDK 21 or newer)"
}

# The jar is copied into the work directory, so a build during the run cannot swap it.
ensure_jar() {
  if [ ! -f "$JAR" ]; then
    log "building $JAR"
    (cd "$root" && ./mvnw -B -q -DskipTests package -pl gatehouse-cli -am) >&2
  fi
  cp "$JAR" "$work/gatehouse.jar"
  gh_jar="$work/gatehouse.jar"
  if [ -n "$(find "$root"/gatehouse-*/src/main -newer "$JAR" -type f -print -quit)" ]; then
    log "note: sources are newer than $JAR; measuring the jar as built"
  fi
}

# free_port VAR: sets VAR to a loopback TCP port nothing listens on and this run has not handed
# out yet.
free_port() {
  local candidate_port attempt # names that no caller passes as VAR
  for ((attempt = 0; attempt < 200; attempt++)); do
    candidate_port=$((20000 + RANDOM % 12000)) # below the ephemeral range (32768+), which clients use
    if [[ " ${used_ports[*]} " != *" $candidate_port "* ]] && [ -z "$(ss -Htln "sport = :$candidate_port")" ]; then
      used_ports+=("$candidate_port")
      printf -v "$1" '%s' "$candidate_port"
      return
    fi
  done
  die "no free port found"
}

server_cpus() { if [ "$PIN" = 1 ]; then echo 0; else echo 0-1; fi; }
client_cpus() { if [ "$PIN" = 1 ]; then echo 1; else echo 0-1; fi; }

record_machine() {
  {
    echo "date: $(date -u '+%Y-%m-%d %H:%M:%S UTC')"
    echo "HEAD of the working tree: $(git -C "$root" rev-parse --short HEAD 2>/dev/null || echo unknown)"
    echo "jar: $JAR ($(sha256sum "$work/gatehouse.jar" | cut -c1-16))"
    echo "java: $("$JAVA_HOME/bin/java" -version 2>&1 | head -1)"
    echo "java options: $JAVA_OPTS"
    echo "nginx: $(nginx -v 2>&1)"
    echo "wrk: $(wrk -v 2>&1 | head -1)"
    echo "h2load: $(h2load --version 2>&1 | head -1)"
    echo "nproc: $(nproc)"
    echo "pinning: servers on CPUs $(server_cpus), load generator on CPUs $(client_cpus)"
    echo "load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
    echo "--- lscpu"
    lscpu
    echo "--- free -g"
    free -g
    echo "--- uname -a"
    uname -a
  } >"$RESULTS/machine.txt" 2>&1
}

# ---------------------------------------------------------------------------------------------
# Servers

# start_gatehouse NAME FLAGS...: starts the server on free ports and waits for /healthz; sets
# gh_pid, gh_port and gh_admin.
start_gatehouse() {
  local name=$1 i
  shift
  free_port gh_port
  free_port gh_admin
  # shellcheck disable=SC2086 # JAVA_OPTS is a list of JVM options
  taskset -c "$(server_cpus)" "$JAVA_HOME/bin/java" $JAVA_OPTS -jar "$gh_jar" serve \
    --event-loops "$EVENT_LOOPS" --host 127.0.0.1 --port "$gh_port" --admin-port "$gh_admin" "$@" >"$RESULTS/gatehouse-$name.log" 2>&1 &
  gh_pid=$!
  started_pids+=("$gh_pid")
  for ((i = 0; i < 600; i++)); do
    curl -fs -o /dev/null "http://127.0.0.1:$gh_port/healthz" && {
      log "gatehouse $name: pid $gh_pid, rate port $gh_port, admin port $gh_admin ($*)"
      return
    }
    kill -0 "$gh_pid" 2>/dev/null || die "gatehouse $name exited; see $RESULTS/gatehouse-$name.log"
    sleep 0.05
  done
  die "gatehouse $name did not answer /healthz within 30 s"
}

# write_nginx_conf WORKERS: three servers with the same URI shape /rate/k<n>, each on an HTTP/1.1
# port and an h2c (prior knowledge) port. limit_req runs in the preaccess phase, after `return`
# (rewrite phase) would already have answered, so the limit_req locations answer with a static
# one-byte file (cached descriptor) instead.
write_nginx_conf() {
  mkdir -p "$work/nginx/www"
  printf '1' >"$work/nginx/www/ok"
  chmod -R a+rX "$work"
  cat >"$work/nginx/nginx.conf" <<EOF
worker_processes $1;
pid $work/nginx/nginx.pid;
error_log $work/nginx/error.log warn;
events { worker_connections 4096; }
http {
  access_log off;
  keepalive_requests 100000000;
  keepalive_timeout 75s;
  default_type text/plain;
  root $work/nginx/www;
  open_file_cache max=16 inactive=600s;
  open_file_cache_valid 600s;
  limit_req_status 429;
  limit_req_log_level info;   # below error_log's level: a denial writes no log line
  # allow: refills far faster than requests arrive; nginx counts time in whole milliseconds, so
  # the burst absorbs requests that arrive within the same millisecond
  limit_req_zone \$uri zone=allow:64m rate=1000000r/s;
  # deny: one request per key per minute (nginx's slowest rate); keys are spent before measuring
  limit_req_zone \$uri zone=deny:64m rate=1r/m;
  server {
    listen 127.0.0.1:$ngx_allow;
    listen 127.0.0.1:$ngx_allow_h2 http2;
    location /rate/ { limit_req zone=allow burst=1000000 nodelay; try_files /ok =404; }
  }
  server {
    listen 127.0.0.1:$ngx_deny;
    listen 127.0.0.1:$ngx_deny_h2 http2;
    location /rate/ { limit_req zone=deny nodelay; try_files /ok =404; }
  }
  server {
    listen 127.0.0.1:$ngx_204;
    listen 127.0.0.1:$ngx_204_h2 http2;
    location /rate/ { return 204; }
  }
}
EOF
}

# launch_nginx DIR LOG: nginx with DIR/nginx.conf (checked first) in the foreground on the server
# CPUs, its output to LOG; sets launched_pid (the master).
launch_nginx() {
  local dir=$1 log_file=$2
  nginx -t -q -e "$dir/error.log" -p "$dir" -c "$dir/nginx.conf" || die "nginx rejected its configuration: $dir/nginx.conf"
  taskset -c "$(server_cpus)" nginx -e "$dir/error.log" -p "$dir" -c "$dir/nginx.conf" -g 'daemon off;' >"$log_file" 2>&1 &
  launched_pid=$!
  started_pids+=("$launched_pid")
}

# start_nginx WORKERS: sets ngx_pid (the master, in the foreground with daemon off).
start_nginx() {
  local i
  write_nginx_conf "$1"
  launch_nginx "$work/nginx" "$RESULTS/nginx-$1.log"
  ngx_pid=$launched_pid
  for ((i = 0; i < 200; i++)); do
    if curl -s -o /dev/null "http://127.0.0.1:$ngx_204/rate/k0"; then
      cp "$work/nginx/nginx.conf" "$RESULTS/nginx-$1.conf"
      log "nginx (worker_processes $1): pid $ngx_pid, ports: limit_req allow $ngx_allow (h2c $ngx_allow_h2)," \
        "limit_req deny $ngx_deny (h2c $ngx_deny_h2), return 204 $ngx_204 (h2c $ngx_204_h2)"
      return
    fi
    kill -0 "$ngx_pid" 2>/dev/null || die "nginx exited: $(tail -3 "$work/nginx/error.log" "$RESULTS/nginx-$1.log")"
    sleep 0.05
  done
  die "nginx did not answer within 10 s"
}

# ---------------------------------------------------------------------------------------------
# Load generators and their outputs

# status_of URL [PROTOCOL]: the status code of one GET over HTTP/1.1, or h2c with prior knowledge.
status_of() {
  local version=--http1.1
  if [ "${2:-http1}" = h2c ]; then version=--http2-prior-knowledge; fi
  curl -s -o /dev/null -w '%{http_code}' --max-time 5 "$version" "$1" || true
}

# uri_file BASE KEYS: a file of KEYS URIs BASE/rate/k<n> in a fixed shuffled order (for h2load -i).
uri_file() {
  local file="$work/uris-$2-${1//[^0-9]/}.txt"
  if [ ! -f "$file" ]; then
    seq 0 $(($2 - 1)) | sed "s|^|$1/rate/k|" | shuf --random-source=<(yes) >"$file"
  fi
  echo "$file"
}

# spend_keys BASE KEYS: one request to each key, so that the deny path starts with every key spent.
spend_keys() {
  local file
  file=$(uri_file "$1" "$2")
  timeout 300 h2load -c1 -m100 -n "$2" -i "$file" >"$work/spend.out" 2>&1 ||
    die "spending $2 keys on $1 failed: $(tail -3 "$work/spend.out")"
}

# gatehouse_counts ADMIN_PORT: "allowed denied", the decisions counted so far.
gatehouse_counts() {
  curl -fs "http://127.0.0.1:$1/metrics" | awk '
    /^gatehouse_rate_decisions_total\{outcome="allowed"/ { a = $2 }
    /^gatehouse_rate_decisions_total\{outcome="denied"/ { d = $2 }
    END { printf "%d %d\n", a, d }'
}

# server_check BEFORE AFTER: what the Gatehouse server counted between two gatehouse_counts.
server_check() {
  local a1 d1 a2 d2
  read -r a1 d1 <<<"$1"
  read -r a2 d2 <<<"$2"
  echo "server counted $((a2 - a1)) allowed (200), $((d2 - d1)) denied (429)"
}

# to_ms VALUE: wrk's 812.00us / 1.23ms / 1.05s in milliseconds.
to_ms() {
  awk -v v="$1" 'BEGIN {
    n = v + 0
    if (v ~ /us$/) n /= 1000; else if (v ~ /ms$/) n = n; else if (v ~ /m$/) n *= 60000; else if (v ~ /s$/) n *= 1000
    printf "%.3f", n }'
}

# percentile_ms FILE P: the P-th percentile of the third column (microseconds) of an h2load log.
percentile_ms() {
  cut -f3 "$1" | sort -n | awk -v p="$2" '{ v[NR] = $1 } END {
    if (NR == 0) { print "n/a"; exit }
    i = int(NR * p / 100); if (i < NR * p / 100) i++; if (i < 1) i = 1
    printf "%.3f", v[i] / 1000 }'
}

# run_wrk NAME URL KEYS [HOOK]: a warm-up run, HOOK, then the measured run; sets res_*.
run_wrk() {
  local name=$1 url=$2 keys=$3 hook=${4:-} out
  out="$RESULTS/wrk-$name.txt"
  log "wrk $name: ${WARMUP}s warm-up, then ${DURATION}s (-t1 -c$CONNECTIONS --latency, $keys keys)"
  timeout $((WARMUP + 30)) taskset -c "$(client_cpus)" wrk -t1 -c"$CONNECTIONS" -d"${WARMUP}s" \
    -s "$here/keys.lua" "$url" -- "$keys" 7 >"$RESULTS/wrk-$name.warmup.txt" 2>&1
  if [ -n "$hook" ]; then "$hook"; fi
  cpu_start
  timeout $((DURATION + 30)) taskset -c "$(client_cpus)" wrk -t1 -c"$CONNECTIONS" -d"${DURATION}s" --latency \
    -s "$here/keys.lua" "$url" -- "$keys" 1 >"$out" 2>&1
  wrk_results "$out"
  cpu_per_request
}

# cpu_start: the CPU time the measured server's processes (measured_pids) have used so far.
# shellcheck disable=SC2086 # measured_pids: a list, split on purpose
cpu_start() { read -r cpu_user_before cpu_system_before <<<"$(cpu_split $measured_pids)"; }

# cpu_split PID...: "user system", the clock ticks those processes have used (/proc/PID/stat).
cpu_split() {
  local pid user=0 system=0 u s
  for pid in "$@"; do
    [ -r "/proc/$pid/stat" ] || continue # a process that has ended since
    read -r u s < <(awk '{ print $14, $15 }' "/proc/$pid/stat")
    user=$((user + u)) system=$((system + s))
  done
  echo "$user $system"
}

# cpu_per_request: sets res_user_us and res_system_us, the measured server's CPU time in user space
# and in the kernel per request since cpu_start (µs; the kernel's part is mostly the socket calls).
cpu_per_request() {
  local user system
  # shellcheck disable=SC2086 # measured_pids: a list, split on purpose
  read -r user system <<<"$(cpu_split $measured_pids)"
  res_user_us=$(awk -v t=$((user - cpu_user_before)) -v hz="$(getconf CLK_TCK)" -v n="$res_requests" \
    'BEGIN { printf "%.2f", (n > 0 ? t * 1e6 / hz / n : 0) }')
  res_system_us=$(awk -v t=$((system - cpu_system_before)) -v hz="$(getconf CLK_TCK)" -v n="$res_requests" \
    'BEGIN { printf "%.2f", (n > 0 ? t * 1e6 / hz / n : 0) }')
}

# wrk_results FILE: sets res_* from the output of a wrk run with --latency.
wrk_results() {
  local out=$1
  res_rps=$(awk '/^Requests\/sec:/ { printf "%.0f", $2 }' "$out")
  res_p50=$(to_ms "$(awk '$1 == "50%" { print $2 }' "$out")")
  res_p99=$(to_ms "$(awk '$1 == "99%" { print $2 }' "$out")")
  res_requests=$(awk '/ requests in / { print $1 }' "$out")
  res_non2xx=$(awk '/Non-2xx or 3xx responses:/ { print $5 }' "$out")
  res_non2xx=${res_non2xx:-0}
  res_errors=$(awk '/Socket errors:/ { gsub(",", ""); print $4 + $6 + $8 + $10 }' "$out")
  res_errors=${res_errors:-0}
  res_statuses="wrk non-2xx: $res_non2xx"
}

# run_h2 NAME BASE KEYS [HOOK]: h2load over h2c with prior knowledge: a warm-up run, HOOK, then
# the measured run (-D), whose per-request log gives the percentiles; sets res_*.
run_h2() {
  local name=$1 base=$2 keys=$3 hook=${4:-} out target
  out="$RESULTS/h2load-$name.txt"
  if [ "$keys" = 1 ]; then target=("$base/rate/k0"); else target=(-i "$(uri_file "$base" "$keys")"); fi
  log "h2load $name: ${WARMUP}s warm-up, then ${DURATION}s (-t1 -c$CONNECTIONS -m$H2_STREAMS, $keys keys)"
  timeout $((WARMUP + 30)) taskset -c "$(client_cpus)" h2load -t1 -c"$CONNECTIONS" -m"$H2_STREAMS" \
    -D "$WARMUP" "${target[@]}" >"$RESULTS/h2load-$name.warmup.txt" 2>&1 ||
    die "h2load $name (warm-up) failed: $(tail -3 "$RESULTS/h2load-$name.warmup.txt")"
  if [ -n "$hook" ]; then "$hook"; fi
  cpu_start
  timeout $((DURATION + 30)) taskset -c "$(client_cpus)" h2load -t1 -c"$CONNECTIONS" -m"$H2_STREAMS" \
    -D "$DURATION" --log-file="$work/h2.log" "${target[@]}" >"$out" 2>&1 ||
    die "h2load $name failed: $(tail -3 "$out")"
  res_rps=$(awk '/^finished in/ { gsub(",", ""); printf "%.0f", $4 }' "$out")
  res_requests=$(awk '/^requests:/ { print $6 }' "$out")
  cpu_per_request
  # h2load counts a 4xx/5xx answer as "failed" too: errors are the failures without such an answer
  res_errors=$(awk '/^requests:/ { f = $10 } /^status codes:/ { s = $7 + $9 }
    END { print (f > s ? f - s : 0) }' "$out")
  res_non2xx=$(awk '/^status codes:/ { print $5 + $7 + $9 }' "$out")
  res_statuses="h2load 2xx/3xx/4xx/5xx: $(awk '/^status codes:/ { print $3 "/" $5 "/" $7 "/" $9 }' "$out")"
  res_p50=$(percentile_ms "$work/h2.log" 50)
  res_p99=$(percentile_ms "$work/h2.log" 99)
  gzip -c "$work/h2.log" >"$RESULTS/h2load-$name.requests.tsv.gz"
  rm -f "$work/h2.log"
}

# row TARGET PROTOCOL PATH KEYS CHECK: appends the last run's res_* to results.tsv.
row() {
  printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$1" "$2" "$3" "$4" \
    "$res_rps" "$res_p50" "$res_p99" "$res_requests" "$res_non2xx" "$res_errors" "$5" \
    "$res_user_us" "$res_system_us" >>"$RESULTS/results.tsv"
  log "  => $1 $2 $3 keys=$4: $res_rps req/s, p50 $res_p50 ms, p99 $res_p99 ms;" \
    "CPU a request: user $res_user_us µs, system $res_system_us µs; $5"
}

# run_load PROTOCOL NAME BASE KEYS [HOOK]: run_wrk for http1, run_h2 for h2c.
run_load() {
  if [ "$1" = http1 ]; then run_wrk "${@:2}"; else run_h2 "${@:2}"; fi
}

# warm_jvm: a run of each load generator against the Gatehouse just started (gh_port), before
# its first measured case, so that the first case does not pay for the JIT.
warm_jvm() {
  log "warming up the JVM of gatehouse on $gh_port (wrk then h2load, ${WARMUP}s each, $MANY_KEYS keys)"
  timeout $((WARMUP + 30)) taskset -c "$(client_cpus)" wrk -t1 -c"$CONNECTIONS" -d"${WARMUP}s" \
    -s "$here/keys.lua" "http://127.0.0.1:$gh_port" -- "$MANY_KEYS" 3 >"$work/jvm-warmup.txt" 2>&1
  timeout $((WARMUP + 30)) taskset -c "$(client_cpus)" h2load -t1 -c"$CONNECTIONS" -m"$H2_STREAMS" -D "$WARMUP" \
    -i "$(uri_file "http://127.0.0.1:$gh_port" "$MANY_KEYS")" >>"$work/jvm-warmup.txt" 2>&1
}

snapshot_counts() { counts_before=$(gatehouse_counts "$gh_admin"); }

# measure_gatehouse PROTOCOL PATH KEYS: one row for the running Gatehouse (gh_port, gh_admin).
measure_gatehouse() {
  local protocol=$1 path=$2 keys=$3 expect got base
  base="http://127.0.0.1:$gh_port"
  if [ "$path" = deny ]; then
    expect=429
    spend_keys "$base" "$keys"
  else
    expect=200
  fi
  got=$(status_of "$base/rate/k0" "$protocol")
  [ "$got" = "$expect" ] || die "gatehouse $path: k0 answered $got, expected $expect"
  measured_pids=$gh_pid
  run_load "$protocol" "gatehouse-$protocol-$path-$keys" "$base" "$keys" snapshot_counts
  row gatehouse "$protocol" "$path" "$keys" \
    "$(server_check "$counts_before" "$(gatehouse_counts "$gh_admin")"); $res_statuses"
}

# measure_nginx VARIANT PROTOCOL PATH KEYS PORT: one row for nginx (limit_req or return204).
measure_nginx() {
  local variant=$1 protocol=$2 path=$3 keys=$4 port=$5 target expect got
  target="nginx-$variant"
  case "$variant/$path" in
    limit_req/allow) expect=200 ;;
    limit_req/deny) expect=429 ;;
    *) expect=204 ;;
  esac
  if [ "$path" = deny ]; then spend_keys "http://127.0.0.1:$ngx_deny_h2" "$keys"; fi
  got=$(status_of "http://127.0.0.1:$port/rate/k0" "$protocol")
  [ "$got" = "$expect" ] || die "$target $path: k0 answered $got, expected $expect"
  measured_pids="$ngx_pid $({ pgrep -P "$ngx_pid" || true; } | tr '\n' ' ')" # the master and its workers
  run_load "$protocol" "$target-w$nginx_workers-$protocol-$path-$keys" "http://127.0.0.1:$port" "$keys"
  if [ "$nginx_workers" != 1 ]; then target="$target (workers $nginx_workers)"; fi
  row "$target" "$protocol" "$path" "$keys" "k0 answered $got before the run; $res_statuses"
}

# ---------------------------------------------------------------------------------------------
# The three parts

# nginx_port VARIANT PATH PROTOCOL: the port of that nginx server.
nginx_port() {
  case "$1/$2/$3" in
    limit_req/allow/http1) echo "$ngx_allow" ;;
    limit_req/allow/h2c) echo "$ngx_allow_h2" ;;
    limit_req/deny/http1) echo "$ngx_deny" ;;
    limit_req/deny/h2c) echo "$ngx_deny_h2" ;;
    return204/*/http1) echo "$ngx_204" ;;
    *) echo "$ngx_204_h2" ;;
  esac
}

http_table() {
  local protocol path keys port_var allow_pid allow_port allow_admin deny_pid deny_port deny_admin
  for port_var in ngx_allow ngx_allow_h2 ngx_deny ngx_deny_h2 ngx_204 ngx_204_h2; do
    free_port "$port_var"
  done
  nginx_workers=1
  start_nginx 1
  start_gatehouse allow "${ALLOW_FLAGS[@]}"
  warm_jvm
  allow_pid=$gh_pid allow_port=$gh_port allow_admin=$gh_admin
  start_gatehouse deny "${DENY_FLAGS[@]}"
  warm_jvm
  deny_pid=$gh_pid deny_port=$gh_port deny_admin=$gh_admin
  # One target at a time; the others wait idle. For each case: Gatehouse, nginx limit_req, then
  # nginx return 204 (which has no deny path).
  for protocol in http1 h2c; do
    for path in allow deny; do
      for keys in 1 "$MANY_KEYS"; do
        if [ "$path" = allow ]; then
          gh_pid=$allow_pid gh_port=$allow_port gh_admin=$allow_admin
        else
          gh_pid=$deny_pid gh_port=$deny_port gh_admin=$deny_admin
        fi
        measure_gatehouse "$protocol" "$path" "$keys"
        measure_nginx limit_req "$protocol" "$path" "$keys" "$(nginx_port limit_req "$path" "$protocol")"
        if [ "$path" = allow ]; then
          measure_nginx return204 "$protocol" "$path" "$keys" "$(nginx_port return204 "$path" "$protocol")"
        fi
      done
    done
  done
  jcmd "$allow_pid" GC.heap_info >"$RESULTS/gatehouse-allow.heap-info.txt" 2>&1 || true
  stop "$allow_pid"
  stop "$deny_pid"
  stop "$ngx_pid"
  if [ "$NGINX_AUTO" = 1 ]; then
    nginx_workers=auto
    start_nginx auto
    for path in allow deny; do
      for keys in 1 "$MANY_KEYS"; do
        measure_nginx limit_req http1 "$path" "$keys" "$(nginx_port limit_req "$path" http1)"
        if [ "$path" = allow ]; then
          measure_nginx return204 http1 "$path" "$keys" "$(nginx_port return204 "$path" http1)"
        fi
      done
    done
    stop "$ngx_pid"
  fi
}

# heap_used_kb PID: heap used in KiB after a full GC (G1's "used NNNK").
heap_used_kb() {
  jcmd "$1" GC.run >/dev/null
  jcmd "$1" GC.heap_info | tee -a "$RESULTS/memory-heap-info.txt" |
    awk '/ heap / && !done { for (i = 1; i <= NF; i++) if ($i == "used") { gsub(/[K,]/, "", $(i + 1)); print $(i + 1); done = 1; break } }'
}

# metric ADMIN_PORT NAME: the value of an unlabelled metric, as an integer.
metric() {
  curl -fs "http://127.0.0.1:$1/metrics" | awk -v m="$2" '$1 == m { printf "%d\n", $2 }'
}

idle_keys() {
  local empty_kb full_kb keys file out="$RESULTS/memory-h2load.txt"
  log "memory: $IDLE_KEYS idle keys (window 600 s, so that none is evicted during the test)"
  start_gatehouse memory "${ALLOW_FLAGS[@]}" --max-keys "$IDLE_KEYS"
  sleep 1
  empty_kb=$(heap_used_kb "$gh_pid")
  file=$(uri_file "http://127.0.0.1:$gh_port" "$IDLE_KEYS")
  log "memory: one request to each key (h2load -c1 -m100 -n $IDLE_KEYS over a list of the URIs)"
  timeout 600 taskset -c "$(client_cpus)" h2load -c1 -m100 -n "$IDLE_KEYS" -i "$file" >"$out" 2>&1 ||
    die "filling keys failed: $(tail -3 "$out")"
  sleep 1
  full_kb=$(heap_used_kb "$gh_pid")
  keys=$(metric "$gh_admin" gatehouse_rate_keys)
  [ "$keys" = "$IDLE_KEYS" ] || log "warning: the server holds $keys keys, expected $IDLE_KEYS"
  jcmd "$gh_pid" GC.class_histogram 2>/dev/null | head -30 >"$RESULTS/memory-histogram.txt" || true
  {
    printf 'keys held (gatehouse_rate_keys)\t%s\n' "$keys"
    printf 'fill: %s\t%s\n' "$(grep -m1 '^finished in' "$out")" "$(grep -m1 '^status codes:' "$out")"
    printf 'heap used after a full GC, no keys (MiB)\t%.1f\n' "$(awk -v k="$empty_kb" 'BEGIN { print k / 1024 }')"
    printf 'heap used after a full GC, %s keys (MiB)\t%.1f\n' "$keys" "$(awk -v k="$full_kb" 'BEGIN { print k / 1024 }')"
    printf 'bytes per key\t%.0f\n' "$(awk -v a="$empty_kb" -v b="$full_kb" -v n="$keys" 'BEGIN { print (b - a) * 1024 / n }')"
  } | tee "$RESULTS/memory.tsv" >&2
  stop "$gh_pid"
}

# start_once N: sets start_ms to the milliseconds from launching the JVM to the first 200 from
# /rate/{key}, polling every 5 ms (plus one curl, a few ms).
start_once() {
  local port admin t0 t1 pid i code=""
  free_port port
  free_port admin
  t0=$(date +%s%N)
  # shellcheck disable=SC2086 # JAVA_OPTS is a list of JVM options
  taskset -c "$(server_cpus)" "$JAVA_HOME/bin/java" $JAVA_OPTS -jar "$gh_jar" serve \
    --event-loops "$EVENT_LOOPS" --host 127.0.0.1 --port "$port" --admin-port "$admin" >"$RESULTS/startup-$1.log" 2>&1 &
  pid=$!
  started_pids+=("$pid")
  for ((i = 0; i < 2000; i++)); do
    code=$(curl -s -o /dev/null -w '%{http_code}' --max-time 1 "http://127.0.0.1:$port/rate/first" || true)
    if [ "$code" = 200 ]; then break; fi
    sleep 0.005
  done
  t1=$(date +%s%N)
  stop "$pid"
  [ "$code" = 200 ] || die "start $1: no 200 in 2000 polls"
  start_ms=$(((t1 - t0) / 1000000))
}

median() { printf '%s\n' "$@" | sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }

startup() {
  local i all=() probe=() t0
  log "start-up: $STARTS starts, from launching java to the first 200"
  for ((i = 1; i <= STARTS; i++)); do
    start_once "$i"
    all+=("$start_ms")
    log "  start $i: $start_ms ms (the server says: $(grep -o 'ready [0-9]* ms after start' "$RESULTS/startup-$i.log" || echo '?'))"
  done
  # ./gatehouse runs java -XshowSettings:properties -version once to check the JDK before starting
  for ((i = 1; i <= STARTS; i++)); do
    t0=$(date +%s%N)
    "$JAVA_HOME/bin/java" -XshowSettings:properties -version >/dev/null 2>&1
    probe+=($((($(date +%s%N) - t0) / 1000000)))
  done
  {
    printf 'start to first 200 (ms), each start\t%s\n' "${all[*]}"
    printf 'start to first 200 (ms), median\t%s\n' "$(median "${all[@]}")"
    printf 'ready, as the server prints it (ms)\t%s\n' "$(cat "$RESULTS"/startup-*.log | grep -o 'ready [0-9]*' | cut -d' ' -f2 | xargs)"
    printf 'JDK check of ./gatehouse (ms), median\t%s\n' "$(median "${probe[@]}")"
  } | tee "$RESULTS/startup.tsv" >&2
}

# ---------------------------------------------------------------------------------------------
# The waiting room

ROOM_API_KEY=load-benchmark-tenant # the one tenant's API key (BUSINESS_IDS)
ROOM_CONFIG='{"admission_limit": 0, "jwt_expiry_seconds": 600, "ip_enqueue_limit": 1000000,
  "ip_enqueue_limit_interval": 1, "ip_status_polling_limit": 1000000, "ip_status_polling_limit_interval": 1}'

# room_id: the tenant id the server derives from ROOM_API_KEY ("key-" and 16 hex digits of SHA-256).
room_id() { printf 'key-%s' "$(printf '%s' "$ROOM_API_KEY" | sha256sum | cut -c1-16)"; }

# delete_redis_keys PREFIX: unlinks every key under PREFIX.
delete_redis_keys() {
  redis-cli -u "$REDIS_URL" --scan --pattern "$1*" | xargs -r -n 1000 redis-cli -u "$REDIS_URL" unlink >/dev/null
}

# room_queued: users waiting in the room, as the running server (gh_admin) reports them.
room_queued() {
  curl -fs "http://127.0.0.1:$gh_admin/metrics" | awk '$1 ~ /^gatehouse_room_queued[{]/ { n += $2 } END { printf "%d\n", n }'
}

# room_enqueue USER: enqueues USER and prints the queue token the server answered with.
room_enqueue() {
  curl -fs -X POST "http://127.0.0.1:$gh_port/queue/enqueue" -H "business_id: $ROOM_API_KEY" -H "user_id: $1" |
    sed -n 's/^{"jwt":"\([^"]\{1,\}\)".*/\1/p'
}

# start_room STORE: a server with the room on, in memory or on Redis (keys under room_prefix),
# with admission paused (so the queue only grows) and per-IP limits out of the way.
start_room() {
  local flags=(--business-ids "$ROOM_API_KEY")
  if [ "$1" = redis ]; then
    flags+=(--store redis --redis-url "$REDIS_URL" --store-key-prefix "${room_prefix}rate:" --room-key-prefix "$room_prefix")
  fi
  JWT_SECRET=$(head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n') start_gatehouse "room-$1" "${flags[@]}"
  curl -fs -o "$RESULTS/room-$1-config.json" -X POST "http://127.0.0.1:$gh_port/config" \
    -H "business_id: $ROOM_API_KEY" -H 'content-type: application/json' -d "$ROOM_CONFIG" ||
    die "room $1: POST /config failed"
}

# room_fill STORE: queues ROOM_USERS users: ten runs of wrk, each enqueueing its share of new users,
# each followed by ROOM_SAMPLES/10 users enqueued one at a time whose tokens go to tokens.txt. So
# the sampled users stand at ten places spread along the queue.
room_fill() {
  local chunks=10 samples per_chunk count expected=0 c i wrk_pid token t0 waited
  samples=$((ROOM_SAMPLES / chunks))
  per_chunk=$(((ROOM_USERS - samples * chunks) / chunks))
  : >"$work/tokens.txt"
  t0=$(date +%s%N)
  log "room $1: queueing $ROOM_USERS users ($chunks runs of wrk, each followed by $samples sampled users)"
  for ((c = 0; c < chunks; c++)); do
    count=$per_chunk
    if [ "$c" = $((chunks - 1)) ]; then count=$((ROOM_USERS - samples * chunks - per_chunk * (chunks - 1))); fi
    expected=$((expected + count))
    taskset -c "$(client_cpus)" wrk -t1 -c"$CONNECTIONS" -d3600s -s "$here/room.lua" "http://127.0.0.1:$gh_port" \
      -- enqueue "$ROOM_API_KEY" "fill$c-" 0 "$count" >"$work/fill.txt" 2>&1 &
    wrk_pid=$!
    started_pids+=("$wrk_pid")
    waited=0
    while [ "$(room_queued)" -lt "$expected" ]; do
      [ $((waited += 1)) -le 6000 ] || die "room $1: $(room_queued) users queued after 10 minutes, expected $expected"
      kill -0 "$wrk_pid" 2>/dev/null || die "room $1: wrk exited while filling: $(tail -3 "$work/fill.txt")"
      sleep 0.1
    done
    stop "$wrk_pid"
    for ((i = 0; i < samples; i++)); do
      token=$(room_enqueue "sample$c-$i")
      [ -n "$token" ] || die "room $1: enqueueing sample$c-$i gave no token"
      echo "$token" >>"$work/tokens.txt"
    done
    expected=$((expected + samples))
  done
  for ((waited = 0; waited < 50; waited++)); do # the gauge is refreshed at each admission pass (1 s)
    [ "$(room_queued)" = "$ROOM_USERS" ] && break
    sleep 0.1
  done
  [ "$(room_queued)" = "$ROOM_USERS" ] || die "room $1: $(room_queued) users queued, expected $ROOM_USERS"
  log "room $1: $ROOM_USERS users queued in $((($(date +%s%N) - t0) / 1000000)) ms"
}

# room_run STORE ROUND TARGET [CONNS]: a warm-up run and a measured run of wrk on one route, with
# CONNS connections (CONNECTIONS); appends a row to room.tsv. TARGET: health (GET /health), status
# (GET /queue/status, cycling over the sampled users' tokens) or enqueue (POST /queue/enqueue, a new
# user each time).
room_run() {
  local store=$1 round=$2 target=$3 conns=${4:-$CONNECTIONS} args queued out name calls bytes redis_seconds
  name=$target
  if [ "$conns" != "$CONNECTIONS" ]; then name="$target-c$conns"; fi
  case "$target" in
    health) args=(health) ;;
    status) args=(status "$ROOM_API_KEY" "$work/tokens.txt") ;;
    enqueue) args=(enqueue "$ROOM_API_KEY" "new$round-c$conns-" 0 0) ;;
  esac
  out="$RESULTS/wrk-room-$store-$round-$name.txt"
  timeout $((WARMUP + 30)) taskset -c "$(client_cpus)" wrk -t1 -c"$conns" -d"${WARMUP}s" \
    -s "$here/room.lua" "http://127.0.0.1:$gh_port" -- "${args[@]/#new/warm}" >"$out.warmup" 2>&1 # other new users
  queued=$(room_queued)
  start_allocation_counts
  calls=$(redis_calls)
  redis_seconds=""
  if [ "$store" = redis ]; then redis_seconds=$(redis_cpu_seconds); fi
  measured_pids=$gh_pid
  cpu_start
  timeout $((DURATION + 30)) taskset -c "$(client_cpus)" wrk -t1 -c"$conns" -d"${DURATION}s" --latency \
    -s "$here/room.lua" "http://127.0.0.1:$gh_port" -- "${args[@]}" >"$out" 2>&1
  wrk_results "$out"
  cpu_per_request # before the allocation recording stops: its dump is the server's work too
  calls=$(($(redis_calls) - calls))
  if [ -n "$redis_seconds" ]; then
    redis_seconds=$(awk -v a="$redis_seconds" -v b="$(redis_cpu_seconds)" 'BEGIN { print b - a }')
  fi
  bytes=$(event_loop_allocation)
  if [ "$res_requests" -gt 0 ]; then
    printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$store" "$round" "$name" "$((bytes / res_requests))" \
      "$(awk -v c="$calls" -v n="$res_requests" 'BEGIN { printf "%.2f", c / n }')" "$res_user_us" "$res_system_us" \
      "$(awk -v t="$redis_seconds" -v n="$res_requests" 'BEGIN { if (t != "") printf "%.2f", t * 1e6 / n }')" \
      >>"$RESULTS/room-costs.tsv"
  fi
  printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$store" "$round" "$name" "$queued" \
    "$res_rps" "$res_p50" "$res_p99" "$res_requests" "$res_non2xx" "$res_errors" >>"$RESULTS/room.tsv"
  log "  => room $store round $round $name ($queued queued): $res_rps req/s, p50 $res_p50 ms, p99 $res_p99 ms;" \
    "non-2xx $res_non2xx, socket errors $res_errors"
}

# redis_calls: commands Redis has run so far (INFO commandstats; a script's own calls counted too;
# 0 without a Redis).
redis_calls() {
  { redis-cli -u "$REDIS_URL" info commandstats 2>/dev/null || true; } | awk -F'[=,:]' '/^cmdstat_/ { sum += $3 } END { printf "%d\n", sum }'
}

# redis_cpu_seconds: the CPU time (user + system) the Redis server has used so far (INFO cpu; 0
# without a Redis). Read for the Redis store's runs only.
redis_cpu_seconds() {
  { redis-cli -u "$REDIS_URL" info cpu 2>/dev/null || true; } |
    awk -F: '/^used_cpu_(user|sys):/ { sum += $2 } END { printf "%.3f\n", sum }'
}

# room_redis_bytes: bytes the room's keys take in Redis (MEMORY USAGE, every element counted).
room_redis_bytes() {
  local part total=0 bytes
  for part in config state queue seen ready enqueued; do
    bytes=$(redis-cli -u "$REDIS_URL" memory usage "${room_prefix}room:{$(room_id)}:$part" samples 0)
    total=$((total + ${bytes:-0}))
  done
  echo "$total"
}

room_table() {
  local store round empty_kb full_kb bytes probe
  for store in $ROOM_STORES; do
    if [ "$store" = redis ]; then
      room_prefix="gatehouse-bench-$(date -u +%Y%m%d%H%M%S)-$$:"
      redis-cli -u "$REDIS_URL" ping >/dev/null || die "no Redis at $REDIS_URL"
    fi
    start_room "$store"
    warm_room
    if [ "$store" = memory ]; then empty_kb=$(heap_used_kb "$gh_pid"); fi
    room_fill "$store"
    if [ "$store" = memory ]; then
      full_kb=$(heap_used_kb "$gh_pid")
      jcmd "$gh_pid" GC.class_histogram >"$work/histogram.txt" 2>&1 || true
      head -30 "$work/histogram.txt" >"$RESULTS/room-memory-histogram.txt"
      {
        printf 'memory: heap used after a full GC, room empty (MiB)\t%.1f\n' "$(awk -v k="$empty_kb" 'BEGIN { print k / 1024 }')"
        printf 'memory: heap used after a full GC, %s users queued (MiB)\t%.1f\n' "$ROOM_USERS" "$(awk -v k="$full_kb" 'BEGIN { print k / 1024 }')"
        printf 'memory: heap bytes per queued user\t%.0f\n' "$(awk -v a="$empty_kb" -v b="$full_kb" -v n="$ROOM_USERS" 'BEGIN { print (b - a) * 1024 / n }')"
      } | tee -a "$RESULTS/room-memory.tsv" >&2
    else
      bytes=$(room_redis_bytes)
      {
        printf 'redis: MEMORY USAGE of the room keys, %s users queued (MiB)\t%.1f\n' "$ROOM_USERS" "$(awk -v b="$bytes" 'BEGIN { print b / 1048576 }')"
        printf 'redis: bytes per queued user\t%.0f\n' "$(awk -v b="$bytes" -v n="$ROOM_USERS" 'BEGIN { print b / n }')"
      } | tee -a "$RESULTS/room-memory.tsv" >&2
    fi
    probe=$(curl -fs "http://127.0.0.1:$gh_port/queue/status" -H "business_id: $ROOM_API_KEY" -H "jwt: $(sed -n '$p' "$work/tokens.txt")")
    echo "$store: status of the last sampled user before the runs: $probe" >>"$RESULTS/room-probes.txt"
    [[ "$probe" == *'"position":'[0-9]* ]] || die "room $store: a sampled user has no place: $probe"
    # polls first, while the queue holds ROOM_USERS; then the enqueues, which add millions more
    for ((round = 1; round <= ROOM_ROUNDS; round++)); do
      room_run "$store" "$round" health
      room_run "$store" "$round" status
    done
    for ((round = 1; round <= ROOM_ROUNDS; round++)); do
      room_run "$store" "$round" enqueue
      room_run "$store" "$round" enqueue "$ROOM_WIDE_CONNECTIONS"
    done
    stop "$gh_pid"
    if [ "$store" = redis ]; then
      delete_redis_keys "$room_prefix"
      room_prefix=""
    fi
  done
}

# warm_room: a first run of wrk on /health, before the baseline heap and the fill (which warms the
# enqueue path; every measured run has a warm-up run of its own).
warm_room() {
  log "warming up the JVM of gatehouse on $gh_port (wrk on /health, ${WARMUP}s)"
  timeout $((WARMUP + 30)) taskset -c "$(client_cpus)" wrk -t1 -c"$CONNECTIONS" -d"${WARMUP}s" \
    -s "$here/room.lua" "http://127.0.0.1:$gh_port" -- health >"$work/jvm-warmup.txt" 2>&1
}

# room_summary: the room's rows, and per store the medians over the rounds and their ratios.
room_summary() {
  echo "Waiting room: wrk -t1 -c$CONNECTIONS --latency (-c$ROOM_WIDE_CONNECTIONS where the route says so), ${DURATION} s measured after ${WARMUP} s of the same load;"
  echo "admission paused, so the queue only grows; status polls cycle over $ROOM_SAMPLES queued users' tokens."
  echo
  echo "| store | round | route | queued at start | req/s | p50 ms | p99 ms | requests | non-2xx | errors | status / health |"
  echo "| --- | ---: | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"
  awk -F'\t' '
    { line[NR] = $0; if ($3 == "health") h[$1 SUBSEP $2] = $5 }
    END {
      for (i = 1; i <= NR; i++) {
        split(line[i], f, "\t")
        ratio = (f[3] == "status" && h[f[1] SUBSEP f[2]] > 0) ? sprintf("%.2f×", f[5] / h[f[1] SUBSEP f[2]]) : ""
        printf "| %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s |\n", f[1], f[2], f[3], f[4], f[5], f[6], f[7], f[8], f[9], f[10], ratio
      }
    }' "$RESULTS/room.tsv"
  echo
  echo "| store | route | median req/s | median p99 ms |"
  echo "| --- | --- | ---: | ---: |"
  local store target
  for store in $ROOM_STORES; do
    for target in health status enqueue "enqueue-c$ROOM_WIDE_CONNECTIONS"; do
      echo "| $store | $target | $(median $(awk -F'\t' -v s="$store" -v t="$target" '$1 == s && $3 == t { print $5 }' "$RESULTS/room.tsv")) |" \
        "$(median $(awk -F'\t' -v s="$store" -v t="$target" '$1 == s && $3 == t { print $7 }' "$RESULTS/room.tsv")) |"
    done
  done
  echo
  echo "Per request, in the same measured runs: heap bytes the event loops allocated (JFR's per-thread"
  echo "counters), commands Redis ran (INFO commandstats, every process's, a script's own calls included),"
  echo "the server's CPU time in user space and in the kernel (/proc), and, on Redis, the Redis server's CPU time (INFO cpu):"
  echo
  echo "| store | round | route | bytes allocated | Redis commands | server CPU µs, user + system | Redis CPU µs |"
  echo "| --- | ---: | --- | ---: | ---: | --- | ---: |"
  awk -F'\t' '{ printf "| %s | %s | %s | %s | %s | %s + %s | %s |\n", $1, $2, $3, $4, $5, $6, $7, $8 }' "$RESULTS/room-costs.tsv"
  echo
}

# ---------------------------------------------------------------------------------------------
# The gateway

# write_nginx_site NAME BODY: $work/NAME/nginx.conf, one worker, whose http block holds BODY.
write_nginx_site() {
  local dir="$work/$1"
  mkdir -p "$dir"
  chmod -R a+rX "$work"
  cat >"$dir/nginx.conf" <<EOF
worker_processes 1;
pid $dir/nginx.pid;
error_log $dir/error.log warn;
events { worker_connections 4096; }
http {
  access_log off;
  keepalive_requests 100000000;
  keepalive_timeout 75s;
  client_body_temp_path $dir/body;
  proxy_temp_path $dir/proxy;
  fastcgi_temp_path $dir/fastcgi;
  uwsgi_temp_path $dir/uwsgi;
  scgi_temp_path $dir/scgi;
$2
}
EOF
}

# start_nginx_site NAME: nginx with $work/NAME/nginx.conf in the foreground; sets site_pid (the
# master) and site_worker (its one worker's pid), once the worker is up.
start_nginx_site() {
  local name=$1 i
  launch_nginx "$work/$name" "$RESULTS/nginx-$name.log"
  site_pid=$launched_pid
  cp "$work/$name/nginx.conf" "$RESULTS/nginx-$name.conf"
  for ((i = 0; i < 200; i++)); do
    site_worker=$(pgrep -P "$site_pid" | head -1 || true) # none yet: pgrep fails, and pipefail is on
    [ -n "$site_worker" ] && return
    sleep 0.05
  done
  die "nginx's worker did not start: $RESULTS/nginx-$name.log"
}

# start_proxy_nginx: the upstream, an nginx of its own (one worker, `return 200`), and nginx
# proxy_pass in front of it, another nginx with one worker (HTTP/1.1, and h2c with prior knowledge)
# and a keep-alive pool to the upstream, as the gateway is another process in front of it. (Until
# 2026-12-01 one worker served both, so nginx's proxy had half a worker: its figures before then are
# of that.) Sets upstream_pid, upstream_worker, proxy_upstream (its port),
# ngx_pid, ngx_worker (the proxy's), proxy_port and proxy_h2_port.
start_proxy_nginx() {
  free_port proxy_upstream
  free_port proxy_port
  free_port proxy_h2_port
  write_nginx_site upstream "  server {
    listen 127.0.0.1:$proxy_upstream;
    location / { return 200 \"ok\"; }
  }"
  start_nginx_site upstream
  upstream_pid=$site_pid upstream_worker=$site_worker
  write_nginx_site proxy "  upstream backend { server 127.0.0.1:$proxy_upstream; keepalive 512; keepalive_requests 100000000; }
  server {
    listen 127.0.0.1:$proxy_port;
    listen 127.0.0.1:$proxy_h2_port http2;
    location / {
      proxy_pass http://backend;
      proxy_http_version 1.1;
      proxy_set_header Connection \"\";
      proxy_set_header X-Forwarded-For \$proxy_add_x_forwarded_for;
    }
  }"
  start_nginx_site proxy
  ngx_pid=$site_pid ngx_worker=$site_worker
}

# start_gateway NAME YAML: `gatehouse gateway` with the file YAML; sets gh_pid, gh_port, gh_admin.
start_gateway() {
  local name=$1 yaml=$2 i
  free_port gh_port
  free_port gh_admin
  printf 'listen: 127.0.0.1:%s\nadmin_listen: 127.0.0.1:%s\nevent_loops: %s\n%s' "$gh_port" "$gh_admin" "$EVENT_LOOPS" "$yaml" \
    >"$work/gateway-$name.yml"
  # shellcheck disable=SC2086 # JAVA_OPTS is a list of JVM options
  taskset -c "$(server_cpus)" "$JAVA_HOME/bin/java" $JAVA_OPTS -jar "$gh_jar" gateway \
    --config "$work/gateway-$name.yml" >"$RESULTS/gateway-$name.log" 2>&1 &
  gh_pid=$!
  started_pids+=("$gh_pid")
  for ((i = 0; i < 600; i++)); do
    curl -fs -o /dev/null "http://127.0.0.1:$gh_admin/healthz" && {
      log "gateway $name: pid $gh_pid, port $gh_port, admin port $gh_admin"
      return
    }
    kill -0 "$gh_pid" 2>/dev/null || die "gateway $name exited; see $RESULTS/gateway-$name.log"
    sleep 0.05
  done
  die "gateway $name did not answer /healthz within 30 s"
}

# measure_target ROUND TARGET PROTOCOL PORT PID: one row of gateway.tsv; PID is the target's process
# (nginx's master: its workers are counted with it), whose CPU time per request the row gives.
measure_target() {
  local round=$1 target=$2 protocol=$3 port=$4 got
  got=$(status_of "http://127.0.0.1:$port/rate/k0" "$protocol")
  [ "$got" = 200 ] || die "$target ($protocol) answered $got, expected 200"
  measured_pids="$5 $({ pgrep -P "$5" || true; } | tr '\n' ' ')" # a JVM has no child processes
  run_load "$protocol" "gateway-r$round-$target-$protocol" "http://127.0.0.1:$port" 1
  printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$round" "$target" "$protocol" "$res_rps" "$res_p50" \
    "$res_p99" "$res_requests" "$res_non2xx" "$res_errors" "$res_user_us" "$res_system_us" >>"$RESULTS/gateway.tsv"
  log "  => round $round $target $protocol: $res_rps req/s, p50 $res_p50 ms, p99 $res_p99 ms; $res_statuses"
}

# latency_run ROUND TARGET PORT CONNS: HTTP/1.1 requests on CONNS connections (h2load --h1 -cCONNS),
# each sending its next request as soon as the last one is answered; each one's time from h2load's log;
# one row of gateway-latency.tsv. With one connection nothing queues anywhere: the difference of the
# latencies is what the proxy adds to one request.
latency_run() {
  local round=$1 target=$2 port=$3 conns=$4 name log_file
  name="gateway-latency-r$round-$target-c$conns"
  log_file="$work/$name.log"
  timeout $((WARMUP + DURATION + 60)) taskset -c "$(client_cpus)" h2load --h1 -t1 -c"$conns" \
    --warm-up-time="$WARMUP" -D "$DURATION" \
    --log-file="$log_file" "http://127.0.0.1:$port/rate/k0" >"$RESULTS/$name.txt" 2>&1 ||
    die "h2load failed against $target: $RESULTS/$name.txt"
  local count non2xx
  count=$(wc -l <"$log_file")
  non2xx=$(awk -F'\t' '$2 < 200 || $2 > 299' "$log_file" | wc -l)
  printf '%s\t%s\t%s\t%.0f\t%s\t%s\t%s\t%d\t%d\n' "$round" "$target" "$conns" "$((count / DURATION))" \
    "$(percentile_ms "$log_file" 50)" "$(percentile_ms "$log_file" 99)" "$(percentile_ms "$log_file" 99.9)" \
    "$count" "$non2xx" >>"$RESULTS/gateway-latency.tsv"
  log "  => round $round $target on $conns connection(s): $(tail -1 "$RESULTS/gateway-latency.tsv" | cut -f4-9 | tr '\t' ' ') (req/s p50 p99 p99.9 requests non-2xx)"
  rm -f "$log_file"
}

# paced_run ROUND TARGET PORT CONNS:THINK_MS: HTTP/1.1 on CONNS connections (wrk -t1 -cCONNS, with
# paced.lua), each waiting a random think time of THINK_MS on average after each answer: the same
# load offered to every target, below each one's capacity, so that the latencies compare what each
# adds rather than how much each can carry. One row of gateway-latency.tsv (connections column
# "CONNS@THINK_MSms").
paced_run() {
  local round=$1 target=$2 port=$3 conns=${4%%:*} think=${4#*:} name line
  name="gateway-paced-r$round-$target-c$conns"
  timeout $((WARMUP + 30)) taskset -c "$(client_cpus)" wrk -t1 -c"$conns" -d"${WARMUP}s" \
    -s "$here/paced.lua" "http://127.0.0.1:$port/rate/k0" -- "$think" >"$work/paced-warmup.txt" 2>&1 ||
    die "wrk (paced) failed against $target: $work/paced-warmup.txt"
  timeout $((DURATION + 30)) taskset -c "$(client_cpus)" wrk -t1 -c"$conns" -d"${DURATION}s" \
    -s "$here/paced.lua" "http://127.0.0.1:$port/rate/k0" -- "$think" >"$RESULTS/$name.txt" 2>&1 ||
    die "wrk (paced) failed against $target: $RESULTS/$name.txt"
  line=$(grep '^paced' "$RESULTS/$name.txt") || die "no paced line in $RESULTS/$name.txt"
  # paced requests p50 p99 p99.9 non2xx errors
  awk -F'\t' -v r="$round" -v t="$target" -v c="$conns@${think}ms" -v d="$DURATION" \
    '{ printf "%s\t%s\t%s\t%.0f\t%s\t%s\t%s\t%d\t%d\n", r, t, c, $2 / d, $3, $4, $5, $2, $6 + $7 }' \
    <<<"$line" >>"$RESULTS/gateway-latency.tsv"
  log "  => round $round $target paced on $conns connections (think time $think ms on average): $(tail -1 "$RESULTS/gateway-latency.tsv" | cut -f4-9 | tr '\t' ' ') (req/s p50 p99 p99.9 requests non-2xx or errors)"
}

# latency_rows ROUND TARGET PORT: TARGET's latency rows, one request at a time and paced.
latency_rows() {
  local conns paced
  for conns in $GATEWAY_LATENCY_CONNS; do
    latency_run "$1" "$2" "$3" "$conns"
  done
  for paced in $GATEWAY_PACED; do
    paced_run "$1" "$2" "$3" "$paced"
  done
}

gateway_table() {
  local upstream proxy proxy_h2 round
  start_proxy_nginx
  upstream=$proxy_upstream proxy=$proxy_port proxy_h2=$proxy_h2_port
  for ((round = 1; round <= GATEWAY_ROUNDS; round++)); do
    measure_target "$round" direct http1 "$upstream" "$upstream_pid"
    measure_target "$round" nginx-proxy_pass http1 "$proxy" "$ngx_pid"
    measure_target "$round" nginx-proxy_pass h2c "$proxy_h2" "$ngx_pid"
    latency_rows "$round" direct "$upstream"
    latency_rows "$round" nginx-proxy_pass "$proxy"
    gateway_case "$round" gateway "upstream: http://127.0.0.1:$upstream
"
    gateway_case "$round" gateway-rate-breaker "upstream: http://127.0.0.1:$upstream
rate_limit: {rps: 1000000000, burst: 1000000000}
circuit_breaker: {failure_ratio: 0.5, min_samples: 20}
"
    if [ "$GATEWAY_FLOORS" = 1 ]; then
      floor_case "$round" bytes "$upstream"
      floor_case "$round" codec "$upstream"
    fi
  done
  stop "$ngx_pid"
  stop "$upstream_pid"
}

# gateway_case ROUND TARGET YAML: a gateway started alone for this round (none other is up), loaded
# JVM_WARMUP seconds, then its rows: HTTP/1.1, h2c (the pass-through one only, after JVM_WARMUP
# seconds of h2load), and the latency rows.
gateway_case() {
  local round=$1 target=$2 yaml=$3
  start_gateway "$target-r$round" "$yaml"
  warm_process "http://127.0.0.1:$gh_port" http1
  measure_target "$round" "$target" http1 "$gh_port" "$gh_pid"
  if [ "$target" = gateway ]; then
    warm_process "http://127.0.0.1:$gh_port" h2c
    measure_target "$round" "$target" h2c "$gh_port" "$gh_pid"
  fi
  latency_rows "$round" "$target" "$gh_port"
  if [ "$target" = gateway ] && [ "$round" = "$GATEWAY_ROUNDS" ]; then
    jcmd "$gh_pid" GC.heap_info >"$RESULTS/gateway-pass.heap-info.txt" 2>&1 || true
  fi
  stop "$gh_pid"
}

# floor_case ROUND MODE UPSTREAM: NettyProxyFloor.java in MODE (bytes or codec) in front of the
# upstream, started alone for this round, measured as a gateway is (target "netty-MODE"), without h2c.
floor_case() {
  local round=$1 mode=$2 upstream=$3 port pid i
  free_port port
  # shellcheck disable=SC2086 # JAVA_OPTS is a list of JVM options
  taskset -c "$(server_cpus)" "$JAVA_HOME/bin/java" $JAVA_OPTS -cp "$gh_jar" "$here/NettyProxyFloor.java" \
    "$port" "$upstream" "$mode" >"$RESULTS/netty-$mode-r$round.log" 2>&1 &
  pid=$!
  started_pids+=("$pid")
  for ((i = 0; i < 600; i++)); do
    curl -fs -o /dev/null "http://127.0.0.1:$port/" && break
    kill -0 "$pid" 2>/dev/null || die "NettyProxyFloor $mode exited; see $RESULTS/netty-$mode-r$round.log"
    sleep 0.05
  done
  warm_process "http://127.0.0.1:$port" http1
  measure_target "$round" "netty-$mode" http1 "$port" "$pid"
  latency_rows "$round" "netty-$mode" "$port"
  stop "$pid"
}

# warm_process URL PROTOCOL: JVM_WARMUP seconds of load on a process just started, so that no
# measured run pays for its JIT: wrk for http1, h2load for h2c.
warm_process() {
  log "warming up $1 ($2, ${JVM_WARMUP}s)"
  if [ "$2" = h2c ]; then
    timeout $((JVM_WARMUP + 30)) taskset -c "$(client_cpus)" h2load -t1 -c"$CONNECTIONS" -m"$H2_STREAMS" \
      -D "$JVM_WARMUP" "$1/rate/k0" >"$work/warmup.txt" 2>&1
  else
    timeout $((JVM_WARMUP + 30)) taskset -c "$(client_cpus)" wrk -t1 -c"$CONNECTIONS" -d"${JVM_WARMUP}s" \
      "$1/rate/k0" >"$work/warmup.txt" 2>&1
  fi
}

# floor_targets [SUFFIX]: the floor rows' targets, each followed by SUFFIX, when the run has them.
floor_targets() {
  [ "$GATEWAY_FLOORS" = 1 ] && echo "netty-bytes${1-} netty-codec${1-}"
  return 0
}

gateway_summary() {
  echo "Gateway: every target proxies to the same nginx \`return 200\`, a process of its own (direct: that upstream asked itself);"
  echo "HTTP/1.1: wrk -t1 -c$CONNECTIONS --latency; h2c: h2load -t1 -c$CONNECTIONS -m$H2_STREAMS; ${DURATION} s after ${WARMUP} s; $GATEWAY_ROUNDS rounds, targets in turn;"
  echo "each gateway started anew in each round, alone, after ${JVM_WARMUP} s of wrk (and ${JVM_WARMUP} s of h2load before its h2c row)."
  echo
  echo "| round | target | protocol | req/s | p50 ms | p99 ms | requests | non-2xx | errors | CPU µs a request, user + system |"
  echo "| ---: | --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | --- |"
  awk -F'\t' '{ printf "| %s | %s | %s | %s | %s | %s | %s | %s | %s | %s + %s |\n", $1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11 }' \
    "$RESULTS/gateway.tsv"
  echo
  # with every connection always waiting for an answer, the mean latency is connections / req/s (Little's law)
  echo "| target | protocol | median req/s | / nginx proxy_pass | mean ms, $CONNECTIONS / req/s | median p99 ms | p99 over direct, ms | median CPU µs a request |"
  echo "| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: |"
  local target protocol rps nginx_rps p99 direct_p99 cpu
  direct_p99=$(median $(awk -F'\t' '$2 == "direct" { print $6 }' "$RESULTS/gateway.tsv"))
  for target in direct/http1 nginx-proxy_pass/http1 gateway/http1 gateway-rate-breaker/http1 $(floor_targets /http1) nginx-proxy_pass/h2c gateway/h2c; do
    protocol=${target#*/}
    target=${target%/*}
    rps=$(median $(awk -F'\t' -v t="$target" -v p="$protocol" '$2 == t && $3 == p { print $4 }' "$RESULTS/gateway.tsv"))
    nginx_rps=$(median $(awk -F'\t' -v p="$protocol" '$2 == "nginx-proxy_pass" && $3 == p { print $4 }' "$RESULTS/gateway.tsv"))
    p99=$(median $(awk -F'\t' -v t="$target" -v p="$protocol" '$2 == t && $3 == p { print $6 }' "$RESULTS/gateway.tsv"))
    cpu=$(median $(awk -F'\t' -v t="$target" -v p="$protocol" '$2 == t && $3 == p { printf "%.2f\n", $10 + $11 }' "$RESULTS/gateway.tsv"))
    echo "| $target | $protocol | $rps | $(awk -v a="$rps" -v b="$nginx_rps" 'BEGIN { if (b > 0) printf "%.2f×", a / b }') |" \
      "$(awk -v a="$rps" -v c="$CONNECTIONS" -v p="$protocol" 'BEGIN { if (a > 0 && p == "http1") printf "%.2f", c * 1000 / a }') | $p99 |" \
      "$(awk -v a="$p99" -v b="$direct_p99" -v p="$protocol" 'BEGIN { if (p == "http1") printf "%+.3f", a - b }') | $cpu |"
  done
  echo
  [ -f "$RESULTS/gateway-latency.tsv" ] || return 0
  echo "Latency of requests asked one at a time on each connection: HTTP/1.1, h2load --h1 -t1 -c<connections>, each connection"
  echo "asking again at once; \"N@Tms\": wrk -t1 -cN with paced.lua, each connection waiting T ms on average after each answer."
  echo "${DURATION} s after ${WARMUP} s; non-2xx counts paced rows' socket errors too."
  echo
  echo "| round | target | connections | req/s | p50 ms | p99 ms | p99.9 ms | requests | non-2xx |"
  echo "| ---: | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"
  awk -F'\t' '{ printf "| %s | %s | %s | %s | %s | %s | %s | %s | %s |\n", $1, $2, $3, $4, $5, $6, $7, $8, $9 }' "$RESULTS/gateway-latency.tsv"
  echo
  echo "| target | connections | median p50 ms | median p99 ms | p99 over direct, ms | median p99.9 ms |"
  echo "| --- | ---: | ---: | ---: | ---: | ---: |"
  local conns p50 p999
  for conns in $(cut -f3 "$RESULTS/gateway-latency.tsv" | sort -u); do
    direct_p99=$(median $(awk -F'\t' -v q="$conns" '$2 == "direct" && $3 == q { print $6 }' "$RESULTS/gateway-latency.tsv"))
    for target in direct nginx-proxy_pass gateway gateway-rate-breaker $(floor_targets); do
      p50=$(median $(awk -F'\t' -v t="$target" -v q="$conns" '$2 == t && $3 == q { print $5 }' "$RESULTS/gateway-latency.tsv"))
      p99=$(median $(awk -F'\t' -v t="$target" -v q="$conns" '$2 == t && $3 == q { print $6 }' "$RESULTS/gateway-latency.tsv"))
      p999=$(median $(awk -F'\t' -v t="$target" -v q="$conns" '$2 == t && $3 == q { print $7 }' "$RESULTS/gateway-latency.tsv"))
      echo "| $target | $conns | $p50 | $p99 | $(awk -v a="$p99" -v b="$direct_p99" 'BEGIN { printf "%+.3f", a - b }') | $p999 |"
    done
  done
  echo
}

# ---------------------------------------------------------------------------------------------
# The drawn queue: a pre-queue of DRAW_TICKETS opened, per store

# draw_case STORE: a gateway with an ecvrf queue in STORE; DRAW_TICKETS enqueued (h2load -n, exact),
# then POST /queue/open timed while one ticket's status is polled; the heap after, and `gatehouse
# verify` of every position from the served files. One row of draw.tsv.
draw_case() {
  local store=$1 yaml ticket open_s polls verify_s drawn heap_kb
  yaml="upstream: http://127.0.0.1:9
queue: {type: ecvrf, room: bench, vrf_key: \"$(printf '11%.0s' {1..32})\", signing_key: \"$(printf '22%.0s' {1..32})\"}
"
  if [ "$store" = redis ]; then
    room_prefix="gatehouse-bench-draw-$(date -u +%Y%m%d%H%M%S)-$$:"
    redis-cli -u "$REDIS_URL" ping >/dev/null || die "no Redis at $REDIS_URL"
    yaml="${yaml}store: {backend: redis, key_prefix: \"$room_prefix\", redis: {addr: \"$(redis_addr)\"}}
"
  fi
  JAVA_OPTS=$DRAW_JAVA_OPTS start_gateway "draw-$store" "$yaml"
  ticket=$(curl -fs -X POST "http://127.0.0.1:$gh_port/__gatehouse__/enqueue" | sed 's/.*"ticket_id":"\([0-9a-f]*\)".*/\1/')
  printf "{}" >"$work/empty" # h2load posts a file, and cannot map an empty one
  log "draw $store: enqueuing $((DRAW_TICKETS - 1)) more tickets"
  taskset -c "$(client_cpus)" h2load -t1 -c"$CONNECTIONS" -m"$H2_STREAMS" -n $((DRAW_TICKETS - 1)) -d "$work/empty" \
    "http://127.0.0.1:$gh_port/__gatehouse__/enqueue" >"$RESULTS/draw-$store-enqueue.txt" 2>&1
  curl -fs "http://127.0.0.1:$gh_admin/queue" >"$RESULTS/draw-$store-before.json"
  : >"$work/polls"
  (
    while [ ! -f "$work/opened" ]; do
      curl -s -o /dev/null -w '%{time_total}\n' "http://127.0.0.1:$gh_port/__gatehouse__/status?ticket=$ticket" >>"$work/polls"
    done
  ) &
  local poller=$!
  open_s=$(curl -fs -o "$RESULTS/draw-$store-open.json" -w '%{time_total}' -X POST --max-time 600 "http://127.0.0.1:$gh_admin/queue/open")
  touch "$work/opened"
  wait "$poller"
  rm -f "$work/opened"
  drawn=$(sed 's/.*"drawn":\([0-9]*\).*/\1/' "$RESULTS/draw-$store-open.json")
  polls=$(sort -n "$work/polls" | awk '{ v[NR] = $1 * 1000 } END { printf "%d polls, p50 %.1f ms, max %.1f ms", NR, v[int((NR + 1) / 2)], v[NR] }')
  heap_kb=$(heap_used_kb "$gh_pid")
  verify_s=$( { TIMEFORMAT=%R; time "$JAVA_HOME/bin/java" -jar "$work/gatehouse.jar" verify \
    --record "http://127.0.0.1:$gh_port/__gatehouse__/draw/record" --commit "http://127.0.0.1:$gh_port/__gatehouse__/draw/commit" \
    --tickets "http://127.0.0.1:$gh_port/__gatehouse__/draw/tickets" --ticket "$ticket" \
    --proof "http://127.0.0.1:$gh_port/__gatehouse__/draw/proof?ticket=$ticket" >"$RESULTS/draw-$store-verify.txt" 2>&1; } 2>&1 | tail -1)
  grep -q '^positions: ok' "$RESULTS/draw-$store-verify.txt" || die "verify failed: $RESULTS/draw-$store-verify.txt"
  printf '%s\t%s\t%s\t%s\t%s\t%.0f\n' "$store" "$drawn" "$open_s" "$polls" "$verify_s" "$((heap_kb / 1024))" >>"$RESULTS/draw.tsv"
  log "  => draw $store: $drawn tickets opened in $open_s s; status during the open: $polls; verify $verify_s s"
  stop "$gh_pid"
  if [ "$store" = redis ]; then
    delete_redis_keys "$room_prefix"
    room_prefix=""
  fi
}

redis_addr() { local hostport=${REDIS_URL#redis://}; echo "${hostport%%/*}"; }

draw_table() {
  local store
  for store in $DRAW_STORES; do draw_case "$store"; done
}

draw_summary() {
  echo "Drawn queue: $DRAW_TICKETS tickets enqueued (h2load -n), then POST /queue/open timed (curl) while one"
  echo "ticket's status is polled in a loop; heap after a full GC; \`gatehouse verify\` of every position from the URLs."
  echo
  echo "| store | tickets drawn | open, s | status polls during the open | verify all, s | heap after, MiB |"
  echo "| --- | ---: | ---: | --- | ---: | ---: |"
  awk -F'\t' '{ printf "| %s | %s | %s | %s | %s | %s |\n", $1, $2, $3, $4, $5, $6 }' "$RESULTS/draw.tsv"
  echo
}

# ---------------------------------------------------------------------------------------------
# A/B: two jars, one process at a time

# The change's jar (GATEHOUSE_JAR, "b") against the one before it (BASE_JAR, "a"), in AB_ROUNDS
# rounds where the two take turns: the gateway passing through to the nginx upstream (and nginx
# proxy_pass in front of the same upstream, once a round, for the ratio), then /rate/k0 on the allow
# and on the deny path. Each case starts its own process, alone on the machine, loads it for
# JVM_WARMUP seconds, and measures one wrk run. Besides requests/s and p99, the CPU time the JVM
# spent per request over that run (user + system, from /proc: less noisy than requests/s on a
# shared machine, where the JVM's share of the CPUs varies) and, for the gateway, how often the
# upstream's nginx worker went to sleep and was woken per request (its voluntary context switches).

ab_wakes_before="" ab_pids="" ab_watched=""

voluntary_switches() { awk '/^voluntary_ctxt_switches/ { print $2 }' "/proc/$1/status"; }
ab_before() {
  ab_wakes_before=$(if [ -n "$ab_watched" ]; then voluntary_switches "$ab_watched"; else echo 0; fi)
}

# ab_case ROUND JAR CASE URL: the measured run of the processes ab_pids; one row of ab.tsv.
ab_case() {
  local round=$1 jar=$2 case=$3 url=$4 wakes cpu_us wakes_per
  warm_process "$url" http1
  measured_pids=$ab_pids
  run_wrk "ab-r$round-$jar-$case" "$url" 1 ab_before
  wakes=$(if [ -n "$ab_watched" ]; then echo $(($(voluntary_switches "$ab_watched") - ab_wakes_before)); else echo 0; fi)
  cpu_us=$(awk -v u="$res_user_us" -v s="$res_system_us" 'BEGIN { printf "%.1f", u + s }')
  wakes_per=$(awk -v w="$wakes" -v n="$res_requests" 'BEGIN { printf "%.3f", w / n }')
  printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$round" "$jar" "$case" "$res_rps" "$res_p99" "$cpu_us" "$wakes_per" \
    "$res_non2xx" >>"$RESULTS/ab.tsv"
  log "  => round $round $jar $case: $res_rps req/s, p99 $res_p99 ms, $cpu_us µs of CPU a request, $wakes_per upstream wakes a request"
}

ab_table() {
  local upstream proxy round jar case
  [ -n "$BASE_JAR" ] && [ -f "$BASE_JAR" ] || die "the ab part needs BASE_JAR, the jar to compare GATEHOUSE_JAR with"
  cp "$BASE_JAR" "$work/base.jar"
  echo "base jar: $BASE_JAR ($(sha256sum "$work/base.jar" | cut -c1-16))" >>"$RESULTS/machine.txt"
  start_proxy_nginx
  upstream=$proxy_upstream proxy=$proxy_port
  for ((round = 1; round <= AB_ROUNDS; round++)); do
    if [[ " $AB_CASES " == *" gateway "* ]]; then
      ab_pids="$ngx_pid $ngx_worker" ab_watched=$upstream_worker
      ab_case "$round" nginx gateway "http://127.0.0.1:$proxy"
    fi
    for jar in a b; do
      if [ "$jar" = a ]; then gh_jar="$work/base.jar"; else gh_jar="$work/gatehouse.jar"; fi
      for case in $AB_CASES; do
        case "$case" in
          gateway) start_gateway "ab-$jar" "upstream: http://127.0.0.1:$upstream
" ;;
          rate-allow) start_gatehouse "ab-$jar-allow" "${ALLOW_FLAGS[@]}" ;;
          rate-deny) start_gatehouse "ab-$jar-deny" "${DENY_FLAGS[@]}" ;;
          *) die "unknown AB_CASES entry: $case (expected gateway, rate-allow or rate-deny)" ;;
        esac
        ab_pids=$gh_pid ab_watched=""
        if [ "$case" = gateway ]; then ab_watched=$upstream_worker; fi
        ab_case "$round" "$jar" "$case" "http://127.0.0.1:$gh_port"
        stop "$gh_pid"
      done
    done
  done
  gh_jar="$work/gatehouse.jar"
  stop "$ngx_pid"
  stop "$upstream_pid"
}

# ab_median JAR CASE FIELD: the median over the rounds of column FIELD of ab.tsv.
ab_median() {
  median $(awk -F'\t' -v j="$1" -v c="$2" -v f="$3" '$2 == j && $3 == c { print $f }' "$RESULTS/ab.tsv")
}

# ab_versus_nginx JAR: the median over the rounds of JAR's gateway requests/s over nginx proxy_pass's.
ab_versus_nginx() {
  median $(awk -F'\t' -v j="$1" '$3 == "gateway" { rps[$1, $2] = $4 }
    END { for (k in rps) { split(k, p, SUBSEP); if (p[2] == j) printf "%.3f\n", rps[k] / rps[p[1], "nginx"] } }' "$RESULTS/ab.tsv")
}

ab_summary() {
  local case cpu_a cpu_b
  echo "A/B: a = BASE_JAR, b = GATEHOUSE_JAR (machine.txt), one process at a time, $AB_ROUNDS rounds;"
  echo "each case ${JVM_WARMUP} s of load after its start, then wrk -t1 -c$CONNECTIONS (${WARMUP} s, then ${DURATION} s measured)."
  echo "CPU: the process's user + system time over the measured run, per request (nginx: its proxy's master and worker;"
  echo "the upstream is another nginx). Wakes: the upstream nginx worker's voluntary context switches per request."
  echo
  echo "| round | jar | case | req/s | p99 ms | CPU µs a request | upstream wakes a request | non-2xx |"
  echo "| ---: | --- | --- | ---: | ---: | ---: | ---: | ---: |"
  awk -F'\t' '{ printf "| %s | %s | %s | %s | %s | %s | %s | %s |\n", $1, $2, $3, $4, $5, $6, $7, $8 }' "$RESULTS/ab.tsv"
  echo
  echo "| case (medians of the rounds) | req/s, a → b | p99 ms, a → b | CPU µs a request, a → b | b / a CPU | upstream wakes a request, a → b |"
  echo "| --- | --- | --- | --- | ---: | --- |"
  for case in $AB_CASES; do
    cpu_a=$(ab_median a "$case" 6)
    cpu_b=$(ab_median b "$case" 6)
    echo "| $case | $(ab_median a "$case" 4) → $(ab_median b "$case" 4) | $(ab_median a "$case" 5) → $(ab_median b "$case" 5)" \
      "| $cpu_a → $cpu_b | $(awk -v a="$cpu_a" -v b="$cpu_b" 'BEGIN { if (a > 0) printf "%.2f×", b / a }')" \
      "| $(ab_median a "$case" 7) → $(ab_median b "$case" 7) |"
  done
  echo
  if [[ " $AB_CASES " == *" gateway "* ]]; then
    echo "Gateway / nginx proxy_pass requests/s, median of the rounds' ratios: a $(ab_versus_nginx a), b $(ab_versus_nginx b)."
    echo
  fi
}

# ---------------------------------------------------------------------------------------------
# Summary

summary() {
  local file="$RESULTS/summary.md" part
  {
    echo "# Load benchmark $(basename "$RESULTS")"
    echo
    echo "Machine and versions: machine.txt."
    echo
    if [ -f "$RESULTS/results.tsv" ]; then
      echo "Every row: ${DURATION} s measured after a ${WARMUP} s warm-up of the same run;"
      echo "HTTP/1.1: wrk -t1 -c$CONNECTIONS --latency; h2c: h2load -t1 -c$CONNECTIONS -m$H2_STREAMS (prior knowledge)."
      echo "Ratio: Gatehouse req/s / nginx limit_req req/s (same protocol, path and keys)."
      echo "CPU: the server's processes' user and kernel (system) time over the measured run, per request."
      echo
      echo "| target | protocol | path | keys | req/s | p50 ms | p99 ms | requests | non-2xx | errors | Gatehouse / limit_req | CPU µs a request, user + system | check |"
      echo "| --- | --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- | --- |"
      awk -F'\t' '
        function grouped(n,   s) { s = sprintf("%d", n); while (s ~ /[0-9][0-9][0-9][0-9]/) sub(/[0-9][0-9][0-9]($|,)/, ",&", s); return s }
        { line[NR] = $0; k = $2 SUBSEP $3 SUBSEP $4
          if ($1 == "gatehouse") g[k] = $5
          if ($1 == "nginx-limit_req") n[k] = $5 }
        END {
          for (i = 1; i <= NR; i++) {
            split(line[i], f, "\t"); k = f[2] SUBSEP f[3] SUBSEP f[4]
            ratio = (f[1] == "gatehouse" && n[k] > 0) ? sprintf("%.2f×", g[k] / n[k]) : ""
            printf "| %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s + %s | %s |\n",
              f[1], f[2], f[3], grouped(f[4]), grouped(f[5]), f[6], f[7], grouped(f[8]), grouped(f[9]), f[10], ratio,
              f[12], f[13], f[11]
          }
        }' "$RESULTS/results.tsv"
      echo
    fi
    if [ -f "$RESULTS/room.tsv" ]; then room_summary; fi
    if [ -f "$RESULTS/gateway.tsv" ]; then gateway_summary; fi
    if [ -f "$RESULTS/draw.tsv" ]; then draw_summary; fi
    if [ -f "$RESULTS/ab.tsv" ]; then ab_summary; fi
    if [ -f "$RESULTS/alloc.tsv" ]; then
      echo "Heap allocated by the server's event loops per /rate/{key} request (JFR's per-thread counters"
      echo "around the measured wrk run, HTTP/1.1, -c$CONNECTIONS):"
      echo
      echo "| path | keys | requests | bytes allocated | bytes per request |"
      echo "| --- | ---: | ---: | ---: | ---: |"
      awk -F'\t' '{ printf "| %s | %s | %s | %s | %s |\n", $1, $2, $3, $4, $5 }' "$RESULTS/alloc.tsv"
      echo
    fi
    for part in memory startup room-memory; do
      if [ -f "$RESULTS/$part.tsv" ]; then
        echo "| $part | |"
        echo "| --- | --- |"
        awk -F'\t' '{ printf "| %s | %s |\n", $1, $2 }' "$RESULTS/$part.tsv"
        echo
      fi
    done
  } >"$file"
  cat "$file"
}

# envoy_request FILE KEY: a gRPC-framed RateLimitRequest {domain "bench", descriptors [{entries [{KEY, "v"}]}]}
# (protobuf by hand: field tags and lengths; KEY shorter than 100 bytes).
envoy_request() {
  local key=$1 entry descriptor message
  entry="0a$(printf '%02x' "${#key}")$(printf '%s' "$key" | od -An -v -tx1 | tr -d ' \n')120176"
  descriptor="0a$(printf '%02x' $((${#entry} / 2)))$entry"
  message="0a0562656e636812$(printf '%02x' $((${#descriptor} / 2)))$descriptor"
  # shellcheck disable=SC2059 # the format is the bytes, as \xHH escapes
  printf "$(printf '00%08x%s' $((${#message} / 2)) "$message" | sed 's/../\\x&/g')" >"$2"
}

# envoy_table: Envoy's rate-limit service (ShouldRateLimit over gRPC, h2c) on the allow and deny
# path, beside the same server's GET /rate/{key} over h2c: decisions per second and latency, and
# the server's own count of answers by outcome as the check.
envoy_table() {
  local config grpc_port path body before after outcome
  config="$work/envoy"
  mkdir -p "$config"
  printf '%s\n' 'domain: bench' 'descriptors:' \
    '  - key: allow' '    rate_limit: {unit: hour, requests_per_unit: 4294967295}' \
    '  - key: deny' '    rate_limit: {unit: hour, requests_per_unit: 0}' >"$config/bench.yaml"
  free_port grpc_port
  start_gatehouse envoy "${ALLOW_FLAGS[@]}" --envoy-config "$config" --grpc-host 127.0.0.1 --grpc-port "$grpc_port"
  warm_jvm
  measure_gatehouse h2c allow 1
  for path in allow deny; do
    body="$work/envoy-$path.bin"
    envoy_request "$path" "$body"
    outcome=$([ "$path" = allow ] && echo ok || echo over_limit)
    log "h2load envoy-$path: ${WARMUP}s warm-up, then ${DURATION}s (-t1 -c$CONNECTIONS -m$H2_STREAMS, gRPC)"
    local target=(-d "$body" -H 'content-type: application/grpc' -H 'te: trailers'
      "http://127.0.0.1:$grpc_port/envoy.service.ratelimit.v3.RateLimitService/ShouldRateLimit")
    timeout $((WARMUP + 30)) taskset -c "$(client_cpus)" h2load -t1 -c"$CONNECTIONS" -m"$H2_STREAMS" \
      -D "$WARMUP" "${target[@]}" >"$RESULTS/h2load-envoy-$path.warmup.txt" 2>&1 ||
      die "h2load envoy-$path (warm-up) failed: $(tail -3 "$RESULTS/h2load-envoy-$path.warmup.txt")"
    before=$(metric "$gh_admin" "gatehouse_envoy_requests_total{outcome=\"$outcome\"}")
    measured_pids=$gh_pid
    cpu_start
    timeout $((DURATION + 30)) taskset -c "$(client_cpus)" h2load -t1 -c"$CONNECTIONS" -m"$H2_STREAMS" \
      -D "$DURATION" --log-file="$work/h2.log" "${target[@]}" >"$RESULTS/h2load-envoy-$path.txt" 2>&1 ||
      die "h2load envoy-$path failed: $(tail -3 "$RESULTS/h2load-envoy-$path.txt")"
    after=$(metric "$gh_admin" "gatehouse_envoy_requests_total{outcome=\"$outcome\"}")
    res_rps=$(awk '/^finished in/ { gsub(",", ""); printf "%.0f", $4 }' "$RESULTS/h2load-envoy-$path.txt")
    res_requests=$(awk '/^requests:/ { print $6 }' "$RESULTS/h2load-envoy-$path.txt")
    cpu_per_request
    res_errors=$(awk '/^requests:/ { print $10 }' "$RESULTS/h2load-envoy-$path.txt")
    res_non2xx=$(awk '/^status codes:/ { print $5 + $7 + $9 }' "$RESULTS/h2load-envoy-$path.txt")
    res_p50=$(percentile_ms "$work/h2.log" 50)
    res_p99=$(percentile_ms "$work/h2.log" 99)
    rm -f "$work/h2.log"
    # every measured call answered by the service with the expected outcome (the warm-up's are not counted)
    [ $((after - before)) -ge "$res_requests" ] ||
      die "envoy-$path: h2load completed $res_requests calls but the server counted $((after - before)) $outcome"
    row gatehouse-envoy-grpc h2c "$path" 1 "server counted $((after - before)) $outcome"
  done
  stop "$gh_pid"
}

# alloc_table: the bytes the event loops allocate per GET /rate/{key}, allow and deny, one key and
# MANY_KEYS: JFR's per-thread allocation counters, read before and after the measured wrk run.
alloc_table() {
  local path keys flags bytes
  for path in allow deny; do
    if [ "$path" = allow ]; then flags=("${ALLOW_FLAGS[@]}"); else flags=("${DENY_FLAGS[@]}"); fi
    start_gatehouse "alloc-$path" "${flags[@]}"
    warm_jvm
    for keys in 1 "$MANY_KEYS"; do
      if [ "$path" = deny ]; then spend_keys "http://127.0.0.1:$gh_port" "$keys"; fi
      measured_pids=$gh_pid
      run_wrk "alloc-$path-$keys" "http://127.0.0.1:$gh_port" "$keys" start_allocation_counts
      bytes=$(event_loop_allocation)
      [ "$res_requests" -gt 0 ] || die "alloc $path $keys: no request answered"
      printf '%s\t%s\t%s\t%s\t%s\n' "$path" "$keys" "$res_requests" "$bytes" "$((bytes / res_requests))" >>"$RESULTS/alloc.tsv"
      log "alloc $path, $keys keys: $((bytes / res_requests)) bytes per request ($res_requests requests)"
    done
    stop "$gh_pid"
  done
}

start_allocation_counts() {
  jcmd "$gh_pid" JFR.start name=alloc settings=none +jdk.ThreadAllocationStatistics#enabled=true \
    +jdk.ThreadAllocationStatistics#period=everyChunk filename="$work/alloc.jfr" >/dev/null
}

# event_loop_allocation: stops the recording; prints the bytes the event loop threads allocated in it.
event_loop_allocation() {
  jcmd "$gh_pid" JFR.stop name=alloc >/dev/null
  jfr print --json --events jdk.ThreadAllocationStatistics "$work/alloc.jfr" | awk -F'[:,]' '
    /"allocated":/ { bytes = $2 + 0 }
    /"javaName": "vert.x-eventloop/ { t = $0; if (!(t in low) || bytes < low[t]) low[t] = bytes; if (bytes > high[t]) high[t] = bytes }
    END { for (t in high) sum += high[t] - low[t]; printf "%d\n", sum }'
  rm -f "$work/alloc.jfr"
}

main() {
  local parts=("$@") part
  if [ "${#parts[@]}" = 0 ]; then parts=(http memory startup); fi
  for part in "${parts[@]}"; do
    case "$part" in
      http | memory | startup | room | gateway | draw | envoy | alloc | ab) ;;
      *) die "unknown part: $part (expected http, memory, startup, room, gateway, draw, envoy, alloc or ab)" ;;
    esac
  done
  take_lock "$@"
  trap cleanup EXIT
  trap 'exit 130' INT TERM
  ensure_tools
  ensure_java
  mkdir -p "$RESULTS"
  work=$(mktemp -d /tmp/gatehouse-load.XXXXXX)
  ensure_jar
  record_machine
  log "results in $RESULTS; servers on CPUs $(server_cpus), load generator on CPUs $(client_cpus)"
  for part in "${parts[@]}"; do
    case "$part" in
      http) http_table ;;
      memory) idle_keys ;;
      startup) startup ;;
      room) room_table ;;
      gateway) gateway_table ;;
      draw) draw_table ;;
      envoy) envoy_table ;;
      alloc) alloc_table ;;
      ab) ab_table ;;
    esac
  done
  echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)" >>"$RESULTS/machine.txt"
  summary
}

main "$@"
