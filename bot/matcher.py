"""Score a message against every FAQ entry and say how sure we are.

Each entry is a set of documents: its question and phrasings (compared with an F-score
that leans on how much of the *message* a phrasing explains), its answer, and its
vocabulary (the words its phrasings use, each as far as it is typical of the entry); the
last two only need to cover the message, at a discount. Words of the FAQ weigh by how
telling they are across entries; other words by how rare they are in Dutch, so "helpt
magnesium bij hoofdpijn?" does not reach the entry about RLS. Phrasings of questions the
article does not answer (knowledge/out_of_scope.yaml) compete as one more owner. A question
in a longer message is also scored on its own (with the sentence it points back to), and so
is what follows a question cue ('ik vraag me af of ...', knowledge/stopwords.yaml), so a
story around it does not drown it. A second view on letter patterns (charprofile.py) says
whether it agrees on the best entry, or which of two close ones it prefers; the match notes
words that suggest another subject altogether, and the subjects the article does not cover
that the question names (out_of_scope.yaml's groups). core.decide turns all this into an
answer, a choice or a referral.
"""

from __future__ import annotations

import math
from collections import Counter, defaultdict
from collections.abc import Iterator
from dataclasses import dataclass
from typing import NamedTuple

from bot.analyzer import Analyzer, Term
from bot.charprofile import CharProfiles
from bot.knowledge import Knowledge
from bot.phrasing_model import model_for
from bot.text import normalise, split_sentences

# Measured on the development parts of the test set (tests/data/testset_dev*.yaml).
ANSWER_DISCOUNT = 0.6  # an answer's words explain a message less surely than a phrasing
VOCABULARY_DISCOUNT = 0.8  # ...and so do an entry's words spread over its phrasings
TYPICAL = 4.0  # a word in a quarter of an entry's phrasings is fully typical of it
BETA2 = 0.25  # F-beta with beta 0.5: explaining the message matters more than the phrasing
RARE_USES, RARE_BONUS = 8, 2  # a word used once or twice in all phrasings tells little
FOREIGN_TOPIC_USES = 2  # an off-topic word used this often is a topic of its own
COMMON_ZIPF = 6.0  # an unknown word this common in Dutch weighs least
RARE_ZIPF = 3.0  # ...and one this rare (or rarer) weighs fully
MIN_RARITY = 0.2
TOPICAL_ZIPF = 4.4  # a word rarer than this in Dutch can be the subject of a question
MAX_SENTENCES = 20
REFERRING_ALONE_TRUST = 0.75  # a question that points back, scored without what it points to
CUED_QUESTION_WORDS = 25  # after 'ik vraag me af', this many words are the question
CONFIRM_AMONG = 5  # the letter view compares the word view's best few entries
CONFIRM_MARGIN = 0.05  # ...and must prefer the best one to the out-of-scope questions
LETTER_TIE_WINDOW = 0.1  # the two best this close: the letter view may choose between them
LETTER_MIN_SIMILARITY = 0.2  # ...if it likes one at least this much
LETTER_THIRD_BELOW = 0.05  # ...and a third is further below: three close ones are for the person
MIN_EVIDENCE = 2.0  # weight of shared words before the letter view may confirm
COMMON_POSTINGS = 300  # a word in more phrasings than this does not pick candidates
SIGNATURE_SHARE = 0.5  # a word in half an entry's phrasings is part of its signature
SUBSTITUTE_WEIGHT = 1.5  # a word at least this telling can stand in for another subject


VERB_FORM_LENGTH = 5  # shorter words gain a -t too easily ('kan' + t)
# 'moet ik ... nemen' in a subject's words: the dots stand for at most this many words
# ('hoeveel milligram moet ik dan per dag nemen').
GAP_WORDS = 3
_GAP = "..."


@dataclass(frozen=True)
class Candidate:
    entry_id: str
    score: float


@dataclass(frozen=True)
class MatchResult:
    candidates: tuple[Candidate, ...]  # best first, one per entry
    out_of_scope: float  # how well the best out-of-scope phrasing fits
    foreign_words: tuple[str, ...]  # unknown and not ordinary Dutch, or known only off-topic
    has_content: bool
    confirmed: bool = False  # the letter view agrees on the best entry
    substituted: bool = False  # another subject in place of the best entry's own words
    letter_choice: str | None = None  # of the two best entries, the one the letter view prefers
    length: int = 0  # the message's content words
    subjects: tuple[int, ...] = ()  # out-of-scope groups whose words the message uses
    rest: str = ""  # ...and the message without those words, when there are any
    learned_choice: str | None = None  # in a long message, the entry the phrasing model picks


class _Doc(NamedTuple):
    """A tuple, so the scoring loop can unpack it quickly."""

    owner: int  # entry index; len(entries) for out-of-scope phrasings
    weight: float  # total weight of its terms
    is_answer: bool | None  # None: all words of the entry's phrasings together
    # An out-of-scope phrasing's words that no entry knows ('ijzer'): the subject it is about.
    subject: frozenset[str] = frozenset()


class Matcher:
    """Built once per knowledge; an inverted index keeps it fast at 10,000 phrasings."""

    def __init__(self, knowledge: Knowledge, analyzer: Analyzer | None = None) -> None:
        self.knowledge = knowledge
        self.settings = knowledge.settings
        self.analyzer = analyzer or Analyzer(knowledge)
        self.out_of_scope_owner = len(knowledge.entries)
        owners: list[list[tuple[frozenset[str], bool]]] = []
        letter_documents: list[tuple[int, list[str]]] = []
        for index, entry in enumerate(knowledge.entries):
            docs = []
            for text in (entry.question, *entry.phrasings):
                words = self.analyzer.content_words(text)
                letter_documents.append((index, words))
                docs.append((self._stems_of(words), False))
            docs.append((self._stems(entry.answer), True))
            owners.append(docs)
        oos_docs = []
        for text in knowledge.out_of_scope:
            words = self.analyzer.content_words(text)
            letter_documents.append((self.out_of_scope_owner, words))
            oos_docs.append((self._stems_of(words), False))
        owners.append(oos_docs)
        self.entry_words = [
            frozenset().union(*(d for d, is_answer in docs if not is_answer)) for docs in owners
        ]
        self.signatures = [self._signature(docs) for docs in owners[:-1]]
        self.entry_index = {e.id: i for i, e in enumerate(knowledge.entries)}
        frequency: dict[str, int] = defaultdict(int)
        for docs in owners:
            for stem in frozenset().union(*(d for d, _ in docs)):
                frequency[stem] += 1
        n = len(owners)
        uses = Counter(stem for docs in owners for d, _ in docs for stem in d)
        # Rare across entries means telling; but a word used once or twice in all the
        # phrasings ('zweert', from a story) tells little either way.
        self.weights = {
            s: math.log(1 + n / df) * min(1.0, (uses[s] + RARE_BONUS) / RARE_USES)
            for s, df in frequency.items()
        }
        # Words only the out-of-scope questions know ('ropinirol', 'kruidvat') are as foreign
        # to the FAQ as unknown words.
        faq_stems = frozenset().union(*(d for docs in owners[:-1] for d, _ in docs))
        self.foreign = frozenset(s for s in frequency if s not in faq_stems)
        # ...and those the out-of-scope questions use again and again are their topics.
        # A number is no topic: the ages in 'een vrouw van 85' are there for the dose asked.
        self.foreign_topics = frozenset(
            s for s in self.foreign if uses[s] >= FOREIGN_TOPIC_USES and not s.isdigit()
        )

        self.docs: list[_Doc] = []
        # stem → (document, share) postings; equal postings are one tuple, which keeps the
        # index of 10,000 phrasings small.
        index: dict[str, list[tuple[int, float]]] = defaultdict(list)
        for owner, docs in enumerate(owners):
            for stems, is_answer in docs:
                if stems:
                    posting = (len(self.docs), 1.0)
                    weight = sum(self.weights[s] for s in stems)
                    out_of_scope = owner == self.out_of_scope_owner
                    subject = stems & self.foreign if out_of_scope else frozenset()
                    self.docs.append(_Doc(owner, weight, is_answer, subject))
                    for stem in stems:
                        index[stem].append(posting)
            if owner < self.out_of_scope_owner:
                # The entry's vocabulary: a word counts as far as it is typical of the entry.
                phrasings = [d for d, is_answer in docs if not is_answer]
                counts = Counter(stem for d in phrasings for stem in d)
                index_of_doc = len(self.docs)
                self.docs.append(_Doc(owner, 0.0, None))
                postings: dict[float, tuple[int, float]] = {}
                for stem, c in counts.items():
                    share = min(1.0, TYPICAL * c / len(phrasings))
                    index[stem].append(postings.setdefault(share, (index_of_doc, share)))
        self.index = dict(index)
        # Words in very many phrasings ('magnesium') do not pick candidates; they only add
        # to the candidates other words picked, which keeps a message at about a millisecond.
        self.common = frozenset(
            s for s, postings in index.items() if len(postings) > COMMON_POSTINGS
        )
        # document → share, for the common words only: the only words that are added
        self.common_shares = {s: dict(self.index[s]) for s in self.common}
        # The words that name a subject the article does not cover, each as a run of words
        # as the knowledge spells them, found by its first word. Not stems: 'gelden' is no 'gel'.
        starts: dict[str, list[tuple[int, tuple[str, ...]]]] = defaultdict(list)
        for group, g in enumerate(knowledge.out_of_scope_groups):
            for text in g.words:
                run = self._subject_run(text)
                if run:
                    starts[run[0]].append((group, run))
                # A verb as the knowledge writes it, also with the -t of 'hij vergoedt'.
                if len(run) == 1 and len(run[0]) >= VERB_FORM_LENGTH and run[0][-1] != "t":
                    starts[run[0] + "t"].append((group, (run[0] + "t",)))
        self.subject_starts = dict(starts)
        del owners  # the letter profiles need memory of their own while they are built
        self.letters = CharProfiles(letter_documents)
        self.learned = model_for(knowledge, self.settings.learned_smoothing)

    def _subject_run(self, text: str) -> tuple[str, ...]:
        """A subject's words as surface words, with _GAP where the knowledge wrote '...'."""
        parts = [self.analyzer.surface_words(part) for part in text.replace("…", _GAP).split(_GAP)]
        run: list[str] = []
        for i, part in enumerate(parts):
            if i and run and part:
                run.append(_GAP)
            run.extend(part)
        return tuple(run)

    @staticmethod
    def _signature(docs: list[tuple[frozenset[str], bool]]) -> frozenset[str]:
        """The words most of an entry's phrasings use ('lid' for becoming a member)."""
        phrasings = [d for d, is_answer in docs if not is_answer]
        counts = Counter(stem for d in phrasings for stem in d)
        return frozenset(s for s, c in counts.items() if c >= SIGNATURE_SHARE * len(phrasings))

    def _stems(self, text: str) -> frozenset[str]:
        return frozenset(t.stem for t in self.analyzer.terms(text))

    def _stems_of(self, words: list[str]) -> frozenset[str]:
        return frozenset(t.stem for t in self.analyzer.terms_of(words))

    def weight(self, term: Term) -> float:
        """Words of the FAQ weigh by how telling they are across entries; other words by
        how rare they are in Dutch: a rare unknown word ('nierstenen', 'ropinirol') points
        at another subject, a common one ('kort', 'gisteren') is part of the story."""
        if term.known and term.stem not in self.foreign:
            # A word of the knowledge that no phrasing or answer keeps as a term ('pas', of
            # 'pas ze niet aan', became 'aanpassen') weighs as any other word of Dutch.
            known = self.weights.get(term.stem)
            if known is not None:
                return known
        rarity = (COMMON_ZIPF - term.commonness) / (COMMON_ZIPF - RARE_ZIPF)
        return self.settings.unknown_word_weight * min(1.0, max(MIN_RARITY, rarity))

    def _score(self, terms: list[Term], scores: dict[int, float], trust: float = 1.0) -> None:
        """Raise ``scores[owner]`` to this piece of text's score, times ``trust`` (how surely
        the piece is the question), where it is higher."""
        unique = {t.stem: t for t in terms}
        weights = {stem: self.weight(t) for stem, t in unique.items()}
        message_weight = sum(weights.values())
        if message_weight <= 0:
            return
        known = [(stem, weights[stem]) for stem, t in unique.items() if t.known]
        picking = [(s, w) for s, w in known if s not in self.common]
        adding = [(s, w) for s, w in known if s in self.common]
        if not picking and known:
            # Only common words ('magnesium en rls?'): the rarest of them picks.
            rarest = min(known, key=lambda sw: len(self.index.get(sw[0], ())))
            picking = [rarest]
            adding = [sw for sw in known if sw is not rarest]
        overlap: dict[int, float] = {}
        for stem, w in picking:
            for doc_id, share in self.index.get(stem, ()):
                overlap[doc_id] = overlap.get(doc_id, 0.0) + w * share
        if adding:
            # Only common words are added (the rarest picks when all are common).
            shares_of = [(self.common_shares[stem], w) for stem, w in adding]
            for doc_id, shared in overlap.items():
                for shares, w in shares_of:
                    share = shares.get(doc_id)
                    if share is not None:  # adding nothing would leave the sum as it is
                        shared += w * share
                overlap[doc_id] = shared
        docs = self.docs
        other_subject = self.settings.other_subject_weight
        for doc_id, shared in overlap.items():
            owner, weight, is_answer, subject = docs[doc_id]
            if subject and subject.isdisjoint(unique):
                # 'helpt ijzer ook tegen de kriebels' fits 'helpt magnesium tegen de
                # kriebels' on every word but its subject, which the message does not name.
                shared *= other_subject
            precision = shared / message_weight
            if is_answer is None:
                score = VOCABULARY_DISCOUNT * precision
            elif is_answer:
                score = ANSWER_DISCOUNT * precision
            else:
                recall = shared / weight
                score = (1 + BETA2) * precision * recall / (BETA2 * precision + recall)
            score *= trust
            if score > scores.get(owner, 0.0):
                scores[owner] = score

    def match(self, message: str) -> MatchResult:
        surface = self.analyzer.surface_words(message)
        words = self.analyzer.content_words_of(surface)
        whole = self.analyzer.terms_of(words)
        pieces = split_sentences(message)
        scores: dict[int, float] = {}
        self._score(whole, scores)
        for part, trust in self._questions(pieces):
            self._score(part, scores, trust)
        out_of_scope = scores.pop(self.out_of_scope_owner, 0.0)
        # Equal scores in the knowledge's order, so the same message always gets the same
        # reply: sums over sets differ in the last bits from one process to the next.
        ranked = sorted(scores.items(), key=lambda kv: (-round(kv[1], 9), kv[0]))
        entries = self.knowledge.entries
        candidates = tuple(Candidate(entries[i].id, round(s, 4)) for i, s in ranked[:10])
        story_numbers = _story_numbers(pieces)
        foreign = tuple(
            dict.fromkeys(
                t.stem
                for t in whole
                if ((not t.known and not t.ordinary) and t.stem not in story_numbers)
                or (t.stem in self.foreign_topics and t.commonness < TOPICAL_ZIPF)
            )
        )
        confirmed, letter_choice = self._letter_view(words, whole, ranked)
        substituted = bool(ranked) and (
            self._substituted(whole, ranked[0][0]) or self._swapped_subject(whole, ranked[0][0])
        )
        subjects, rest = self._subjects(pieces, surface)
        return MatchResult(
            candidates,
            round(out_of_scope, 4),
            foreign,
            bool(whole),
            confirmed,
            substituted,
            entries[letter_choice].id if letter_choice is not None else None,
            len(whole),
            subjects,
            rest,
            # Only a long message needs the phrasing model (core.decide).
            self.learned.best(message) if len(whole) >= self.settings.long_message_words else None,
        )

    def _subjects(
        self, pieces: list[tuple[str, bool]], surface: list[str]
    ) -> tuple[tuple[int, ...], str]:
        """The out-of-scope groups whose words the message uses ('alcohol', 'borstvoeding'),
        and the message without them: what is left may still be a question of the FAQ."""
        if self.subject_starts.keys().isdisjoint(surface):
            return (), ""  # most messages: no subject's first word at all
        if len(pieces) > 1:
            # The question names the subject, not the story around it ('mijn huisarts
            # prikte voor mijn ijzer. kan magnesium ook gemeten worden?').
            asking = [pieces[i][0] for i in _asking(pieces)]
            surface = self.analyzer.surface_words(" ".join(asking))
        found: set[int] = set()
        rest = list(surface)
        for start, word in enumerate(surface):
            for group, run in self.subject_starts.get(word, ()):
                positions = _run_at(surface, start, run)
                if positions:
                    found.add(group)
                    # 'plaspil' is read as the article's 'medicijn', 'alcohol' as nothing.
                    rest[start] = self.knowledge.out_of_scope_groups[group].instead
                    for i in positions[1:]:
                        rest[i] = ""
        if not found:
            return (), ""
        return tuple(sorted(found)), " ".join(w for w in rest if w)

    def subjects(self, text: str) -> tuple[int, ...]:
        """The out-of-scope groups whose words a text uses, read as one question."""
        return self._subjects([(text, True)], self.analyzer.surface_words(text))[0]

    def asks_about(self, message: str, entry_id: str) -> bool:
        """Whether the message asks what the entry answers, beside anything else it asks:
        no other subject stands in the place of the entry's own words ('wat is de
        bovengrens voor ijzer' does not ask for the upper limit of magnesium)."""
        index = self.entry_index[entry_id]
        terms = self.analyzer.terms(message)
        return not (self._substituted(terms, index) or self._swapped_subject(terms, index))

    def _beside(self, terms: list[Term], best: int, min_weight: float) -> Iterator[Term]:
        """The message's words, at least this telling, that the best entry never uses."""
        vocabulary = self.entry_words[best]
        return (t for t in terms if t.stem not in vocabulary and self.weight(t) >= min_weight)

    def _substituted(self, terms: list[Term], best: int) -> bool:
        """'wat kost een brood': the message has none of the best entry's signature words,
        and a telling word of its own in their place."""
        stems = {t.stem for t in terms}
        if stems & self.signatures[best]:
            return False
        return any(self._beside(terms, best, SUBSTITUTE_WEIGHT))

    def _swapped_subject(self, terms: list[Term], best: int) -> bool:
        """'hoeveel ijzer per dag': one of the entry's signature words ('magnesium') is
        missing, and a subject-like word (rare in everyday Dutch) the entry does not know
        stands in the message."""
        stems = {t.stem for t in terms}
        if self.signatures[best] <= stems:
            return False
        return any(
            0 < t.commonness < TOPICAL_ZIPF for t in self._beside(terms, best, SUBSTITUTE_WEIGHT)
        )

    def _letter_view(
        self, words: list[str], terms: list[Term], ranked: list[tuple[int, float]]
    ) -> tuple[bool, int | None]:
        """What the letter view says of the word view's best few entries: whether it confirms
        the best one (picks it too, and prefers it to the out-of-scope questions), and, when
        the best two are close and no third is, which of them it clearly prefers, if any.

        Confirming is only asked when the message shares telling words with the entry at all
        ('wat is de hoofdstad van frankrijk' shares just 'wat'); the letter view is not asked
        at all when neither question arises, which keeps most messages fast.
        """
        if not ranked:
            return False, None
        best = ranked[0][0]
        unique = {t.stem: t for t in terms if t.known and t.stem in self.entry_words[best]}
        confirming = sum(self.weight(t) for t in unique.values()) >= MIN_EVIDENCE
        choosing = (
            len(ranked) > 1
            and ranked[0][1] >= self.settings.confirmed_threshold
            and ranked[0][1] - ranked[1][1] <= LETTER_TIE_WINDOW
            and (len(ranked) < 3 or ranked[0][1] - ranked[2][1] > LETTER_THIRD_BELOW)
        )
        if not confirming and not choosing:
            return False, None
        best_first = [i for i, _ in ranked[:CONFIRM_AMONG]]
        similar = self.letters.similarities(words, [*best_first, self.out_of_scope_owner])
        out_of_scope = similar[self.out_of_scope_owner]
        choice = None
        if choosing:
            first, second = sorted(best_first[:2], key=similar.__getitem__, reverse=True)
            if (
                similar[first] >= LETTER_MIN_SIMILARITY
                and similar[first] - similar[second] >= CONFIRM_MARGIN
                and similar[first] > out_of_scope
            ):
                choice = first
        letter_best = max(best_first, key=similar.__getitem__)
        confirmed = (
            confirming and letter_best == best and similar[best] > out_of_scope + CONFIRM_MARGIN
        )
        return confirmed, choice

    def _questions(self, pieces: list[tuple[str, bool]]) -> list[tuple[list[Term], float]]:
        """In a message of several sentences, the ones that ask something, scored alone.

        A story around a question ("Ik heb al jaren last… Helpt magnesium?") should not
        drown the question; a story sentence alone is no question, and a fragment of one
        known word ("magnesium?") says too little to be scored on its own. Each piece comes
        with how surely it is the question (see ``_score``).
        """
        result = [(terms, 1.0) for terms in self._cued_questions(pieces)]
        if len(pieces) < 2:
            return result
        for i in _asking(pieces)[:MAX_SENTENCES]:
            text = pieces[i][0]
            terms = self.analyzer.terms(text)
            known = sum(t.known for t in terms)
            refers_back = bool(self.knowledge.refer_back & set(normalise(text).split()))
            if i > 0 and (refers_back or known < 3):
                # "Ik ben zo moe. Helpt magnesium daar tegen?": 'daar' is the sentence before.
                # A question that says enough itself ('welke producten, zodat ik daar
                # rekening mee houd') is also scored alone, less surely.
                if refers_back and known >= 3:
                    result.append((terms, REFERRING_ALONE_TRUST))
                # ...and past a sentence that says nothing itself ('Ik wil het graag goed
                # kunnen uitleggen. Hoe zit het precies?').
                back = i - 1
                terms = self.analyzer.terms(pieces[back][0]) + terms
                while back > 0 and i - back < 3 and sum(t.known for t in terms) < 3:
                    back -= 1
                    terms = self.analyzer.terms(pieces[back][0]) + terms
            if sum(t.known for t in terms) >= 2:
                result.append((terms, 1.0))
        return result

    def _cued_questions(self, pieces: list[tuple[str, bool]]) -> list[list[Term]]:
        """What follows a question cue ('ik vraag me af of', 'mijn vraag is'), scored alone:
        a story told in one breath, without a question mark, still has its question."""
        result = []
        for text, _ in pieces[:MAX_SENTENCES]:
            padded = f" {normalise(text)} "
            for cue in self.knowledge.question_cues:
                at = padded.find(f" {cue} ")
                if at >= 0:
                    words = padded[at + len(cue) + 2 :].split()[:CUED_QUESTION_WORDS]
                    terms = self.analyzer.terms(" ".join(words))
                    if sum(t.known for t in terms) >= 2:
                        result.append(terms)
                    break
        return result


def _run_at(surface: list[str], start: int, run: tuple[str, ...]) -> list[int]:
    """The positions of a subject's words when they stand at ``start`` (a _GAP skipping at
    most GAP_WORDS words, as few as it can), or none."""
    positions: list[int] = []
    at = start
    gap = False
    for word in run:
        if word == _GAP:
            gap = True
            continue
        reach = GAP_WORDS if gap else 0
        found = next(
            (i for i in range(at, min(at + reach + 1, len(surface))) if surface[i] == word), None
        )
        if found is None:
            return []
        positions.append(found)
        at, gap = found + 1, False
    return positions


def _asking(pieces: list[tuple[str, bool]]) -> list[int]:
    """The sentences of a message that ask something: those with a question mark, or else
    the last one."""
    return [i for i, (_, asks) in enumerate(pieces) if asks] or [len(pieces) - 1]


def _story_numbers(pieces: list[tuple[str, bool]]) -> frozenset[str]:
    """Numbers only the story around a question has ('ik ben 83 en ...'): an age or a year
    there is part of the story. In the question itself a number may ask for a dose the
    article does not give ('hoeveel magnesium mag een kind van 6')."""
    if len(pieces) < 2:
        return frozenset()
    numbers = {w for text, _ in pieces for w in normalise(text).split() if w.isdigit()}
    return frozenset(
        numbers - {w for i in _asking(pieces) for w in normalise(pieces[i][0]).split()}
    )
