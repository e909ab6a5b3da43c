#!/usr/bin/env bash
# Every benchmark of the project, by name. Each prints its figures; none
# runs in CI. What each measures, its method and its history of figures:
# docs/benchmarks.md.
#
#   scripts/bench.sh cx [cx-bench flags]     # Cx answers/s and latency of the bridge (no chain)
#   scripts/bench.sh register                # REGISTER through Kamailio: bridge against a static HSS
#   scripts/bench.sh drain                   # the submitter emptying a full journal into a node
#   scripts/bench.sh registrations           # registration reports/s into finalized state
#   scripts/bench.sh api                     # provisioning API creates/s, as many clients at once
#   scripts/bench.sh scale N                 # N subscribers: import, disk, bridge start
#   scripts/bench.sh fhoss [N]               # N FHoSS subscribers imported from MariaDB
#   scripts/bench.sh audit-flood [flags]     # audit records/s a node finalizes
#   scripts/bench.sh chain-timing [flags]    # block time and time to finality of --dev
#   scripts/bench.sh pallets [pallet...]     # regenerate the pallets' weights.rs
#
# Environment, where a benchmark reads it: BENCH_PAIRS, BENCH_BLOCK,
# BENCH_MODES, BENCH_FLUSH_MS (register), BENCH_RECORDS (drain),
# BENCH_REPORTS, BENCH_IDENTITIES, BENCH_TRIE_CACHE (registrations),
# BENCH_API_SUBSCRIBERS, BENCH_API_CLIENTS (api).
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/env.sh

name=${1:-}
if [ -z "$name" ]; then
	sed -n '2,20p' "$0" | sed 's/^# \{0,1\}//'
	exit 2
fi
shift

# The benchmarks that start processes use the one build of dev.sh and
# test.sh, so that nothing is compiled again with other features.
kamailio_test() {
	./scripts/setup.sh
	build_all
	cargo test --locked --release --workspace --test "$1" -- \
		--ignored --nocapture --test-threads 1 "$2"
}

case "$name" in
cx)
	cargo run --locked --release -p ims-bridge --bin cx-bench -- "$@"
	;;
register)
	kamailio_test end_to_end register_latency_bridge_against_a_static_hss
	;;
drain)
	kamailio_test end_to_end audit_drain_rate
	;;
registrations)
	kamailio_test end_to_end registration_drain_rate
	;;
api)
	kamailio_test end_to_end api_create_rate
	;;
audit-flood)
	build_all
	cargo run --locked --release -p ims-node --example audit_flood -- --node "$IMS_NODE" "$@"
	;;
chain-timing)
	build_all
	python3 benches/dev_chain_timing.py --node "$IMS_NODE" "$@"
	;;
scale)
	exec ./scripts/bench-scale.sh "$@"
	;;
fhoss)
	BENCH_FHOSS_SUBSCRIBERS=${1:-100000} kamailio_test end_to_end bench_fhoss_import
	;;
pallets)
	exec ./scripts/benchmark-pallets.sh "$@"
	;;
*)
	echo "unknown benchmark: $name (scripts/bench.sh lists them)" >&2
	exit 2
	;;
esac
