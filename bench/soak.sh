#!/usr/bin/env bash
# Soak test of the stateful proxy: N calls (default 50,000, 200 ms hold time) at a bounded rate through
# etc/residential.cfg, SIPp on both sides, 0 failed calls required; RSS sampled after the
# warm-up and at the end (flat memory = end within 10% of warm-up).
#
#   bench/soak.sh [calls] [rate]
#
# Loopback only. Prints one summary line and exits non-zero on failed calls or memory growth.
set -euo pipefail
cd "$(dirname "$0")/.."
calls=${1:-50000}
rate=${2:-500}
proxy_port=5360
uas_port=5361
uac_port=5362
work=$(mktemp -d /tmp/siplua-soak.XXXXXX)

cargo build --release --bin siplua >/dev/null 2>&1
sed "s/socket = udp:127.0.0.1:5060/socket = udp:127.0.0.1:${proxy_port}/; s/^log_level = 3/log_level = 1/; s/^xlog_level = 3/xlog_level = 1/" \
  etc/residential.cfg > "$work/soak.cfg"

target/release/siplua -f "$work/soak.cfg" 2>"$work/siplua.log" &
proxy=$!
uas=""
cleanup() {
  kill "$proxy" 2>/dev/null || true
  [ -n "$uas" ] && kill "$uas" 2>/dev/null || true
  wait 2>/dev/null || true
}
trap cleanup EXIT
sleep 0.5

# bob registers with a contact at the SIPp callee's port.
python3 - "$proxy_port" "$uas_port" <<'PY'
import socket, sys
proxy, contact = int(sys.argv[1]), int(sys.argv[2])
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("127.0.0.1", 0)); s.settimeout(3)
port = s.getsockname()[1]
msg = (f"REGISTER sip:127.0.0.1:{proxy} SIP/2.0\r\n"
       f"Via: SIP/2.0/UDP 127.0.0.1:{port};branch=z9hG4bKsoakreg;rport\r\n"
       "From: <sip:bob@127.0.0.1>;tag=soak\r\nTo: <sip:bob@127.0.0.1>\r\n"
       "Call-ID: soak-register\r\nCSeq: 1 REGISTER\r\n"
       f"Contact: <sip:bob@127.0.0.1:{contact}>\r\nExpires: 3600\r\nContent-Length: 0\r\n\r\n")
s.sendto(msg.encode(), ("127.0.0.1", proxy))
reply = s.recv(4096).decode()
assert reply.startswith("SIP/2.0 200"), reply
PY

sipp -sf tests/scenarios/call_uas.xml -i 127.0.0.1 -p "$uas_port" -m "$calls" -timeout 3600 -trace_err -error_file "$work/uas_errors.log" \
  >/dev/null 2>&1 </dev/null &
uas=$!
sleep 0.3

rss() { awk '/^VmRSS/ {print $2}' "/proc/$proxy/status"; }
warmup=$(( calls / rate * 2 / 5 ))
[ "$warmup" -lt 15 ] && warmup=15
( sleep "$warmup"; rss > "$work/rss_warm" ) &
sampler=$!

start=$(date +%s)
set +e
sipp -sf tests/scenarios/call_uac.xml 127.0.0.1:${proxy_port} -i 127.0.0.1 -p "$uac_port" -s bob -d 200 \
  -m "$calls" -r "$rate" -timeout 3600 -trace_stat -stf "$work/uac_stat.csv" -trace_err -error_file "$work/uac_errors.log" >/dev/null 2>&1 </dev/null
uac_rc=$?
set -e
end=$(date +%s)
wait "$sampler" 2>/dev/null || true
rss_end=$(rss)
rss_warm=$(cat "$work/rss_warm" 2>/dev/null || echo "$rss_end")
failed=$(tail -1 "$work/uac_stat.csv" | awk -F';' '{print $18}')
ok=$(tail -1 "$work/uac_stat.csv" | awk -F';' '{print $16}')
growth=$(awk -v a="$rss_warm" -v b="$rss_end" 'BEGIN { printf "%.1f", (b - a) * 100.0 / a }')
echo "work dir: $work"
echo "soak: calls=$calls rate=$rate/s elapsed=$((end - start))s successful=$ok failed=$failed sipp_rc=$uac_rc rss_warmup_kb=$rss_warm rss_end_kb=$rss_end growth=${growth}%"
[ "$uac_rc" -eq 0 ] && [ "${failed:-1}" -eq 0 ] && awk -v g="$growth" 'BEGIN { exit !(g < 10.0) }'
