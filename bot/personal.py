"""Personal data out of what the bot keeps: a stored question is valid text without names,
addresses, phone numbers, e-mail addresses, BSNs, dates, bank accounts or links.

People write such details into their questions although /privacy asks them not to. The
question stays readable for the volunteers: "bel me op [telefoonnummer]". What is a name
comes from knowledge/namen.txt, which volunteers extend; a name that is also an ordinary
word ('Bos', 'Roos') counts only where it is used as a name. The phone numbers of
organisations (0800, 0900, 0909) stay, as the foundation's own number is one of them.
"""

from __future__ import annotations

import logging
import os
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from bot.lexicon import is_dutch_word
from bot.text import without_accents

log = logging.getLogger(__name__)
SOURCE_KNOWLEDGE = Path(__file__).resolve().parent.parent / "knowledge"


def names_file() -> Path:
    """knowledge/namen.txt in the knowledge folder of KNOWLEDGE_DIR (as in the image, where
    the bot is installed away from its knowledge), else beside the source."""
    folder = os.environ.get("KNOWLEDGE_DIR")
    if folder and (Path(folder) / "namen.txt").is_file():
        return Path(folder) / "namen.txt"
    return SOURCE_KNOWLEDGE / "namen.txt"


NAME, ADDRESS, POSTCODE, PHONE = "[naam]", "[adres]", "[postcode]", "[telefoonnummer]"
EMAIL, BSN, DATE, IBAN, LINK = "[e-mailadres]", "[BSN]", "[datum]", "[rekeningnummer]", "[link]"


def valid_unicode(text: str) -> str:
    """The text with every lone surrogate (which no encoder accepts, and which a Telegram
    client can send) as U+FFFD; a pair of surrogates becomes the character it stands for."""
    return text.encode("utf-16", "surrogatepass").decode("utf-16", "replace")


# -- the names -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Names:
    """Names as the normaliser writes words (lower case, no accents)."""

    all: frozenset[str]
    also_words: frozenset[str]  # names that are ordinary words too: 'bos', 'roos'


def read_names(path: Path) -> Names:
    """knowledge/namen.txt: names separated by spaces or lines, in two sections."""
    names: set[str] = set()
    words: set[str] = set()
    target = names
    for line in path.read_text(encoding="utf-8").splitlines():
        line = line.split("#", 1)[0].strip()
        if line.startswith("["):
            target = words if "woord" in line else names
            continue
        target.update(key(name) for name in line.split())
    return Names(frozenset(names | words), frozenset(words))


@lru_cache(maxsize=1)
def names() -> Names:
    try:
        return read_names(names_file())
    except OSError as exc:  # the patterns still work; only names are missed
        log.error("Could not read the names (%s); names are not taken out of questions.", exc)
        return Names(frozenset(), frozenset())


def key(word: str) -> str:
    return without_accents(word.casefold()).removesuffix("'s").removesuffix("’s")


VERY_COMMON = 5.0  # Zipf: 'wil', 'meer', 'groot' say nothing of anyone


def is_personal_word(word: str) -> bool:
    """Whether a word may be a name (also one that is an ordinary word as well, like 'bos')
    or a street ('kerkstraat'): such words are never kept in memory (see wordcache). A name
    that is also one of the most common Dutch words ('wil', 'meer') counts as that word."""
    k = key(word)
    if k in names().also_words:
        from bot.lexicon import commonness

        return commonness(k) < VERY_COMMON
    return k in names().all or _STREET_WORD.fullmatch(word) is not None


# -- patterns ---------------------------------------------------------------------------------

_MONTHS = (
    "januari|februari|maart|april|mei|juni|juli|augustus|september|oktober|november|december"
    "|jan|feb|mrt|apr|jun|jul|aug|sep|sept|okt|nov|dec"
)
_DAY, _MONTH = r"(?:0?[1-9]|[12]\d|3[01])", r"(?:0?[1-9]|1[0-2])"
_STREET_END = (
    "straat|laan|weg|plein|gracht|kade|dijk|singel|hof|park|dreef|pad|steeg|markt|veld|baan"
    "|ring|wal|allee|erf|hoeve|kamp|akker|weide|boulevard|haven|dam|vliet|zoom|horst|donk|oord"
)
_STREET_ALONE_END = "straat|laan|gracht|singel|plein|steeg|kade|dreef"
_PREFIXES = r"(?:van|de|der|den|het|ter|ten|te|in|op|'t|’t)"
_UNITS = frozenset({"mg", "ml", "kg", "ie", "iu", "cm", "mm", "km", "gr", "ug", "uu", "dl", "cl"})
_NOT_STREETS = frozenset({"zijstraat", "hoofdstraat", "winkelstraat", "dwarsstraat", "blokkade"})
# 'hij overdreef', 'de kosten oversteeg': a past tense of (over)drijven or (be)stijgen, and 'ik
# wil niet doorslaan': a verb on -slaan, no street.
_VERB_HEADS = frozenset(
    {"over", "aan", "voort", "uit", "weg", "op", "be", "ver", "door", "af", "in", "rond"}
    | {"terug", "na", "mee", "toe", "ont", "bij", "om", "voor", "neer", "achter"}
    | {"dicht", "vast", "stuk", "kapot", "los"}
)


_STREET_WORD = re.compile(rf"[^\W\d_]{{3,}}(?:{_STREET_ALONE_END})", re.IGNORECASE)


@dataclass(frozen=True)
class Pattern:
    placeholder: str
    regex: re.Pattern[str]
    valid: Callable[[re.Match[str]], bool] = lambda match: True

    def replace(self, match: re.Match[str]) -> str:
        """The placeholder, after the words that said what came ('geboren in ')."""
        if not self.valid(match):
            return match.group(0)
        keep = match.group("keep") if "keep" in match.re.groupindex else ""
        return (keep or "") + self.placeholder


def _digits(text: str) -> str:
    return "".join(c for c in text if c.isdigit())


def _eleven_proof(match: re.Match[str]) -> bool:
    digits = [int(c) for c in _digits(match.group(0))]
    if len(digits) != 9 or not any(digits):
        return False
    return (sum(d * w for d, w in zip(digits, range(9, 1, -1), strict=False)) - digits[8]) % 11 == 0


def _dutch_phone(match: re.Match[str]) -> bool:
    return len(_digits(match.group(0))) == 10


def _postcode(match: re.Match[str]) -> bool:
    letters = match.group("letters")
    if match.group("keep"):  # "postcode 9712 hk"
        return True
    if letters.lower() in _UNITS or letters.upper() in ("SA", "SD", "SS"):
        return False
    if letters.isupper():
        return True
    from bot.lexicon import is_dutch_word  # a lower-case 'en', 'op', 'is' after a number

    return not is_dutch_word(letters.lower())


def _street(match: re.Match[str]) -> bool:
    word = match.group(0).lower()
    verb = any(
        word.endswith(end) and word[: -len(end)] in _VERB_HEADS
        for end in ("dreef", "steeg", "slaan")
    )
    return word not in _NOT_STREETS and not verb


_I = re.IGNORECASE
PATTERNS = (
    Pattern(EMAIL, re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")),
    Pattern(LINK, re.compile(r"(?:https?://|www\.)[^\s<>\"]*[^\s<>\".,;:!?)]", _I)),
    Pattern(IBAN, re.compile(r"\bNL\d{2}[ ]?[A-Z]{4}(?:[ ]?\d){10}\b", _I)),
    Pattern(IBAN, re.compile(r"\b[A-Z]{2}\d{2}(?:[ ]?[A-Z0-9]{4}){3,7}(?:[ ]?[A-Z0-9]{1,3})?\b")),
    Pattern(
        PHONE,
        re.compile(
            r"(?<![\w+])(?:\+|00)[1-9]\d{0,2}[\s.-]?(?:\(0\)[\s.-]?)?\d(?:[\s.-]?\d){6,11}(?!\d)"
        ),
    ),
    Pattern(
        PHONE,
        re.compile(
            r"(?<![\w+])(?!\(?0(?:800|900|90\d))\(?0(?:6|[1-9]\d{1,2})\)?(?:[\s.-]{0,3}\d){6,8}(?!\d)"
        ),
        _dutch_phone,
    ),
    Pattern(DATE, re.compile(rf"\b{_DAY}[-/.]{_MONTH}[-/.](?:19|20)?\d{{2}}\b")),
    Pattern(DATE, re.compile(rf"\b(?:19|20)\d{{2}}-{_MONTH}-{_DAY}\b")),
    Pattern(
        DATE,
        re.compile(
            rf"\b{_DAY}(?:e|ste|de)?\s+(?:{_MONTHS})\b\.?(?:\s+(?:19|20)\d{{2}}\b|\s+'?\d{{2}}\b)?",
            _I,
        ),
    ),
    Pattern(DATE, re.compile(r"(?P<keep>\bgeboren (?:in |op )?)(?:19|20)\d{2}\b", _I)),
    Pattern(
        BSN,
        re.compile(
            r"(?P<keep>\b(?:bsn|burgerservicenummer)\s*(?:is|:|nummer)?\s*)\d(?:[ .-]?\d){7,8}\b",
            _I,
        ),
    ),
    Pattern(BSN, re.compile(r"(?<![\d+])\d(?:[ .-]?\d){8}(?![\d])"), _eleven_proof),
    Pattern(
        ADDRESS,
        re.compile(
            rf"\b(?:[A-Z][\w.'-]*\s+(?:{_PREFIXES}\s+)*){{0,3}}[A-Za-z][\w'-]+?(?:{_STREET_END})"
            r"\s+(?:nr\.?\s*|nummer\s+)?\d{1,5}(?:\s?[a-zA-Z]\b|-\d{1,4}\b|\s?(?:bis|hs)\b)?"
        ),
    ),
    Pattern(
        POSTCODE,
        re.compile(r"(?P<keep>\bpostcode:?\s*)?\b[1-9]\d{3}[ ]?(?P<letters>[A-Za-z]{2})\b", _I),
        _postcode,
    ),
    Pattern(
        ADDRESS,
        re.compile(rf"\b[A-Za-z][\w'-]{{2,}}?(?:{_STREET_ALONE_END})\b", _I),
        _street,
    ),
)


# -- names in a text ---------------------------------------------------------------------------

_WORD = re.compile(r"[^\W\d_](?:[\w'’-]*[^\W_])?")
_CUES = (
    ("ik", "ben"),
    ("ik", "heet"),
    ("naam", "is"),
    ("heet",),
    ("naam",),
    ("groet",),
    ("groeten",),
    ("groetjes",),
    ("gr",),
    ("mvg",),
    ("dhr",),
    ("mevr",),
    ("mw",),
    ("meneer",),
    ("mevrouw",),
    ("dokter",),
    ("dr",),
    ("huisarts",),
    ("neuroloog",),
)
_RELATIONS = frozenset(
    re.findall(
        r"\w+",
        "man vrouw partner zoon dochter moeder vader broer zus zuster buurman buurvrouw vriend "
        "vriendin schoonmoeder schoonvader opa oma kleinzoon kleindochter collega echtgenoot "
        "echtgenote neef nicht tante oom",
    )
)
_PREFIX_WORDS = frozenset({"van", "de", "der", "den", "ter", "ten", "te", "'t", "’t"})


@dataclass(frozen=True)
class _Token:
    text: str
    start: int
    end: int
    key: str
    capital: bool
    sentence_start: bool


def _tokens(text: str) -> list[_Token]:
    tokens = []
    for match in _WORD.finditer(text):
        before = text[: match.start()]
        stripped = before.rstrip()
        sentence_start = (
            not stripped or stripped[-1] in ".!?:\"'(" or "\n" in before[len(stripped) :]
        )
        word = match.group(0)
        tokens.append(
            _Token(word, match.start(), match.end(), key(word), word[0].isupper(), sentence_start)
        )
    return tokens


def _after_cue(tokens: list[_Token], i: int) -> bool:
    keys = [t.key for t in tokens[max(0, i - 3) : i]]
    if len(keys) >= 2 and keys[-2] in ("mijn", "onze", "m'n") and keys[-1] in _RELATIONS:
        return True
    return any(tuple(keys[-len(cue) :]) == cue for cue in _CUES)


def _name_like(token: _Token, cued: bool) -> bool:
    """Whether a token is a name here: a listed name (one that is also an ordinary word only
    with a capital, inside a sentence or after a cue), or after a cue any capitalised word
    that is no ordinary Dutch ('Geachte heer, mevrouw, Ik ben …': 'Ik' is no name)."""
    if token.key in names().also_words:  # 'mijn dokter wil', 'ik ben Wil'
        return token.capital and (cued or not token.sentence_start)
    return token.key in names().all or (cued and token.capital and not is_dutch_word(token.key))


def _skip_prefixes(tokens: list[_Token], i: int) -> int:
    """The first token from i on that is no 'de', 'van', 'van der' …"""
    while i < len(tokens) and tokens[i].key in _PREFIX_WORDS:
        i += 1
    return i


def _joined(text: str, before: _Token, after: _Token) -> bool:
    """Whether two tokens are parts of one name: nothing but a space or hyphen between them,
    or the full stop of an initial ('H. Jansen')."""
    between = text[before.end : after.start].strip()
    return between in ("", "-") or (between == "." and len(before.text) == 1 and before.capital)


def _name_spans(text: str) -> Iterator[tuple[int, int]]:
    """(start, end) of each name: a first name, surname, or both with initials and prefixes."""
    tokens = _tokens(text)
    every = names().all
    i = 0
    while i < len(tokens):
        cued = _after_cue(tokens, i)
        j = _skip_prefixes(tokens, i)
        if j >= len(tokens):
            break
        if j > i:  # 'de Vries', 'van der Linden', 'mevrouw de Groot'
            found = _name_like(tokens[j], cued) or (tokens[j].capital and tokens[j].key in every)
        else:
            initial = len(tokens[i].text) == 1 and tokens[i].capital  # 'H. Jansen'
            found = _name_like(tokens[i], cued) or (
                initial
                and i + 1 < len(tokens)
                and _joined(text, tokens[i], tokens[i + 1])
                and tokens[i + 1].key in every
            )
        if not found:
            i += 1
            continue
        end = j + 1
        while end < len(tokens) and _joined(text, tokens[end - 1], tokens[end]):
            k = _skip_prefixes(tokens, end)
            if k < len(tokens) and (
                tokens[k].key in every or (tokens[k].capital and tokens[end - 1].capital)
            ):
                end = k + 1
            else:
                break
        # 'de Vries' is one name; in 'groeten van gonnie' the 'van' is no part of it
        first = i if tokens[j].capital else j
        yield tokens[first].start, tokens[end - 1].end
        i = end


# -- scrubbing -------------------------------------------------------------------------------


def scrub(text: str) -> str:
    """The text with each piece of personal data replaced by what it was: '[naam]'."""
    text = valid_unicode(text)
    for pattern in PATTERNS:
        text = pattern.regex.sub(pattern.replace, text)
    for start, end in reversed(list(_name_spans(text))):
        text = text[:start] + NAME + text[end:]
    return text
