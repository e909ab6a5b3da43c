#!/usr/bin/env bash
# A subscriber base of N on one machine: ims-node --dev (ParityDB, default
# pruning), N synthetic subscribers (scripts/gen-subscribers.py: one IMPI,
# a SIP and a TEL IMPU in one implicit set, SIP Digest) put through
# `ims-bridge import`, then a cold start of `ims-bridge run`. Prints:
#
# - import: subscribers per second end to end, into the vault (time spent
#   writing it) and into the chain's finalized state (first call sent to
#   last finalized), as `ims-bridge import` reports them;
# - the node's database on disk (allocated bytes, `du`) per subscriber
#   right after the import, and the vault file's;
# - the bridge's cold start: seconds from launch until its index holds
#   every identity (`ims_bridge_index_loads_total{reason="start"}`), and
#   its resident memory then;
# - its restart after SIGTERM: the size of the index snapshot it wrote,
#   and the same figures when it resumes from it
#   (`ims_bridge_index_loads_total{reason="snapshot"}`);
# - every subscriber registered (cx-bench --register: one SAR each), and
#   the seconds until the bridge's registration reports, then the audit
#   records of those SARs, are in the chain's finalized state;
# - Cx against that bridge (cx-bench --target): MAR+SAR throughput and
#   latency with the vault cache warm (50,000 subscribers asked for again
#   and again, inside the default cache of 100,000) and cold (any of the N),
#   then the same two at a fixed rate of BENCH_CX_RATE requests a second
#   (5,000 by default; cx-bench --rate, open loop: sent on time whatever
#   the answers do), then the same two with the node paused (SIGSTOP:
#   the bridge alone),
#   then while 30,000 more subscribers are imported through the bridge;
#   each run with the node starts once the records of the one before are
#   on chain;
# - the CPU seconds the node and `ims-bridge import` spent on the import;
# - with BENCH_PRUNED=1, the node's database 260 blocks later, when the
#   import's old state has left the pruning window: live values and files
#   per column (`node/examples/db_usage.rs`).
#
# - how the node built the import's blocks: those carrying imports, the
#   median and p90 of the time to build one (its "Prepared block" lines),
#   and the proposals Aura discarded as built too late for their slot;
#
# BENCH_TRIE_CACHE sets the node's `--trie-cache-size` (bytes); unset, the
# node's default: no cache (docs/benchmarks.md).
#
# Method and figures: docs/benchmarks.md ("Scale"), latest in the README.
#
#   scripts/bench-scale.sh 10000
#   BENCH_KEEP=1 scripts/bench-scale.sh 100000   # keep the work directory
#   BENCH_PRUNED=1 scripts/bench-scale.sh 1000000
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/env.sh

count=${1:?usage: scripts/bench-scale.sh N}
build_all >/dev/null 2>&1
bridge="$CARGO_TARGET_DIR/release/ims-bridge"
work=$(mktemp -d /tmp/bench-scale.XXXXXX)
node_pid=""
bridge_pid=""
cleanup() {
	[ -n "$bridge_pid" ] && kill "$bridge_pid" 2>/dev/null || true
	# A node paused by the runs of the bridge alone must go on to stop.
	[ -n "$node_pid" ] && kill -CONT "$node_pid" 2>/dev/null || true
	[ -n "$node_pid" ] && kill "$node_pid" 2>/dev/null || true
	wait 2>/dev/null || true
	if [ -z "${BENCH_KEEP:-}" ]; then rm -rf "$work"; else echo "kept: $work"; fi
}
trap cleanup EXIT

# Fetches a URL (python3: curl is not on every machine), empty on failure.
fetch() {
	python3 - "$@" <<'PY' 2>/dev/null || true
import sys, urllib.request
data = sys.argv[2].encode() if len(sys.argv) > 2 else None
request = urllib.request.Request(sys.argv[1], data, {"Content-Type": "application/json"})
print(urllib.request.urlopen(request, timeout=5).read().decode())
PY
}

free_port() {
	python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}
rpc=$(free_port)
diameter=$(free_port)
metrics=$(free_port)

# A metric of the running bridge (the sum of its series), empty if none.
metric() {
	fetch "http://127.0.0.1:$metrics/metrics" |
		awk -v m="$1" '$1 == m || index($1, m "{") == 1 {s += $2; n++} END {if (n) print s}'
}

# The node's trie cache: BENCH_TRIE_CACHE bytes, or the node's default
# (none).
trie_cache=()
[ -n "${BENCH_TRIE_CACHE:-}" ] && trie_cache=(--trie-cache-size "$BENCH_TRIE_CACHE")
"$IMS_NODE" --dev --database paritydb --base-path "$work/node" --rpc-port "$rpc" \
	"${trie_cache[@]}" --no-prometheus --no-telemetry >"$work/node.log" 2>&1 &
node_pid=$!
for _ in $(seq 120); do
	fetch "http://127.0.0.1:$rpc" '{"jsonrpc":"2.0","id":1,"method":"system_health"}' |
		grep -q result && break
	sleep 1
done

printf '5a%.0s' $(seq 32) >"$work/vault.key"
echo "//Alice" >"$work/signer"
chmod 600 "$work/vault.key" "$work/signer"
cat >"$work/bridge.toml" <<EOF
[diameter]
listen = "127.0.0.1:$diameter"
origin_host = "hss.ims.example.net"
origin_realm = "ims.example.net"
# One benchmark client asks for everything; the per-peer rate limit (50,000
# a second by default, answered 3004 above it) would cap what is measured.
requests_per_second = 10000000
burst = 10000000

[[diameter.peers]]
origin_host = "scscf.ims.example.net"
addresses = ["127.0.0.1"]
role = "s-cscf"
server_name = "sip:127.0.0.1:6060"

[cx]
scscf_name = "sip:127.0.0.1:6060"
# The Cx runs ask each subscriber for AKA vectors hundreds of times a
# minute, far beyond what a USIM's SQN window allows and what the default
# budget (32 at once, 6 a minute: docs/diameter-peers.md) gives; the bench
# measures answering them, so its budget is out of reach.
aka_vector_burst = 100000000
aka_vectors_per_minute = 100000000

[chain]
url = "ws://127.0.0.1:$rpc"
signer_file = "signer"

[vault]
path = "vault.redb"
key_file = "vault.key"

[journal]
path = "journal.redb"

[metrics]
listen = "127.0.0.1:$metrics"
EOF

python3 scripts/gen-subscribers.py "$count" >"$work/subscribers.ndjson"
# CPU seconds (user + system) a process has used so far.
cpu_seconds() {
	awk -v hz="$(getconf CLK_TCK)" '{ printf "%.1f", ($14 + $15) / hz }' "/proc/$1/stat"
}

# How the node built blocks from line $1 of its log on: those carrying
# more than the timestamp, their build times, and proposals discarded.
block_stats() {
	local lines times discarded
	lines=$(tail -n "+$1" "$work/node.log")
	times=$(grep "Prepared block for proposing" <<<"$lines" | grep -v "extrinsics_count: 1 *$" |
		sed -n 's/.*(\([0-9]*\) ms).*/\1/p' | sort -n || true)
	discarded=$(grep -c "Discarding proposal" <<<"$lines" || true)
	if [ -z "$times" ]; then
		echo "   no block carried transactions"
		return
	fi
	awk -v d="$discarded" '{ t[NR] = $1 } END {
		p90 = int(NR * 0.9); if (p90 < 1) p90 = 1
		printf "   blocks built with transactions: %d, median %d ms, p90 %d ms; proposals discarded as too late: %d\n",
			NR, t[int((NR + 1) / 2)], t[p90], d
	}' <<<"$times"
}

echo "== import of $count subscribers (ims-bridge import)"
log_from=$(($(wc -l <"$work/node.log") + 1))
node_cpu=$(cpu_seconds "$node_pid")
# The import's lines go to fd 3 (this script's output), `time`'s to awk.
exec 3>&1
TIMEFORMAT="%U %S"
import_cpu=$({ time "$bridge" import --config "$work/bridge.toml" "$work/subscribers.ndjson" \
	2>"$work/import.log" | sed 's/^/   /' >&3; } 2>&1 | awk '{ print $1 + $2 }')
node_cpu=$(python3 -c "print(round($(cpu_seconds "$node_pid") - $node_cpu, 1))")
block_stats "$log_from"
echo "   CPU: node $node_cpu s ($(python3 -c "print(round($node_cpu * 1e6 / $count))") µs a subscriber), ims-bridge import $import_cpu s"

node_bytes=$(du -s --block-size=1 "$work/node" | cut -f1)
vault_bytes=$(du -s --block-size=1 "$work/vault.redb" | cut -f1)
keyring_bytes=$(du -s --block-size=1 "$work/vault.keys" | cut -f1)
echo "== on disk"
echo "   node database: $((node_bytes / 1048576)) MiB, $((node_bytes / count)) bytes per subscriber"
echo "   vault: $((vault_bytes / 1048576)) MiB, $((vault_bytes / count)) bytes per subscriber"
echo "   vault keyring: $((keyring_bytes / 1048576)) MiB, $((keyring_bytes / count)) bytes per subscriber"

# Starts the bridge and waits until its index is loaded for `reason`
# ("start": read from the node; "snapshot": resumed from its snapshot);
# prints the seconds that took, the identities and resident memory then.
start_bridge() {
	local reason=$1 started loaded="" rss_kib identities=""
	started=$(date +%s.%N)
	RUST_LOG=info "$bridge" run --config "$work/bridge.toml" >>"$work/bridge.log" 2>&1 &
	bridge_pid=$!
	for _ in $(seq 3000); do
		if fetch "http://127.0.0.1:$metrics/metrics" |
			grep -q "^ims_bridge_index_loads_total{reason=\"$reason\"} 1"; then
			loaded=$(date +%s.%N)
			break
		fi
		sleep 0.2
	done
	if [ -z "$loaded" ]; then
		echo "   the bridge did not load its index ($reason); its log:" >&2
		tail -20 "$work/bridge.log" >&2
		exit 1
	fi
	rss_kib=$(awk '/^VmRSS/ {print $2}' "/proc/$bridge_pid/status")
	for _ in $(seq 20); do
		identities=$(metric ims_bridge_index_identities)
		[ -n "$identities" ] && break
		sleep 0.5
	done
	took=$(python3 -c "print(round($loaded - $started, 1))")
	echo "   index of $identities identities loaded in $took s; resident $((rss_kib / 1024)) MiB"
}

# Stops the bridge with SIGTERM (it writes its index snapshot) and waits.
stop_bridge() {
	kill "$bridge_pid"
	wait "$bridge_pid" 2>/dev/null || true
	bridge_pid=""
}

echo "== bridge cold start (the whole model read from the node)"
start_bridge start
stop_bridge
snapshot_bytes=$(stat -c %s "$work/index.snapshot")
echo "   index snapshot written at shutdown: $((snapshot_bytes / 1048576)) MiB, $((snapshot_bytes / count)) bytes per subscriber"
echo "== bridge restart (resumed from its snapshot)"
start_bridge snapshot
# Waits until the bridge's gauge $1 reads zero, at most $2 seconds. The
# queues' gauges are set at each finalized block: a zero counts once two
# more blocks have been finalized since the call.
wait_zero() {
	local since deadline=$((SECONDS + $2))
	since=$(metric ims_bridge_chain_finalized_block)
	while [ "$SECONDS" -lt "$deadline" ]; do
		if [ "$(metric ims_bridge_chain_finalized_block)" -ge $((since + 2)) ] &&
			[ "$(metric "$1")" = 0 ]; then
			return 0
		fi
		sleep 0.5
	done
	echo "   $1 still $(metric "$1") after $2 s" >&2
	return 1
}

# Every Cx run below starts with the bridge's queues empty, so that none
# runs while the node still works through the records of the one before.
drain() {
	wait_zero ims_bridge_registration_queue_depth 1800
	wait_zero ims_bridge_audit_queue_depth 1800
}

# Every subscriber registered, as when a network comes back after an
# outage: one SAR (REGISTRATION) each from cx-bench, then the seconds until
# the bridge's registration reports and the audit records of the SARs are
# all in finalized state. The Cx figures below are then of the steady
# state of an HSS, every subscriber registered, at any N alike: a
# re-registration changes nothing the chain must learn.
echo "== every subscriber registered (one SAR each), reported to the chain"
registering=$(date +%s.%N)
"$CARGO_TARGET_DIR/release/cx-bench" --target "127.0.0.1:$diameter" \
	--origin-host scscf.ims.example.net --scscf "sip:127.0.0.1:6060" \
	--connections 2 --window 16 --register --subscribers "$count" | sed 's/^cx-bench: /   /'
wait_zero ims_bridge_registration_queue_depth $((count / 500 + 600))
reported=$(date +%s.%N)
wait_zero ims_bridge_audit_queue_depth 1800
drained=$(date +%s.%N)
python3 - "$count" "$registering" "$reported" "$drained" <<'PY'
import sys
n, start, reported, drained = int(sys.argv[1]), *map(float, sys.argv[2:])
print(f"   registration reports in finalized state after {reported - start:.1f} s: "
      f"{n / (reported - start):.0f}/s; their audit records after {drained - start:.1f} s")
PY

# Cx against the running bridge: cx-bench's clients as the S-CSCF peer, 2
# connections x 2 requests in flight, MAR (SIP Digest) and SAR
# (re-registration) alternating, each to a random subscriber.
cx() {
	"$CARGO_TARGET_DIR/release/cx-bench" --target "127.0.0.1:$diameter" \
		--origin-host scscf.ims.example.net --scscf "sip:127.0.0.1:6060" \
		--connections 2 --window 2 "$@" | sed 's/^cx-bench: /   /'
}
warm=$((count < 50000 ? count : 50000))
rate=${BENCH_CX_RATE:-5000}
echo "== Cx, vault cache warm: $warm subscribers, measured after 20 s asking for them"
drain
cx --subscribers "$warm" --warmup-seconds 20 --seconds 10
echo "== Cx, vault cache cold: random among all $count subscribers"
drain
cx --subscribers "$count" --seconds 10
echo "   bridge resident after both (index and a full vault cache): $(($(awk '/^VmRSS/ {print $2}' "/proc/$bridge_pid/status") / 1024)) MiB"
# The same two at a fixed rate (open loop): the latency a CSCF sees at a
# busy hour's load rather than at the bridge's limit, with every request
# a stall delays counted.
echo "== Cx at $rate requests/s (open loop), vault cache warm, then cold"
drain
cx --subscribers "$warm" --warmup-seconds 5 --seconds 20 --rate "$rate"
drain
cx --subscribers "$count" --warmup-seconds 1 --seconds 20 --rate "$rate"
# The same two runs with the node paused (SIGSTOP): the bridge alone on
# the two cores with the load generator, answering from its index and
# vault and journaling its records for when the node is back. What the
# node's block production costs the bridge's latency at N is the
# difference from the runs above.
echo "== Cx of the bridge alone (node paused), vault cache warm, then cold"
kill -STOP "$node_pid"
cx --subscribers "$warm" --warmup-seconds 5 --seconds 10
cx --subscribers "$count" --seconds 10
kill -CONT "$node_pid"
extra=30000
echo "== Cx while $extra more subscribers are imported through the bridge"
python3 scripts/gen-subscribers.py "$extra" --start "$count" >"$work/more.ndjson"
drain
"$bridge" import --config "$work/bridge.toml" "$work/more.ndjson" >"$work/more.out" 2>&1 &
import_pid=$!
# Its first blocks: the chain's weights asked, the lines checked.
sleep 10
cx --subscribers "$count" --seconds 20 --warmup-seconds 0
wait "$import_pid" || true
sed -n 's/^\([0-9.]* s: .*\)/   the import: \1/p' "$work/more.out"

# With BENCH_PRUNED=1: the node's database once the state of the import
# has left the pruning window (256 blocks, the default an operator runs),
# live values against files, by `node/examples/db_usage.rs`.
if [ -n "${BENCH_PRUNED:-}" ]; then
	stop_bridge
	finalized() {
		fetch "http://127.0.0.1:$rpc" \
			'{"jsonrpc":"2.0","id":1,"method":"chain_getFinalizedHead"}' |
			python3 -c 'import json,sys; print(json.load(sys.stdin)["result"])' 2>/dev/null
	}
	number() {
		fetch "http://127.0.0.1:$rpc" \
			"{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"chain_getHeader\",\"params\":[\"$1\"]}" |
			python3 -c 'import json,sys; print(int(json.load(sys.stdin)["result"]["number"], 16))'
	}
	until_block=$(($(number "$(finalized)") + 260))
	echo "== node database after the pruning window (finalized block $until_block)"
	for _ in $(seq 900); do
		[ "$(number "$(finalized)")" -ge "$until_block" ] && break
		sleep 2
	done
	kill "$node_pid"
	wait "$node_pid" 2>/dev/null || true
	node_pid=""
	total=$((count + extra))
	"$CARGO_TARGET_DIR/release/examples/db_usage" "$work/node/chains/ims_dev/paritydb/full" "$total" |
		sed 's/^/   /'
fi

echo "== machine: $(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo), $(date -u +%F)"
