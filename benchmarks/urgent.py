"""Emergency detection per part of tests/data/crisis_*.yaml: how many thoughts of suicide got
the reply with 113 first, how many bodily emergencies got an urgent reply, and how many
ordinary messages raised a false alarm. The held-out part prints counts only, never a message.

    .venv/bin/python benchmarks/urgent.py            # the figures
    .venv/bin/python benchmarks/urgent.py --misses   # and the development parts' misses
    .venv/bin/python benchmarks/urgent.py --development-only   # leave the held-out parts be
    .venv/bin/python benchmarks/urgent.py --fit      # the learned view's smoothing, fit
    .venv/bin/python benchmarks/urgent.py --left-out-parts 0.02 0.03   # its false_alarms
    .venv/bin/python benchmarks/urgent.py --left-out-parts --care-notes 0.05 0.1 0.2

--fit trains the learned view with each smoothing of a grid and prints, for each, how many of
the examples of each kind would still raise their alarm had they not been trained on (exact
leave-one-out) at the thresholds that let the same share of the ordinary examples raise an
alarm (urgent.yaml's false_alarms, for both kinds together), so the smoothings are compared at
equal false alarms.
The best is the smoothing to write under model: in knowledge/urgent.yaml.

--left-out-parts trains the learned view without each crisis development part in turn (its
messages are also examples) and counts what the bot then does on that part, for each share of
false alarms given; and what it does on the question parts' ordinary messages. The patterns
were written with these parts in view, so only the learned view's share is measured fairly:
it shows what a higher false_alarms buys in recall and costs in false alarms. With
--care-notes it varies care_notes instead (false_alarms as in urgent.yaml): how many thoughts
of suicide read 113 at all (suicide 113), and how many ordinary messages get the care note.
"""

from __future__ import annotations

import sys
from dataclasses import replace
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bot.core import Helpdesk, load_helpdesk, ordinary_messages
from bot.crisis_model import CrisisModel, train
from bot.knowledge import Knowledge
from tests.testset import (
    CRISIS_DEVELOPMENT,
    CRISIS_HELD_OUT,
    CRISIS_NOW,
    PARTS,
    Figures,
    crisis_part,
    evaluate,
    is_held_out,
    load_cases,
    measure_crisis,
    responder,
)

SMOOTHING_GRID = (0.01, 0.02, 0.05, 0.1, 0.25, 0.5, 1.0)


def models_by_smoothing(knowledge: Knowledge) -> dict[float, CrisisModel]:
    """The learned view trained with each smoothing of the grid (the tests check the one in
    urgent.yaml against these)."""
    urgency = knowledge.urgency
    ordinary = list(ordinary_messages(knowledge))
    models = {}
    for smoothing in SMOOTHING_GRID:
        model = train(urgency.examples, ordinary, replace(urgency.model, smoothing=smoothing))
        assert model is not None, "too few examples to train on"
        models[smoothing] = model
    return models


def fit() -> None:
    """Left-out recall of the examples for each smoothing of the grid, and the best."""
    models = models_by_smoothing(load_helpdesk().knowledge)
    for smoothing, model in models.items():
        print(
            f"smoothing {smoothing:<5} left-out recall: "
            + ", ".join(f"{kind} {share:.1%}" for kind, share in model.left_out_recall.items())
            + f"; left-out false alarms {model.left_out_alarms:.1%}"
        )
    found = {s: sum(m.left_out_recall.values()) for s, m in models.items()}
    print(f"best: smoothing {max(found, key=found.__getitem__)}")


def left_out_parts(shares: list[float], setting: str = "false_alarms") -> None:
    """For each share of false alarms (or of care notes): the crisis development parts, each
    with the learned view trained without it, and the question parts' false alarms with all
    examples."""
    knowledge = load_helpdesk().knowledge
    urgency = knowledge.urgency
    for share in shares:
        model = replace(urgency.model, **{setting: share})
        totals: dict[str, list[int]] = {}
        for part in CRISIS_DEVELOPMENT:
            own = {text for texts in crisis_part(part).values() for text in texts}
            examples = {k: tuple(t for t in v if t not in own) for k, v in urgency.examples.items()}
            desk = Helpdesk(
                replace(knowledge, urgency=replace(urgency, examples=examples, model=model))
            )
            for kind, tally in measure_crisis(desk, (part,)).items():
                totals.setdefault(kind, [0, 0])
                totals[kind][0] += tally.found
                totals[kind][1] += tally.total
        desk = Helpdesk(replace(knowledge, urgency=replace(urgency, model=model)))
        questions = Figures()
        for part in PARTS:
            if not is_held_out(part):
                questions.add(
                    evaluate(load_cases(part), responder(desk, CRISIS_NOW)), with_misses=False
                )
        figures = ", ".join(f"{k.replace('_', ' ')} {f}/{t}" for k, (f, t) in totals.items())
        print(
            f"{setting} {share}: {figures}; question parts' false alarms "
            f"{questions.false_urgent}/{questions.ordinary}",
            flush=True,
        )


def main() -> None:
    if "--fit" in sys.argv:
        fit()
        return
    if "--left-out-parts" in sys.argv:
        given = [a for a in sys.argv[sys.argv.index("--left-out-parts") + 1 :] if a[0] != "-"]
        if "--care-notes" in sys.argv:
            left_out_parts([float(s) for s in given] or [0.1], "care_notes")
        else:
            left_out_parts([float(s) for s in given] or [0.02])
        return
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
