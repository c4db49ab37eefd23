#!/usr/bin/env bash
# The OCSP serving benchmark (docs/performance.md, "OCSP serving"): the
# same certificates (COUNT issued, 10% revoked) served side by side by
#
#   egca      `egca serve` (pre-signed answers; live signing for nonces)
#   mhd_ref   bench/ocsp/mhd_ref.c: a minimal libmicrohttpd program that
#             answers one pre-signed response from memory (the limit of
#             this design)
#   nginx     nginx-light serving the same response as a static file
#   cfssl     Debian's golang-cfssl `cfssl ocspserve` (pre-signed file)
#   openssl   `openssl ocsp -index ... -port` (signs every answer)
#
# for a P-256 and an SM2 CA; POST and GET; keep-alive and a fresh TCP
# connection per request ("Connection: close"). Each server runs pinned
# to CPU 0 (taskset), wrk pinned to CPU 1 with 1 thread and 8
# connections, all on 127.0.0.1. Every case starts its server afresh
# and stops it afterwards. Per case: requests/s, p50/p99 latency (wrk),
# the server's CPU time per request (/proc/PID/stat utime+stime before
# and after), and requests per server CPU-second (its capacity per core,
# which holds even when the machine is shared).
#
#   bench/ocsp_run.sh [-d SECONDS] [-n COUNT] [-a "ecdsa-p256 sm2"]
#                     [-w WORKDIR] [-o OUTDIR] [-r]
#     -d  seconds per case (default 8)
#     -n  certificates per CA (default 10000)
#     -a  CA algorithms (default "ecdsa-p256 sm2")
#     -w  work directory (default /tmp/egca-ocspbench)
#     -o  results directory (default bench/results)
#     -r  reuse the certificates already in WORKDIR
# Environment: BUILD (default build-ocspbench: configured and built here
# unless SKIP_BUILD=1), SERVERS (default "egca mhd_ref nginx cfssl
# openssl"), PORT_BASE (default 18400).
#
# Installs wrk, golang-cfssl, nginx-light and libmicrohttpd-dev with
# apt-get when missing. Takes about 6 minutes with the defaults.
set -euo pipefail

SRC=$(cd "$(dirname "$0")/.." && pwd)
BUILD=${BUILD:-$SRC/build-ocspbench}
DUR=8
COUNT=10000
ALGS="ecdsa-p256 sm2"
WORK=/tmp/egca-ocspbench
OUT=$SRC/bench/results
REUSE=0
SERVERS=${SERVERS:-"egca mhd_ref nginx cfssl openssl"}
PORT_BASE=${PORT_BASE:-18400}
while getopts "d:n:a:w:o:r" o; do
	case $o in
	d) DUR=$OPTARG ;;
	n) COUNT=$OPTARG ;;
	a) ALGS=$OPTARG ;;
	w) WORK=$OPTARG ;;
	o) OUT=$OPTARG ;;
	r) REUSE=1 ;;
	*) sed -n '2,/^set -e/p' "$0" | sed 's/^# \{0,1\}//' >&2; exit 2 ;;
	esac
done

# ---------------------------------------------------------------- tools
need=()
command -v wrk >/dev/null || need+=(wrk)
command -v cfssl >/dev/null || need+=(golang-cfssl)
command -v nginx >/dev/null || [ -x /usr/sbin/nginx ] || need+=(nginx-light)
[ -e /usr/include/microhttpd.h ] || need+=(libmicrohttpd-dev)
command -v taskset >/dev/null || need+=(util-linux)
command -v curl >/dev/null || need+=(curl)
if [ ${#need[@]} -gt 0 ]; then
	echo "ocsp_run: installing ${need[*]}" >&2
	if [ "$(id -u)" -ne 0 ]; then
		echo "ocsp_run: need root for apt-get (or install ${need[*]})" >&2
		exit 1
	fi
	apt-get update -qq >/dev/null
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}" >/dev/null
fi
NGINX=$(command -v nginx || echo /usr/sbin/nginx)

# ---------------------------------------------------------------- build
if [ -z "${SKIP_BUILD:-}" ]; then
	cmake -S "$SRC" -B "$BUILD" -DCMAKE_BUILD_TYPE=Release \
	    -DEGCA_WERROR=ON >/dev/null
	cmake --build "$BUILD" -j"$(nproc)" \
	    --target egca bench_issue bench_ocsp_mkcerts >/dev/null
fi
EGCA=$BUILD/egca
mkdir -p "$WORK" "$OUT"
cc -O2 -o "$WORK/mhd_ref" "$SRC/bench/ocsp/mhd_ref.c" -lmicrohttpd -lcrypto

HAVE_EGCA_SERVE=0
if "$EGCA" serve --help >"$WORK/egca-serve-help.txt" 2>&1; then
	HAVE_EGCA_SERVE=1
fi

stamp=$(date -u +%Y%m%dT%H%M%SZ)
log=$OUT/ocsp-$stamp.log
tsv=$OUT/ocsp-$stamp.tsv
txt=$OUT/ocsp-$stamp.txt
: >"$log"
printf 'alg\tserver\tmethod\tconn\trps\tp50_us\tp99_us\terrors\tcpu_us_per_req\treq_per_cpu_s\tload1\n' >"$tsv"

# ------------------------------------------------------------ processes
SERVER_PID=""
stop_server() {
	if [ -n "$SERVER_PID" ] && kill -0 "$SERVER_PID" 2>/dev/null; then
		kill "$SERVER_PID" 2>/dev/null || true
		for _ in $(seq 50); do
			kill -0 "$SERVER_PID" 2>/dev/null || break
			sleep 0.1
		done
		# `openssl ocsp` wedged by a connection closed without a
		# request does not always take SIGTERM promptly.
		kill -9 "$SERVER_PID" 2>/dev/null || true
		wait "$SERVER_PID" 2>/dev/null || true
	fi
	SERVER_PID=""
}
trap 'stop_server' EXIT
trap 'stop_server; exit 130' INT TERM

# utime + stime of a process (all its threads), in clock ticks.
ticks() {
	awk '{ sub(/^.*\) /, ""); print $12 + $13 }' "/proc/$1/stat"
}
CLK_TCK=$(getconf CLK_TCK)

port=$PORT_BASE
# start_server SERVER ALG: starts it pinned to CPU 0 on $port.
start_server() {
	local srv=$1 alg=$2 d=$WORK/$2 o=$WORK/$2/out static
	# The static servers answer egca's own response when there is one
	# (same bytes, same size), else the pre-signed one of setup.sh.
	static=$o/resp-good.der
	[ -s "$o/resp-egca.der" ] && static=$o/resp-egca.der
	port=$((port + 1))
	case $srv in
	egca)
		egca_serve_start "$d" "$port"
		;;
	mhd_ref)
		taskset -c 0 "$WORK/mhd_ref" "$port" "$static" \
		    >>"$log" 2>&1 &
		SERVER_PID=$!
		;;
	nginx)
		local n=$WORK/nginx-$alg
		rm -rf "$n"
		mkdir -p "$n/www/ocsp"
		cp "$static" "$n/www/ocsp/resp.der"
		cat >"$n/nginx.conf" <<EOF
daemon off;
master_process off;
worker_processes 1;
pid $n/nginx.pid;
error_log $n/error.log warn;
events { worker_connections 1024; }
http {
  access_log off;
  default_type application/ocsp-response;
  keepalive_requests 1000000;
  client_body_temp_path $n/body;
  proxy_temp_path $n/proxy;
  fastcgi_temp_path $n/fastcgi;
  uwsgi_temp_path $n/uwsgi;
  scgi_temp_path $n/scgi;
  server {
    listen 127.0.0.1:$port;
    root $n/www;
    # a POST to a static file is 405; answer it with the file
    location / { error_page 405 =200 \$uri; }
  }
}
EOF
		taskset -c 0 "$NGINX" -c "$n/nginx.conf" -p "$n" >>"$log" 2>&1 &
		SERVER_PID=$!
		;;
	cfssl)
		taskset -c 0 cfssl ocspserve -address 127.0.0.1 -port "$port" \
		    -responses "$o/responses.b64" -loglevel 4 >>"$log" 2>&1 &
		SERVER_PID=$!
		;;
	openssl)
		local sigopt=()
		[ "$alg" = sm2 ] && sigopt=(-rsigopt distid:1234567812345678)
		# -port takes a number only: it listens on every address,
		# but is only ever sent to on 127.0.0.1. It logs every request
		# line (its default, part of its cost): kept out of $log.
		(cd "$o" && exec taskset -c 0 openssl ocsp -index index.txt \
		    -port "$port" -rsigner ca.pem -rkey ca.key -CA ca.pem \
		    -nmin 60 -resp_no_certs "${sigopt[@]}") \
		    >>"$WORK/openssl-ocsp.log" 2>&1 &
		SERVER_PID=$!
		;;
	esac
}

# url SERVER ALG METHOD: the URL wrk and curl use.
url() {
	local srv=$1 alg=$2 m=$3 o=$WORK/$2/out
	case $srv:$m in
	egca:POST | mhd_ref:POST) echo "http://127.0.0.1:$port/ocsp" ;;
	egca:GET | mhd_ref:GET) echo "http://127.0.0.1:$port/ocsp/$(cat "$o/req.get")" ;;
	nginx:*) echo "http://127.0.0.1:$port/ocsp/resp.der" ;;
	cfssl:POST | openssl:POST) echo "http://127.0.0.1:$port/" ;;
	openssl:GET) echo "http://127.0.0.1:$port/$(cat "$o/req.get")" ;;
	*) return 1 ;;
	esac
}

# ask SERVER ALG METHOD BODY OUTFILE: one real request with curl (never a
# bare connection: see bench/ocsp/wrk.lua); prints the HTTP code.
ask() {
	local u
	u=$(url "$1" "$2" "$3")
	if [ "$3" = POST ]; then
		curl -s -m 5 -o "$5" -w '%{http_code}' \
		    -H 'Content-Type: application/ocsp-request' \
		    --data-binary @"$4" "$u" || true
	else
		curl -s -m 5 -o "$5" -w '%{http_code}' "$u" || true
	fi
}

# wait_ready SERVER ALG: a real OCSP request answered 200, 30 s at most.
wait_ready() {
	local o=$WORK/$2/out m=POST
	[ "$1" = nginx ] && m=GET
	for _ in $(seq 300); do
		kill -0 "$SERVER_PID" 2>/dev/null || return 1
		[ "$(ask "$1" "$2" "$m" "$o/req.der" "$WORK/ready.der")" = 200 ] &&
			return 0
		sleep 0.1
	done
	return 1
}

# run_case ALG SERVER METHOD CONN [BODY]: one measurement, one line of
# the TSV. BODY defaults to req.der; the answer is checked first.
run_case() {
	local alg=$1 srv=$2 m=$3 conn=$4 body=${5:-$WORK/$1/out/req.der}
	local o=$WORK/$alg/out label=$m u res c0 c1 code load
	[ "$body" != "$o/req.der" ] && label="$m+nonce"
	start_server "$srv" "$alg"
	if ! wait_ready "$srv" "$alg"; then
		echo "ocsp_run: $srv ($alg) did not start; see $log" >&2
		stop_server
		printf '%s\t%s\t%s\t%s\tnot started\t\t\t\t\t\t\n' "$alg" "$srv" "$label" "$conn" >>"$tsv"
		return 0
	fi
	code=$(ask "$srv" "$alg" "$m" "$body" "$WORK/check.der")
	if [ "$code" != 200 ] || ! openssl ocsp -respin "$WORK/check.der" \
	    -noverify -issuer "$o/ca.pem" -cert "$o/leaf-good.pem" \
	    $([ "$body" = "$o/req.der" ] && echo -no_nonce) 2>&1 |
	    grep -q ': good' || { [ "$body" != "$o/req.der" ] &&
	    [ "$(openssl ocsp -respin "$WORK/check.der" -noverify -resp_text |
	        grep -A1 'OCSP Nonce' | tail -n 1 | tr -d ' ')" != \
	      "$(openssl ocsp -reqin "$body" -req_text |
	        grep -A1 'OCSP Nonce' | tail -n 1 | tr -d ' ')" ]; }; then
		# (a nonce request must have its nonce echoed)
		echo "ocsp_run: $srv ($alg) $label: HTTP $code, not a good answer; skipped" >&2
		stop_server
		printf '%s\t%s\t%s\t%s\tbad answer (HTTP %s)\t\t\t\t\t\t\n' "$alg" "$srv" "$label" "$conn" "$code" >>"$tsv"
		return 0
	fi
	u=$(url "$srv" "$alg" "$m")
	load=$(cut -d' ' -f1 /proc/loadavg)
	c0=$(ticks "$SERVER_PID")
	res=$(env OCSP_BODY="$([ "$m" = POST ] && echo "$body")" \
	    OCSP_CLOSE="$([ "$conn" = fresh ] && echo 1)" \
	    taskset -c 1 wrk -t1 -c8 -d"${DUR}s" --timeout 5s \
	    -s "$SRC/bench/ocsp/wrk.lua" "$u" 2>&1) || true
	c1=$(ticks "$SERVER_PID")
	stop_server
	{
		echo "== $alg $srv $label $conn: $u"
		echo "$res"
		echo "server CPU ticks: $c0 -> $c1 (CLK_TCK $CLK_TCK)"
	} >>"$log"
	echo "$res" | grep '^RESULT' | head -n 1 | awk -v alg="$alg" \
	    -v srv="$srv" -v m="$label" -v conn="$conn" -v dt=$((c1 - c0)) \
	    -v hz="$CLK_TCK" -v load="$load" '
	{
		for (i = 2; i <= NF; i++) { split($i, kv, "="); r[kv[1]] = kv[2] }
		err = r["err_connect"] + r["err_read"] + r["err_write"] + \
		    r["err_status"] + r["err_timeout"]
		cpu = dt / hz
		per = 0
		if (r["requests"] > 0) per = cpu * 1e6 / r["requests"]
		cap = 0
		if (cpu > 0) cap = r["requests"] / cpu
		printf "%s\t%s\t%s\t%s\t%d\t%d\t%d\t%d\t%.1f\t%.0f\t%s\n", alg, srv, \
		    m, conn, r["rps"], r["p50_us"], r["p99_us"], err, per, cap, load
	}' | tee -a "$tsv" >&2
}

# --------------------------------------------------------- egca serve
# `egca serve` with its access log off and one connection thread, as
# its --help offers them.
egca_serve_start() {
	local d=$1 p=$2 args=() h=$WORK/egca-serve-help.txt
	args=(serve --dir "$d/data" --passphrase-file "$d/pass")
	if grep -q -- '--listen' "$h"; then
		if grep -q -- '--port' "$h"; then
			args+=(--listen 127.0.0.1 --port "$p")
		else
			args+=(--listen "127.0.0.1:$p")
		fi
	else
		args+=(--port "$p")
	fi
	grep -q -- '--access-log' "$h" && args+=(--access-log /dev/null)
	grep -q -- '--threads' "$h" && args+=(--threads 1)
	grep -q -- '--workers' "$h" && args+=(--workers 1)
	echo "egca ${args[*]}" >>"$log"
	taskset -c 0 "$EGCA" "${args[@]}" >>"$log" 2>&1 &
	SERVER_PID=$!
}

# ------------------------------------------------------------------ run
{
	echo "egca OCSP serving benchmark, $(date -u +%Y-%m-%dT%H:%M:%SZ)"
	echo "commit:  $(git -C "$SRC" rev-parse --short HEAD 2>/dev/null || echo '?')"
	echo "machine: $(nproc) CPUs, $(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n 1)," \
	    "$(awk '/MemTotal/ {printf "%.1f GiB", $2 / 1048576}' /proc/meminfo)"
	echo "kernel:  $(uname -sr)"
	echo "openssl: $(openssl version)"
	echo "wrk:     $(wrk -v 2>&1 | head -n 1 | cut -d' ' -f1-2)"
	echo "nginx:   $("$NGINX" -v 2>&1)"
	echo "cfssl:   $(cfssl version 2>&1 | head -n 1)"
	echo "mhd:     $(dpkg-query -W -f '${Version}' libmicrohttpd12 2>/dev/null || echo '?')"
	echo "egca serve: $([ $HAVE_EGCA_SERVE = 1 ] && echo present || echo 'not on this commit')"
	echo "cases:   ${DUR}s each, wrk -t1 -c8 on CPU 1, server on CPU 0"
	echo "load:    $(cat /proc/loadavg)"
} | tee -a "$log" >&2

for alg in $ALGS; do
	d=$WORK/$alg
	if [ "$REUSE" = 1 ] && [ -s "$d/out/responses.b64" ]; then
		echo "ocsp_run: reusing $d" >&2
	else
		EGCA=$EGCA MKCERTS=$BUILD/bench_ocsp_mkcerts COUNT=$COUNT \
		    bash "$SRC/bench/ocsp/setup.sh" "$d" "$alg" 2>&1 | tee -a "$log" >&2
	fi
	for srv in $SERVERS; do
		case $srv in
		egca)
			if [ $HAVE_EGCA_SERVE = 0 ]; then
				printf '%s\tegca\t-\t-\tnot available\t\t\t\t\t\t\n' "$alg" >>"$tsv"
				continue
			fi
			for m in POST GET; do
				for conn in keepalive fresh; do
					run_case "$alg" egca "$m" "$conn"
				done
			done
			run_case "$alg" egca POST keepalive "$d/out/req-nonce.der"
			;;
		mhd_ref | nginx)
			for m in POST GET; do
				for conn in keepalive fresh; do
					run_case "$alg" "$srv" "$m" "$conn"
				done
			done
			;;
		cfssl)
			# cfssl 1.2's GET handler base64-decodes the path with its
			# leading "/": every GET is 400. POST only.
			for conn in keepalive fresh; do
				run_case "$alg" cfssl POST "$conn"
			done
			;;
		openssl)
			run_case "$alg" openssl POST keepalive
			run_case "$alg" openssl POST fresh
			run_case "$alg" openssl GET fresh
			;;
		esac
	done
done

# The raw signing rate of the same OpenSSL on CPU 0 (live nonce target).
: >"$WORK/raw.txt"
if [ -x "$BUILD/bench_issue" ]; then
	for a in p256 sm2; do
		"$BUILD/bench_issue" -t 2 --cpu 0 --only "$a" --json 2>/dev/null |
		    sed -n 's/.*"alg": "\([a-z0-9]*\)", "profile": "tls-server".*"raw_sign_per_s": \([0-9.]*\).*/\1 \2/p' \
		    >>"$WORK/raw.txt" || true
	done
fi

# ---------------------------------------------------------------- table
{
	echo
	echo "| alg | server | method | connections | req/s | p50 µs | p99 µs | errors | server CPU µs/req | req per server CPU-s | load |"
	echo "|---|---|---|---|---:|---:|---:|---:|---:|---:|---:|"
	tail -n +2 "$tsv" | awk -F'\t' '{
		printf "| %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s |\n",
		    $1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11 }'
	echo
	echo "raw signing (bench_issue, tls-server TBS, per CPU-s):"
	sed 's/^/  /' "$WORK/raw.txt" 2>/dev/null || true
	echo "load at the end: $(cat /proc/loadavg)"
} | tee "$txt"
cat "$txt" >>"$log"
echo "ocsp_run: results in $tsv, $txt, raw wrk output in $log" >&2
