"""A large FAQ made from the real one, for the benchmark and for tests that need many entries."""

from __future__ import annotations

import random
import shutil
from pathlib import Path

import yaml

from bot.loader import DEFAULT_KNOWLEDGE_DIR, load_knowledge


def generated_knowledge(target_phrasings: int, folder: Path) -> Path:
    """A copy of knowledge/ whose FAQ is blown up to about ``target_phrasings`` phrasings,
    built from the real vocabulary so the words look like real questions."""
    shutil.copytree(DEFAULT_KNOWLEDGE_DIR, folder, dirs_exist_ok=True)
    real = load_knowledge(DEFAULT_KNOWLEDGE_DIR).knowledge
    words = sorted({w for e in real.entries for p in e.phrasings for w in p.lower().split()})
    rng = random.Random(7)
    per_entry = 20
    entries = []
    for n in range(target_phrasings // per_entry):
        base = real.entries[n % len(real.entries)]
        phrasings = [
            " ".join(rng.sample(words, rng.randint(3, 8))) + f" {n}" for _ in range(per_entry)
        ]
        entries.append(
            {
                "id": f"gegenereerd-{n}",
                "question": f"{base.question} ({n})",
                "answer": base.answer,
                "phrasings": phrasings,
                "source": base.source,
            }
        )
    for old in (folder / "faq").glob("*.yaml"):
        old.unlink()
    (folder / "faq" / "gegenereerd.yaml").write_text(
        yaml.safe_dump({"topic": "Gegenereerd", "entries": entries}, allow_unicode=True),
        encoding="utf-8",
    )
    return folder
