#!/usr/bin/env bash
# REGISTER latency through real Kamailio (I-CSCF + S-CSCF from
# ims-bridge/tests/ims/): the bridge on `ims-node --dev` (journal
# with-answer and before-answer) against a static stand-in HSS, in rounds
# that rotate the order of the three. Prints one line per round and mode
# (latency, CPU of the node and of the HSS), the totals, and the ratios to
# the stand-in: overall and round by round with their median. Method:
# ims-bridge/README.md, "Benchmarks".
#
#   scripts/bench-register.sh            # 5 rounds x 600 registrations per mode
#   BENCH_ROUNDS=3 BENCH_REGISTRATIONS=300 scripts/bench-register.sh
#
# Needs what scripts/setup.sh installs (kamailio, kamailio-ims-modules).
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/env.sh
# The build of scripts/test.sh (the whole workspace's tests and binaries,
# ims-node included), so that nothing is compiled again after it with
# other features.
cargo test --locked --release --workspace --no-run
cargo test --locked --release --workspace --test kamailio -- \
	--ignored --nocapture --test-threads 1 register_latency_bridge_against_a_static_hss
