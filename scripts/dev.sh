#!/usr/bin/env bash
# The main job: install what is missing, build the node (the one build that
# scripts/test.sh uses too), start a development chain (one validator, Alice;
# blocks every 2 s, GRANDPA finality).
#
#   ./scripts/dev.sh                  # JSON-RPC on ws://127.0.0.1:9944
#   ./scripts/dev.sh --rpc-port 9955  # extra arguments go to ims-node
#
# The chain state lives in a temporary directory and is gone when the node
# stops; pass --base-path DIR to keep it.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/env.sh

./scripts/setup.sh
build_all
exec "$IMS_NODE" --dev "$@"
