#!/usr/bin/env bash
# Regenerates `weights.rs` of this workspace's pallets: builds the node with
# the `runtime-benchmarks` feature and runs `ims-node benchmark pallet` on
# the development chain's runtime, with the template
# `.maintain/pallet-weights.hbs`.
#
#   scripts/benchmark-pallets.sh            # every pallet
#   scripts/benchmark-pallets.sh identity   # only pallets/identity
#
# STEPS and REPEAT override the sampling (defaults 50 and 20). Run it on the
# reference machine named in README.md, with nothing else running.
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=scripts/env.sh
source scripts/env.sh
scripts/setup.sh

pallets=("$@")
if ((${#pallets[@]} == 0)); then pallets=(identity access audit authority); fi

# The benchmarking CLI carries a test runtime of its own (for `benchmark
# storage --enable-pov-recorder`) whose Wasm build cannot find its package
# under this workspace's WASM_BUILD_WORKSPACE_HINT; `benchmark pallet` does
# not use it, so its Wasm is not built.
export SKIP_FRAME_STORAGE_ACCESS_TEST_RUNTIME_WASM_BUILD=1
timed "build ims-node (runtime-benchmarks)" \
	cargo build --locked --release -p ims-node --features runtime-benchmarks

for pallet in "${pallets[@]}"; do
	timed "benchmark pallet_ims_$pallet" "$IMS_NODE" benchmark pallet \
		--chain dev \
		--pallet "pallet_ims_$pallet" \
		--extrinsic '*' \
		--steps "${STEPS:-50}" \
		--repeat "${REPEAT:-20}" \
		--wasm-execution compiled \
		--template .maintain/pallet-weights.hbs \
		--output "pallets/$pallet/src/weights.rs"
done
