"""Dutch separable verbs, so 'hoe vul ik dat aan' reaches the knowledge's 'aanvullen'.

In a main clause the particle of a separable verb stands apart at the end ('hoe meld ik me
aan', 'raadt u magnesium aan'); in a participle the 'ge' comes between ('aangeraden'), and
before an infinitive 'te' does ('om het aan te vullen').
Without joining them, 'meld ... aan' and 'meld ... af' are the same word to the matcher.
A verb and a particle are joined only when the knowledge knows the joined word, and a
particle followed by a noun ('door de magnesium', 'op de wc') is a preposition, not a
particle.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Collection

PARTICLES = frozenset(
    {"aan", "af", "bij", "door", "in", "mee", "na", "om", "op", "over", "toe", "terug", "uit"}
    | {"voor", "weg", "samen", "tegen"}
)
# Words that open a noun phrase: a "particle" before one of these is a preposition.
_NOUN_STARTS = frozenset(
    {"de", "het", "een", "t", "n", "mijn", "mn", "je", "jouw", "zijn", "zn", "haar", "ons"}
    | {"onze", "uw", "hun", "deze", "die", "dit", "dat", "welke", "elke", "ieder", "iedere"}
    | {"geen", "veel", "weinig", "meer", "alle", "wat"}
)
_VOWELS = "aeiou"
_VOICED = {"f": "v", "s": "z"}  # leef → leven, lees → lezen
WINDOW = 6  # the particle is looked for this many words after the verb


def infinitives(form: str) -> list[str]:
    """Infinitives a present-tense form may belong to: 'vul' → 'vullen', 'neemt' → 'nemen',
    'meld' → 'melden'. Guesses: the caller keeps only one the knowledge knows."""
    stems = [form, form[:-1]] if form.endswith("t") and len(form) > 3 else [form]
    guesses = []
    for stem in stems:
        guesses.append(stem + "en")
        if len(stem) < 3 or stem[-1] in _VOWELS:
            continue
        before, vowel, last = stem[-3], stem[-2], stem[-1]
        if before == vowel and vowel in _VOWELS:  # neem → nemen, haal → halen
            guesses.append(stem[:-2] + _VOICED.get(last, last) + "en")
        elif vowel in _VOWELS and before not in _VOWELS:  # vul → vullen, zeg → zeggen
            guesses.append(stem + last + "en")
        if last in _VOICED:
            guesses.append(stem[:-1] + _VOICED[last] + "en")
    return guesses


_PARTICIPLE = re.compile(f"({'|'.join(sorted(PARTICLES, key=len, reverse=True))})ge(.{{3,}})")


def _participle(word: str, known: Callable[[str], bool]) -> str | None:
    """'aangeraden' → 'aanraden', 'aangevuld' → 'aanvullen'."""
    found = _PARTICIPLE.fullmatch(word)
    if found is None:
        return None
    particle, rest = found.groups()
    guesses = [rest] if rest.endswith("en") else []
    if rest[-1] in "dt":
        guesses += infinitives(rest[:-1])
    return next((particle + g for g in guesses if known(particle + g)), None)


def join_separable(
    tokens: list[str], known: Callable[[str], bool], stopwords: Collection[str]
) -> list[str]:
    """The tokens with each separable verb whole: its particle joined to it and dropped."""
    # Particles that end the clause or stand before another small word; one followed by a
    # noun ('door de magnesium', 'op de wc') is a preposition.
    particles = [
        j
        for j, token in enumerate(tokens)
        if token in PARTICLES
        and (
            j + 1 == len(tokens)
            or (tokens[j + 1] in stopwords and tokens[j + 1] not in _NOUN_STARTS)
        )
    ]
    out: list[str | None] = list(tokens)
    # 'om het aan te vullen': the particle, 'te', then the infinitive.
    for j in range(len(tokens) - 2):
        if tokens[j] in PARTICLES and tokens[j + 1] == "te" and known(tokens[j] + tokens[j + 2]):
            out[j], out[j + 1], out[j + 2] = None, None, tokens[j] + tokens[j + 2]
    for i, token in enumerate(tokens):
        if out[i] != token:  # already part of 'aan te vullen'
            continue
        if len(token) < 2 or not token.isalpha() or token in PARTICLES:
            continue
        if "ge" in token and not known(token):
            joined = _participle(token, known)
            if joined is not None:
                out[i] = joined
                continue
        for j in particles:
            if i < j <= i + WINDOW and out[j] == tokens[j]:
                whole = next(
                    (tokens[j] + f for f in infinitives(token) if known(tokens[j] + f)), None
                )
                if whole is not None:
                    out[i], out[j] = whole, None
                    break
    return [t for t in out if t is not None]
