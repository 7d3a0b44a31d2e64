"""Recognise greetings, thanks and questions about the bot itself."""

from __future__ import annotations

from rapidfuzz import fuzz, process

from bot.knowledge import Knowledge, SmalltalkIntent
from bot.text import normalise

_MAX_WORDS = 8  # a longer message is a question, even if it opens with "hoi"


class SmalltalkDetector:
    def __init__(self, knowledge: Knowledge) -> None:
        self.threshold = knowledge.settings.smalltalk_similarity
        self.stopwords = knowledge.stopwords
        self.by_phrase: dict[str, SmalltalkIntent] = {}
        for intent in knowledge.smalltalk:
            for phrase in intent.phrasings:
                self.by_phrase.setdefault(normalise(phrase), intent)
        self.phrases = list(self.by_phrase)
        self.words = frozenset(w for p in self.phrases for w in p.split())

    def find(self, message: str) -> SmalltalkIntent | None:
        text = normalise(message)
        if not text or len(text.split()) > _MAX_WORDS:
            return None
        best = process.extractOne(
            text, self.phrases, scorer=fuzz.ratio, score_cutoff=self.threshold
        )
        if best is not None:
            return self.by_phrase[best[0]]
        # "goedenavond allemaal": only smalltalk words once the filler words are gone.
        content = [w for w in text.split() if w not in self.stopwords]
        if content and all(w in self.words for w in content):
            best = process.extractOne(" ".join(content), self.phrases, scorer=fuzz.ratio)
            if best is not None:
                return self.by_phrase[best[0]]
        return None
