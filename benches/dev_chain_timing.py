#!/usr/bin/env python3
"""Block time and time to finality of a development chain.

Method: start `ims-node --dev` (temporary base path, loopback ports), poll
`chain_getHeader` and `chain_getFinalizedHead` over JSON-RPC every 50 ms for
the measurement window, and note the wall-clock time at which each block
number is first seen as best and as finalized. Block time is the mean and
p50/p99 of the intervals between consecutive new best blocks; time to
finality is, per block, the delay from first seen as best to first seen as
finalized (GRANDPA finalizes in rounds, so several blocks share a round).
The first 5 blocks are skipped as warm-up.

Usage: benches/dev_chain_timing.py [--seconds 60] [--node PATH]
"""

import argparse
import json
import os
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def rpc(port, method, params=None):
    body = json.dumps({"jsonrpc": "2.0", "id": 1, "method": method, "params": params or []})
    req = urllib.request.Request(
        f"http://127.0.0.1:{port}", body.encode(), {"Content-Type": "application/json"}
    )
    with urllib.request.urlopen(req, timeout=5) as resp:
        answer = json.load(resp)
    if "result" not in answer:
        raise RuntimeError(f"{method}: {answer}")
    return answer["result"]


def percentile(values, p):
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(p / 100 * (len(ordered) - 1))))
    return ordered[index]


def main():
    default_node = os.path.join(
        os.environ.get("CARGO_TARGET_DIR", os.path.expanduser("~/.cache/ims-ledger/target")),
        "release",
        "ims-node",
    )
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--node", default=default_node)
    args = parser.parse_args()

    rpc_port = free_port()
    with tempfile.TemporaryDirectory() as base:
        node = subprocess.Popen(
            [
                args.node, "--dev", "--base-path", base,
                "--rpc-port", str(rpc_port), "--prometheus-port", str(free_port()),
                "--listen-addr", f"/ip4/127.0.0.1/tcp/{free_port()}",
                "--no-telemetry", "--no-mdns",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            deadline = time.monotonic() + 60
            while True:
                try:
                    rpc(rpc_port, "system_health")
                    break
                except OSError:
                    if time.monotonic() > deadline or node.poll() is not None:
                        sys.exit("ims-node did not start")
                    time.sleep(0.2)

            best_seen, final_seen = {}, {}
            end = time.monotonic() + args.seconds
            while time.monotonic() < end:
                now = time.monotonic()
                best = int(rpc(rpc_port, "chain_getHeader")["number"], 16)
                head = rpc(rpc_port, "chain_getFinalizedHead")
                final = int(rpc(rpc_port, "chain_getHeader", [head])["number"], 16)
                for n in range(1, best + 1):
                    best_seen.setdefault(n, now)
                for n in range(1, final + 1):
                    final_seen.setdefault(n, now)
                time.sleep(0.05)
        finally:
            node.send_signal(signal.SIGTERM)
            node.wait(timeout=30)

    warm = 5
    numbers = sorted(n for n in best_seen if n > warm)
    intervals = [best_seen[n] - best_seen[n - 1] for n in numbers if n - 1 in best_seen and n - 1 > warm]
    finality = [final_seen[n] - best_seen[n] for n in numbers if n in final_seen]
    if len(intervals) < 5 or len(finality) < 5:
        sys.exit(f"too few blocks: {len(intervals)} intervals, {len(finality)} finalized")
    print(f"window: {args.seconds:.0f} s, blocks seen: {max(best_seen)}, finalized: {max(final_seen)}")
    print(
        f"block time: mean {statistics.mean(intervals):.2f} s, "
        f"p50 {percentile(intervals, 50):.2f} s, p99 {percentile(intervals, 99):.2f} s"
    )
    print(
        f"time to finality: mean {statistics.mean(finality):.2f} s, "
        f"p50 {percentile(finality, 50):.2f} s, p99 {percentile(finality, 99):.2f} s, "
        f"max {max(finality):.2f} s"
    )


if __name__ == "__main__":
    main()
