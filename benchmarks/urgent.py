"""Emergency detection per part of tests/data/crisis_*.yaml: how many thoughts of suicide got
the reply with 113 first, how many bodily emergencies got an urgent reply, and how many
ordinary messages raised a false alarm. The held-out part prints counts only, never a message.

    .venv/bin/python benchmarks/urgent.py            # the figures
    .venv/bin/python benchmarks/urgent.py --misses   # and the development parts' misses
    .venv/bin/python benchmarks/urgent.py --development-only   # leave the held-out parts be
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bot.core import load_helpdesk
from tests.testset import CRISIS_DEVELOPMENT, CRISIS_HELD_OUT, measure_crisis


def main() -> None:
    desk = load_helpdesk()
    show_misses = "--misses" in sys.argv
    held_out_parts = () if "--development-only" in sys.argv else CRISIS_HELD_OUT
    for part in (*CRISIS_DEVELOPMENT, *held_out_parts):
        tallies = measure_crisis(desk, (part,))
        held_out = part in CRISIS_HELD_OUT
        figures = ", ".join(
            f"{kind.replace('_', ' ')} {t.found}/{t.total} ({t.rate:.1%})"
            for kind, t in tallies.items()
        )
        print(f"{part}{' (held out)' if held_out else ''}: {figures}")
        if show_misses and not held_out:
            for kind, tally in tallies.items():
                for text in tally.misses:
                    print(f"   {kind}: {text}")


if __name__ == "__main__":
    main()
