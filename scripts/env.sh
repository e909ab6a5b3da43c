# Sourced by the scripts in this folder and by .ci/run.
#
# One cargo target directory, outside the clone, shared by a developer's
# builds and by CI, so that CI after a session is incremental. Everything is
# built in the release profile only: the node, its tests and clippy share
# build scripts and proc-macros.
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/ims-ledger/target}"
export CARGO_TERM_COLOR="${CARGO_TERM_COLOR:-never}"
# Incremental compilation only costs disk and time for release builds of
# dependencies that never change; CI and the scripts do not use it.
export CARGO_INCREMENTAL=0
IMS_NODE="$CARGO_TARGET_DIR/release/ims-node"
export IMS_NODE
# The venv of the Python tools the tests run (scripts/setup.sh fills it).
export IMS_PY_VENV="${IMS_PY_VENV:-$HOME/.cache/ims-ledger/venv}"

# Runs the command, then prints "==> <label>: <seconds>s (exit <status>)"
# whether it passed or failed (under `set -e` too), and returns its status.
timed() {
	local label=$1 start status=0
	shift
	start=$(date +%s)
	"$@" || status=$?
	echo "==> $label: $(($(date +%s) - start))s (exit $status)"
	return "$status"
}

# The one release build of everything: the ims-node binary, the bridge and
# every test. `scripts/dev.sh` and `scripts/test.sh` both run it, so that
# whichever comes second finds everything built: a `cargo build -p
# ims-node` alone would unify other features of the client crates than the
# test build and compile them, and the node, a second time.
build_all() {
	timed "cargo build (release: node, bridge, tests)" \
		cargo test --locked --release --workspace --no-run
}
