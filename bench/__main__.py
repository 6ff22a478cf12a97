"""``python -m bench [--quick] [--hot N]``: the hub's benchmark (docs/bench.md).

Exit status 0 when the bench ran (targets met or not: the report says), 1 when the bench itself
failed, 130 on Ctrl-C. Databases and the vhost are removed in every case.
"""

import warnings

warnings.filterwarnings("ignore", message=r"\s*Eventlet is deprecated")

import eventlet  # noqa: E402

eventlet.monkey_patch()

from bench import fast_headers  # noqa: E402

# The load generator shares the machine with the hub: its browsers read every login's responses
# with http.client; a faster header parser keeps its own CPU out of the hub's way (this process
# only: the hub's processes use the standard library's).
fast_headers.install()

import argparse  # noqa: E402
import os  # noqa: E402
import platform  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
import traceback  # noqa: E402
from dataclasses import asdict, dataclass  # noqa: E402
from pathlib import Path  # noqa: E402
from typing import Any  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


@dataclass
class Profile:
    citizens: int
    login_concurrency: int
    warmup_s: float
    sustained_s: float
    workers: int
    rate: float
    fixed_rate_s: float
    ceiling_s: float
    verify_iterations: int
    hot: int
    hot_window_s: float
    hot_max_s: float  # the hot petition stops there even if short of its signatures
    request_timeout_s: float  # a fixed-rate request not answered by then counts as failed
    drain_s: float  # how long to wait for the last counts and webhooks after the fixed rate
    max_rate_planned: float  # enough petitions for this many signatures/s in the closed loop
    hot_processes: int = 2
    # identity's and petitions' processes (IDENTITY_PROCESSES, PETITIONS_PROCESSES). Petitions:
    # one. On the 2-core bench machine a second one was slower (2026-12-02: 909-1,265 against
    # 1,380-1,439 signatures/s; 527 against 566 in a slow phase): each process's group commit
    # makes batches of half the size, each with its fixed cost (docs/capacity.md).
    processes: int = 1
    # Identity: one per core, as the README advises. Logins are one process's CPU at a time
    # (nothing batches them), and one process is a core at most: 142 and 108 logins/s with two
    # against 110 and 97 with one (2026-12-02), 72 against 62 in a slow phase (2026-12-02).
    identity_processes: int | None = 2
    hot_concurrency: int = 64  # signers per process; they share 2 connections (group commit)
    ceiling_connections: int = 8
    proof_rate: float = 200.0  # signatures/s while receipt proofs are polled
    proof_s: float = 10.0
    log_catch_up_s: float = 600.0  # how long the log may take to integrate the hot petition


FULL = Profile(3000, 32, 5, 60, 64, 500, 30, 5, 20_000, 1_000_000, 10, 1200, 30, 10, 3000)
# NOTE: the quick hot petition's windows are 0.5 s: its 20,000 signatures took 1.6 s on
# 2026-12-03, less than one 2 s window, and with no whole window "steady" could only say no.
QUICK = Profile(
    120, 16, 1, 4, 64, 500, 2, 1, 2_000, 20_000, 0.5, 5, 2, 1.5, 3000, proof_s=3, log_catch_up_s=60
)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="CI smoke run, under a minute")
    parser.add_argument("--hot", type=int, help="signatures on the hot petition")
    parser.add_argument("--hot-max-seconds", type=float, help="time cap of the hot petition")
    parser.add_argument("--citizens", type=int, help="citizens logged in through the real flow")
    parser.add_argument("--browsers", type=int, help="citizens logging in at the same time")
    parser.add_argument("--processes", type=int, help="processes of identity and of petitions")
    parser.add_argument("--identity-processes", type=int, help="processes of identity alone")
    parser.add_argument("--duration", type=float, help="seconds of the sustained closed loop")
    parser.add_argument("--rate", type=float, help="offered signatures/s of the latency phase")
    parser.add_argument("--workers", type=int, help="signers at once in the closed loop")
    parser.add_argument("--out", type=Path, default=ROOT / "var" / "bench" / "report.json")
    args = parser.parse_args(argv)
    profile = QUICK if args.quick else FULL
    for name, field in (
        ("hot", "hot"),
        ("citizens", "citizens"),
        ("browsers", "login_concurrency"),
        ("processes", "processes"),
        ("identity_processes", "identity_processes"),
        ("duration", "sustained_s"),
        ("rate", "rate"),
        ("workers", "workers"),
        ("hot_max_seconds", "hot_max_s"),
    ):
        if getattr(args, name) is not None:
            setattr(profile, field, getattr(args, name))
    from bench.run import Bench

    bench = Bench(profile, args.out.parent, quick=args.quick)
    started = time.monotonic()
    try:
        report: dict[str, Any] = bench.run()
    except KeyboardInterrupt:
        print("\nbench: interrupted; cleaning up", file=sys.stderr)
        bench.cleanup()
        return 130
    except Exception:  # noqa: BLE001 - the bench failed: say why, clean up, exit 1
        traceback.print_exc()
        print("\nbench: failed; last lines of the hub's log:\n" + bench.hub_log(), file=sys.stderr)
        bench.cleanup()
        return 1
    problems = bench.cleanup()
    report["cleanup_problems"] = problems
    report["mode"] = "quick" if args.quick else "full"
    report["profile"] = asdict(profile)
    report["elapsed_s"] = round(time.monotonic() - started, 1)
    report["machine"] = {
        "cpus": os.cpu_count(),
        "python": platform.python_version(),
        "platform": platform.platform(),
        **report.get("machine", {}),
    }
    from bench.report import table, write

    rows = write(report, args.out)
    print()
    print(table(rows, report))
    print(f"\nreport: {args.out}  ({report['elapsed_s']} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
