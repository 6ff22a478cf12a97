"""``python -m faults [--short] [--citizens N] [--petitions N] [--rate R]``: one fault run."""

from __future__ import annotations

import argparse
import dataclasses
import sys

from faults.plans import FULL, SHORT
from faults.scenario import Run, summary


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m faults", description=__doc__)
    parser.add_argument("--short", action="store_true", help="the version make test runs")
    parser.add_argument("--citizens", type=int)
    parser.add_argument("--petitions", type=int)
    parser.add_argument("--rate", type=float, help="signing attempts per second")
    args = parser.parse_args(argv)
    plan = SHORT if args.short else FULL
    changes = {
        k: v
        for k, v in (
            ("citizens", args.citizens),
            ("petitions", args.petitions),
            ("rate_per_second", args.rate),
        )
        if v is not None
    }
    run = Run(dataclasses.replace(plan, **changes))
    report = run.execute()
    print(summary(run), flush=True)
    return 1 if report.failures or run.personal_data or run.secrets else 0


if __name__ == "__main__":
    sys.exit(main())
