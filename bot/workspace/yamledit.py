"""Change knowledge files the way a careful volunteer would: comments, key order, quotes and
block style stay as they were (ruamel.yaml round-trip), and only what changed is touched.

PyYAML (used to read the knowledge) forgets comments and layout, so it cannot write the
files back; ruamel.yaml keeps them.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import os
import tempfile
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.scalarstring import LiteralScalarString

ENTRY_KEYS = (
    "id",
    "question",
    "answer",
    "phrasings",
    "examples",
    "related",
    "source",
    "doctor_advice",
    "opening_state",
    "reviewed",
    "reviewed_by",
)


def _yaml() -> YAML:
    yaml = YAML()  # round-trip
    yaml.preserve_quotes = True
    yaml.width = 4096  # never re-wrap a long answer line
    yaml.indent(mapping=2, sequence=4, offset=2)
    return yaml


def digest(text: str) -> str:
    """What 'the file as the form saw it' is compared by."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class EntryForm:
    """The fields of one entry as the edit form has them."""

    id: str
    question: str = ""
    answer: str = ""
    phrasings: tuple[str, ...] = ()
    examples: tuple[str, ...] = ()
    related: tuple[str, ...] = ()
    source: str = ""
    doctor_advice: bool = False
    opening_state: bool = False
    reviewed: str = ""  # jjjj-mm-dd, or empty
    reviewed_by: str = ""

    @classmethod
    def from_yaml(cls, item: Any) -> EntryForm:
        def texts(key: str) -> tuple[str, ...]:
            value = item.get(key) or ()
            return tuple(str(v) for v in value) if isinstance(value, list) else (str(value),)

        reviewed = item.get("reviewed")
        return cls(
            id=str(item.get("id", "")),
            question=str(item.get("question") or ""),
            answer=str(item.get("answer") or ""),
            phrasings=texts("phrasings"),
            examples=texts("examples"),
            related=texts("related"),
            source=str(item.get("source") or ""),
            doctor_advice=item.get("doctor_advice") is True,
            opening_state=item.get("opening_state") is True,
            reviewed="" if reviewed is None else str(reviewed),
            reviewed_by=str(item.get("reviewed_by") or ""),
        )


class YamlDocument:
    """One knowledge file, read for round-trip editing."""

    def __init__(self, path: Path, text: str | None = None) -> None:
        self.path = path
        self.original = path.read_text(encoding="utf-8") if text is None else text
        self.data = _yaml().load(self.original)

    @property
    def version(self) -> str:
        return digest(self.original)

    def dump(self) -> str:
        out = io.StringIO()
        _yaml().dump(self.data, out)
        return out.getvalue()

    # -- FAQ files ----------------------------------------------------------------------------

    def entries(self) -> list[CommentedMap]:
        entries = self.data.get("entries") if isinstance(self.data, dict) else None
        return [e for e in entries or () if isinstance(e, dict)]

    def entry(self, faq_id: str) -> CommentedMap | None:
        return next((e for e in self.entries() if e.get("id") == faq_id), None)

    def set_entry(self, form: EntryForm, new: bool = False) -> None:
        """Write the form into the entry with its id (a new one at the end when ``new``)."""
        item = None if new else self.entry(form.id)
        if item is None:
            item = CommentedMap()
            entries = self.data["entries"]
            entries.append(item)
            if len(entries) > 1:  # a blank line before it, as between the other entries
                entries.yaml_set_comment_before_after_key(len(entries) - 1, before="\n", indent=2)
        _apply(item, form)

    def add_phrasing(self, faq_id: str, text: str) -> bool:
        item = self.entry(faq_id)
        if item is None:
            return False
        phrasings = item.get("phrasings")
        if not isinstance(phrasings, list):
            item["phrasings"] = phrasings = CommentedSeq()
        phrasings.append(text)
        return True

    # -- out_of_scope.yaml -------------------------------------------------------------------

    def add_out_of_scope(self, text: str) -> None:
        self.data["phrasings"].append(text)


def _apply(item: CommentedMap, form: EntryForm) -> None:
    """Set each field that differs; untouched fields keep their exact layout."""
    values: dict[str, Any] = {
        "id": form.id,
        "question": form.question,
        "answer": form.answer,
        "phrasings": list(form.phrasings),
        "examples": list(form.examples),
        "related": list(form.related),
        "source": form.source,
        "doctor_advice": form.doctor_advice,
        "opening_state": form.opening_state,
        "reviewed": _date_or_text(form.reviewed),
        "reviewed_by": form.reviewed_by,
    }
    optional_empty = {
        "examples": [],
        "related": [],
        "reviewed": "",
        "reviewed_by": "",
        "opening_state": False,
    }
    for key in ENTRY_KEYS:
        value = values[key]
        if key in optional_empty and value == optional_empty[key] and key != "reviewed":
            if key in item and not (key == "opening_state" and item[key] is False):
                del item[key]
            continue
        if key == "reviewed" and value == "":
            item.pop(key, None)
            continue
        current = item.get(key)
        if _same(current, value):
            continue
        if isinstance(value, list):
            value = _sequence(value, current, flow=key == "related")
        elif key == "answer" and "\n" in value:
            value = LiteralScalarString(value)
        if key in item:
            item[key] = value
        else:
            item.insert(_position(item, key), key, value)


def _same(current: Any, value: Any) -> bool:
    if isinstance(value, list):
        return isinstance(current, list) and [str(v) for v in current] == value
    if isinstance(value, bool) or isinstance(current, bool):
        return current is value
    if isinstance(value, date):
        return current == value
    return current is not None and str(current) == str(value)


def _sequence(values: list[str], current: Any, flow: bool = False) -> CommentedSeq:
    """A new list in the style of the one it replaces (``[a, b]`` stays on one line); a
    list that was not there takes the files' usual style (``related`` on one line)."""
    seq = CommentedSeq(values)
    if current.fa.flow_style() if isinstance(current, CommentedSeq) else flow:
        seq.fa.set_flow_style()
    return seq


def _position(item: CommentedMap, key: str) -> int:
    """Where a missing key goes: after the keys that come before it in the usual order."""
    order = ENTRY_KEYS.index(key)
    keys = list(item)
    before = [i for i, k in enumerate(keys) if k in ENTRY_KEYS and ENTRY_KEYS.index(k) < order]
    return before[-1] + 1 if before else len(keys)


def _date_or_text(text: str) -> date | str:
    """A valid date is written as a date (no quotes); anything else stays text, so the check
    can say at the field what is wrong with it."""
    try:
        return date.fromisoformat(text.strip())
    except ValueError:
        return text.strip()


def write_atomically(path: Path, text: str) -> None:
    """The bot never reads half a file: write a temporary file beside it, then replace."""
    fd, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as out:
            out.write(text)
            out.flush()
            os.fsync(out.fileno())
        with contextlib.suppress(OSError):
            os.chmod(temporary, path.stat().st_mode & 0o777 if path.exists() else 0o644)
        os.replace(temporary, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temporary)
        raise
