"""Gate driver for tools/traffic/measure.ts: one explicit decision with the agent's own traffic.py.

usage: gate.py <manifest.json> <gates dir> <blue percent> <green percent> [<lanes blue publishes>]
Prints the wall-clock time (ms since the epoch) of the decision's rename, then waits until Caddy
has seen it (Traffic.wait_seen) and prints the time again.
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "components" / "deploy" / "agent"))

from liftoff_release.traffic import StdlibHttp, SystemClock, Traffic, parse_traffic, with_published  # noqa: E402


def main() -> int:
    manifest_path, gates, blue, green = sys.argv[1:5]
    spec, problems = parse_traffic(json.loads(Path(manifest_path).read_text()))
    if spec is None:
        print("\n".join(problems), file=sys.stderr)
        return 3
    if len(sys.argv) > 5:
        spec = with_published(spec, "blue", int(sys.argv[5]))
    t = Traffic(Path(gates), "127.0.0.1:2019", StdlibHttp(), SystemClock())
    t.send(spec, {"blue": int(blue), "green": int(green)})
    print(f"{time.time() * 1000:.1f}", flush=True)
    t.wait_seen(spec)
    print(f"{time.time() * 1000:.1f}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
