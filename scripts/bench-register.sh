#!/usr/bin/env bash
# REGISTER latency through real Kamailio (I-CSCF + S-CSCF from
# ims-bridge/tests/ims/): the bridge on `ims-node --dev` (journal
# with-answer, then before-answer) and a static stand-in HSS run at the
# same time, each behind a Kamailio pair of its own, and one UA sends its
# registrations to the two in alternating blocks (ABBA), so that both meet
# the machine in the same state. Prints per mode both sides' latencies,
# the ratio of the means, the median and quartiles of the block pairs'
# ratios, and the CPU each process took per registration. Method:
# ims-bridge/README.md, "Benchmarks".
#
#   scripts/bench-register.sh            # 60 pairs of blocks of 50 per mode
#   BENCH_MODES=with-answer BENCH_PAIRS=200 BENCH_BLOCK=25 scripts/bench-register.sh
#   BENCH_MODES=with-answer BENCH_FLUSH_MS=100 scripts/bench-register.sh   # journal flush interval
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
