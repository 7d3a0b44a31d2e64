"""What each knowledge file may contain, checked field by field with volunteer-friendly messages."""

from __future__ import annotations

import difflib
import re
import string
from dataclasses import dataclass
from datetime import date
from typing import Any

from bot.problems import ProblemList
from bot.yamlfile import YamlMap, line_in

TEXT, TEXTS, BOOL, DATE, NUMBER, WHOLE, MAPPING, LIST = (
    "tekst",
    "lijst met teksten",
    "ja/nee (true of false)",
    "datum (jjjj-mm-dd)",
    "getal",
    "heel getal",
    "blok met velden",
    "lijst",
)

ID_PATTERN = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")


@dataclass(frozen=True)
class Field:
    kind: str
    required: bool = True


def _fits(value: Any, kind: str) -> bool:
    if kind == TEXT:
        return isinstance(value, str) and bool(value.strip())
    if kind == TEXTS:
        return isinstance(value, list) and all(
            isinstance(v, str | int) and str(v).strip() for v in value
        )
    if kind == BOOL:
        return isinstance(value, bool)
    if kind == DATE:
        return isinstance(value, date)
    if kind == NUMBER:
        return isinstance(value, int | float) and not isinstance(value, bool)
    if kind == WHOLE:
        return isinstance(value, int) and not isinstance(value, bool)
    if kind == MAPPING:
        return isinstance(value, dict)
    if kind == LIST:
        return isinstance(value, list)
    raise ValueError(kind)


def check_fields(
    mapping: Any,
    fields: dict[str, Field],
    file: str,
    problems: ProblemList,
    what: str,
    line: int | None = None,
) -> bool:
    """Report unknown, missing and mistyped fields; True when the mapping is usable.

    ``line`` is where the mapping should stand, for when it is not a mapping (a plain text
    keeps no line of its own).
    """
    if not isinstance(mapping, YamlMap):
        problems.error(
            file,
            getattr(mapping, "line", None) or line,
            f"{what} moet een blok met velden zijn (veldnaam: waarde).",
            "Kijk naar een voorbeeld in hetzelfde bestand en neem die vorm over.",
        )
        return False
    usable = True
    for key in mapping:
        if key not in fields:
            close = difflib.get_close_matches(key, list(fields), n=1, cutoff=0.6)
            hint = f"Bedoel je '{close[0]}'?" if close else f"Toegestaan: {', '.join(fields)}."
            problems.error(file, mapping.line_of(key), f"Onbekend veld '{key}' in {what}.", hint)
    for name, spec in fields.items():
        if name not in mapping or mapping[name] is None:
            if spec.required:
                empty = name in mapping
                problems.error(
                    file,
                    mapping.line_of(name) if empty else mapping.line,
                    f"{what} heeft {'een leeg' if empty else 'geen'} veld '{name}'.",
                    f"Vul '{name}:' in ({spec.kind}).",
                )
                usable = False
            continue
        if not _fits(mapping[name], spec.kind):
            blank = isinstance(mapping[name], str) and not mapping[name].strip()
            problems.error(
                file,
                line_in(mapping, name),
                f"Het veld '{name}' in {what} is leeg."
                if blank
                else f"Het veld '{name}' in {what} moet een {spec.kind} zijn.",
                f"Schrijf bij '{name}:' een {spec.kind}.",
            )
            usable = False
    return usable


def check_placeholders(
    text: str, allowed: frozenset[str], file: str, line: int | None, problems: ProblemList
) -> None:
    """Templates are filled in exactly as the bot will (str.format): what cannot be filled in
    here would break the reply, or show a stray brace to the person who asked."""
    for message, hint in _placeholder_problems(text, allowed):
        problems.error(file, line, message, hint)


def _placeholder_problems(text: str, allowed: frozenset[str]) -> list[tuple[str, str]]:
    try:
        parts = list(_FORMATTER.parse(text))
    except ValueError:
        return [(_LONE_BRACE, _BRACE_HINT)]
    found = []
    if any("{" in literal or "}" in literal for literal, *_ in parts):
        found.append((_LONE_BRACE, _BRACE_HINT))  # '{{email}}' would show a literal '{email}'
    for _, name, spec, conversion in parts:
        if name is None:
            continue
        if name not in allowed:
            close = difflib.get_close_matches(name, sorted(allowed), n=1)
            hint = f"Bedoel je {{{close[0]}}}?" if close else ""
            found.append(
                (
                    f"De tekst gebruikt {{{name}}}, maar dat kan de bot niet invullen.",
                    hint or f"Mogelijk: {', '.join('{' + a + '}' for a in sorted(allowed))}.",
                )
            )
        elif spec or conversion:
            found.append((f"Achter {{{name}}} staat iets wat de bot niet begrijpt.", _BRACE_HINT))
    if not found:
        try:  # the proof: fill it in as the bot does, with every name it can fill in
            text.format_map(dict.fromkeys(allowed, "x"))
        except (ValueError, KeyError, IndexError, AttributeError):
            found.append((_LONE_BRACE, _BRACE_HINT))
    return found


_FORMATTER = string.Formatter()
_LONE_BRACE = "Een { of } staat hier los, of dubbel: zo kan de bot de tekst niet invullen."
_BRACE_HINT = "Gebruik { en } alleen om iets als {telefoon} heen, één keer, zonder spaties."
