#!/usr/bin/env python3
"""Writes N synthetic subscribers as an `ims-bridge import` file (format
`ims-subscribers` version 1, docs/import.md) to stdout.

Subscriber i has the IMPI user<i>@REALM, the IMPUs sip:user<i>@REALM and
tel:+1555<i>, SIP Digest with the password pw<i> and, with --aka, AKA
keys derived from i. For benchmarks and tests only: the secrets are
predictable.

    scripts/gen-subscribers.py 100000 > /tmp/subscribers.ndjson
"""

import argparse
import json
import sys


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("count", type=int)
    parser.add_argument("--realm", default="ims.example.net")
    parser.add_argument("--start", type=int, default=0, help="first index")
    parser.add_argument("--aka", action="store_true", help="AKA keys too")
    args = parser.parse_args()
    out = sys.stdout
    out.write(json.dumps({"format": "ims-subscribers", "version": 1}) + "\n")
    for i in range(args.start, args.start + args.count):
        impi = {"identity": f"user{i}@{args.realm}", "password": f"pw{i}"}
        if args.aka:
            impi["schemes"] = ["sip-digest", "aka1"]
            impi["aka"] = {"k": f"{i:032x}", "opc": f"{i * 7 + 1:032x}"}
        line = {
            "realm": args.realm,
            "subscription": f"sub{i}",
            "impis": [impi],
            "impus": [
                {"identity": f"sip:user{i}@{args.realm}"},
                {"identity": f"tel:+1555{i:07d}"},
            ],
        }
        out.write(json.dumps(line, separators=(",", ":")) + "\n")


if __name__ == "__main__":
    main()
