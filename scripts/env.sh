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

# Prints "<label>: <seconds>s" after running the command.
timed() {
	local label=$1 start end
	shift
	start=$(date +%s)
	"$@"
	local status=$?
	end=$(date +%s)
	echo "==> $label: $((end - start))s (exit $status)"
	return $status
}
