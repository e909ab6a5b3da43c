#!/usr/bin/env bash
# Installs what a fresh Debian machine with only the Rust toolchain, gcc,
# python3 and node lacks: the protobuf compiler (for the networking crates),
# Kamailio with its IMS modules, SIPp, stunnel and MariaDB (for the
# bridge's end-to-end tests), g++ (libFuzzer), the Wasm target of the runtime, and
# PyPI's openapi-spec-validator and schemathesis in a venv (for the
# provisioning API's tests). Safe to run again: it installs only what is
# missing.
set -euo pipefail

# Whether a Kamailio module is installed, wherever the machine's
# architecture puts modules (/usr/lib/<multiarch triple>/kamailio/modules).
has_kamailio_module() {
	compgen -G "/usr/lib/*/kamailio/modules/$1" >/dev/null ||
		[ -e "/usr/lib/kamailio/modules/$1" ]
}

need_apt=()
command -v protoc >/dev/null 2>&1 || need_apt+=(protobuf-compiler)
command -v kamailio >/dev/null 2>&1 || need_apt+=(kamailio)
has_kamailio_module ims_icscf.so || need_apt+=(kamailio-ims-modules)
has_kamailio_module presence.so || need_apt+=(kamailio-presence-modules)
command -v sipp >/dev/null 2>&1 || need_apt+=(sip-tester)
command -v stunnel4 >/dev/null 2>&1 || need_apt+=(stunnel4)
# The FHoSS importer's tests read a database from a MariaDB server they
# start themselves.
[ -x /usr/sbin/mariadbd ] || command -v mariadbd >/dev/null 2>&1 || need_apt+=(mariadb-server)
# libFuzzer, which the bridge's fuzz targets link, is C++.
command -v g++ >/dev/null 2>&1 || need_apt+=(g++)
# Debian's python3 makes venvs only with python3-venv.
python3 -c 'import ensurepip' >/dev/null 2>&1 || need_apt+=(python3-venv)

if ((${#need_apt[@]})); then
	echo "==> installing Debian packages: ${need_apt[*]}"
	SUDO=""
	if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
	# The tests start Kamailio themselves: no package may start a service
	# while it is installed. A policy-rc.d put here only for that is
	# removed again once the packages are in, so that services installed
	# later on this machine start as usual.
	own_policy=""
	if [ ! -e /usr/sbin/policy-rc.d ]; then
		printf '#!/bin/sh\nexit 101\n' | $SUDO tee /usr/sbin/policy-rc.d >/dev/null
		$SUDO chmod +x /usr/sbin/policy-rc.d
		own_policy=1
	fi
	$SUDO apt-get update -qq
	installed=0
	DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends \
		"${need_apt[@]}" || installed=$?
	if [ -n "$own_policy" ]; then
		$SUDO rm -f /usr/sbin/policy-rc.d
	fi
	if [ "$installed" -ne 0 ]; then
		echo "==> apt-get install failed (exit $installed)" >&2
		exit "$installed"
	fi
fi

if ! rustup target list --installed | grep -qx wasm32v1-none; then
	echo "==> adding the rustup target wasm32v1-none (the runtime's Wasm build)"
	rustup target add wasm32v1-none
fi

# The provisioning API's tests run these (ims-bridge/tests/end_to_end/api.rs),
# at the versions scripts/python-requirements.txt pins, from a venv of their
# own (IMS_PY_VENV, set by scripts/env.sh).
venv="${IMS_PY_VENV:-$HOME/.cache/ims-ledger/venv}"
requirements="$(dirname "$0")/python-requirements.txt"
if ! cmp -s "$requirements" "$venv/requirements.txt"; then
	echo "==> installing the Python test tools into $venv"
	python3 -m venv "$venv"
	"$venv/bin/pip" install --quiet --disable-pip-version-check -r "$requirements"
	cp "$requirements" "$venv/requirements.txt"
fi
