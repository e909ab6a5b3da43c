#!/usr/bin/env bash
# REGISTER latency through real Kamailio (I-CSCF + S-CSCF from
# ims-bridge/tests/ims/): the bridge on `ims-node --dev` (journal
# before-answer, then with-answer) against a static stand-in HSS, in
# alternating rounds. Prints one line per round and mode, the totals and
# the ratios. Method: ims-bridge/README.md, "Benchmarks".
#
#   scripts/bench-register.sh            # 3 rounds x 300 registrations per mode
#   BENCH_ROUNDS=5 BENCH_REGISTRATIONS=500 scripts/bench-register.sh
#
# Needs what scripts/setup.sh installs (kamailio, kamailio-ims-modules).
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/env.sh
cargo build --locked --release -p ims-node
cargo test --locked --release -p ims-bridge --test kamailio -- \
	--ignored --nocapture --test-threads 1 register_latency_bridge_against_a_static_hss
