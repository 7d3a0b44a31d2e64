"""What the helpdesk holds after answering: no name, street or other word of a message that
is not a word of the knowledge or of ordinary Dutch (README: "never a name")."""

from __future__ import annotations

import gc
import types
from datetime import UTC, datetime

from bot.core import Helpdesk, load_helpdesk

NOW = datetime(2025, 11, 25, 18, 30, tzinfo=UTC)
MESSAGES = (
    "ik ben jan de vries uit de kerkstraat",
    "hallo, met henk bakker uit de dorpsstraat, helpt magnesium tegen kramp?",
    "mijn vrouw truus jansen slaapt slecht door rusteloze benen",
    "groeten van riet mulder van de lindenlaan",
)
PERSONAL = {"jan", "vries", "kerkstraat", "henk", "bakker", "dorpsstraat"}
PERSONAL |= {"truus", "jansen", "riet", "mulder", "lindenlaan"}


def strings_held(root: object) -> set[str]:
    """Every string reachable from ``root`` through its own data (not through modules,
    classes or functions, which lead to all of Python)."""
    seen: set[int] = set()
    found: set[str] = set()
    stack = [root]
    skip = (types.ModuleType, type, types.FunctionType, types.BuiltinFunctionType)
    while stack:
        obj = stack.pop()
        if id(obj) in seen or isinstance(obj, skip):
            continue
        seen.add(id(obj))
        if isinstance(obj, str):
            found.add(obj)
            continue
        stack.extend(gc.get_referents(obj))
    return found


def test_the_helpdesk_keeps_no_name_or_street_of_a_message() -> None:
    desk: Helpdesk = load_helpdesk()
    before = strings_held(desk)
    for message in MESSAGES:
        desk.respond(message, NOW)
    words = {w for s in strings_held(desk) - before for w in s.split()}
    assert not words & PERSONAL
