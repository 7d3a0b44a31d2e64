"""Problems found in the knowledge files, phrased for the volunteers who fix them."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Severity(StrEnum):
    ERROR = "fout"
    WARNING = "waarschuwing"


@dataclass(frozen=True)
class Problem:
    """One thing wrong in one place. Errors block a reload; warnings only inform."""

    severity: Severity
    file: str
    line: int | None
    message: str
    hint: str = ""

    def __str__(self) -> str:
        place = f"{self.file}:{self.line}" if self.line else self.file
        text = f"{place}: {self.severity}: {self.message}"
        return f"{text}\n    → {self.hint}" if self.hint else text


class ProblemList:
    """Collects problems while the knowledge is read, so all of them are reported at once."""

    def __init__(self) -> None:
        self.items: list[Problem] = []

    def error(self, file: str, line: int | None, message: str, hint: str = "") -> None:
        self.items.append(Problem(Severity.ERROR, file, line, message, hint))

    def warning(self, file: str, line: int | None, message: str, hint: str = "") -> None:
        self.items.append(Problem(Severity.WARNING, file, line, message, hint))

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self.items if p.severity is Severity.ERROR]

    @property
    def warnings(self) -> list[Problem]:
        return [p for p in self.items if p.severity is Severity.WARNING]
