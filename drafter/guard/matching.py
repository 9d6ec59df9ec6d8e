"""Matching a draft's quantities with the figures: the working part of :func:`drafter.guard.check.check_draft`.

:class:`FigureMatcher` takes a draft and the figures, reads the quantities
(amounts with :func:`drafter.guard.quantities.extract_quantities`, ranks with
:func:`drafter.guard.ranks.extract_ranks`), drops the numbers that are the user's own
words (inside a figure's name), binds the rest (:func:`drafter.guard.binding.bind`)
and decides, quantity by quantity, what each one is: a figure found, or a
finding (``misplaced``, ``altered``, ``unit_mismatch``, ``stale``,
``invented``, ``placeholder``). The rules are documented in
:mod:`drafter.guard.check`; this module is their implementation.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Sequence
from decimal import Decimal

from drafter.guard.binding import Binding, Cue, bind
from drafter.guard.name_index import NameIndex
from drafter.figures import Figure, format_decimal
from drafter.guard.equality import amount_key, figure_keys, quantity_key
from drafter.guard.changes import verb_clash as _verb_clash
from drafter.guard.findings import Finding
from drafter.guard.numerals import fold_text
from drafter.guard.quantities import Quantity, extract_quantities
from drafter.guard.ranks import extract_ranks
from drafter.guard.unmatched import classify_unmatched

__all__ = ["FigureMatcher"]

_CLEAR = 0.75
"""A figure named at least this share of the best-named one counts as named too (a tie)."""
_SCALES = tuple(Decimal(10) ** k for k in (4, 8, -4, -8))
_CLAUSE_BREAK = re.compile(r"[，,。；;！!？?、：:\n\r]")


_REASONS = {
    "own": "its own words",
    "respectively": "its item of the 分别 list",
    "paired": "a paired count: it shares the subject of {partner}",
    "ellipsis": "the clause before (the subject is left out)",
}


class FigureMatcher:
    """One check: the figures, the quantities and their bindings, and what is found so far.

    Args:
        draft: the draft text, either script.
        figs: the figures.
        context: passages the model saw (numbers found there make ``stale``), or None.

    Attributes:
        qs: the quantities checked (amounts and ranks, in text order).
        found: figure index -> index in ``qs`` of the quantity that states it.
        concerned: figures a finding concerns (never reported ``missing``).
        clear: :data:`_CLEAR`, for the passes in other modules.
    """

    clear = _CLEAR

    def __init__(self, draft: str, figs: list[Figure], context: Sequence[str] | None) -> None:
        self.figs = figs
        self.keys = [figure_keys(f) for f in figs]
        self.bases = [{k[1] for k in ks} for ks in self.keys]
        self.names = NameIndex([f.name for f in figs])
        self.norm = norm = fold_text(draft)
        qs = sorted(extract_quantities(draft) + extract_ranks(draft), key=lambda q: q.start)
        self.user_words: list[tuple[Quantity, int]] = []
        self.qs = [q for q in qs if not self._in_name(q)]
        self.bindings: list[Binding] = bind(norm, self.qs)
        thresholds = [qi for qi in range(len(self.qs)) if self._threshold(qi)]
        if thresholds:
            self.qs = [q for qi, q in enumerate(self.qs) if qi not in thresholds]
            self.bindings = bind(norm, self.qs)
        self.context_keys = {
            amount_key(v, q.unit) for passage in (context or []) for q in extract_quantities(passage) for v in q.values
        }
        self.found: dict[int, int] = {}
        self.concerned: set[int] = set()

    # -- numbers that are the user's words ------------------------------------------
    def _in_name(self, q: Quantity) -> bool:
        """True for a number standing inside a figure's name written out in the draft (年出栏千头以上猪场)."""
        key = quantity_key(q)
        for i, f in enumerate(self.figs):
            name = fold_text(f.name)
            if key in self.keys[i]:
                continue  # “三个沿线”: a figure named with its own count
            if any(m.start() <= q.start and q.end <= m.end() for m in re.finditer(re.escape(name), self.norm)):
                self.user_words.append((q, i))
                return True
        return False

    def _threshold(self, qi: int) -> bool:
        """True for a figure's threshold (30万元以上 of 年经营性收入30万元以上的村), stated as in the name.

        The number must have the name's value and approximation, and stand by
        the name's words: the two characters before or after it in the name
        (…收入30万元以上, 50万元以上的村), or own words naming the figure.
        """
        q = self.qs[qi]
        key = quantity_key(q)
        if key is None or q.rank:
            return False
        own = self.bindings[qi].levels[0]
        norm = self.norm
        for i, f in enumerate(self.figs):
            name = fold_text(f.name)
            if key in self.keys[i]:
                continue  # “三个沿线”: the figure's own count
            for n in _name_numbers(f.name):
                if quantity_key(n, approximation=True) != quantity_key(q, approximation=True):
                    continue
                before, after = name[max(0, n.start - 2) : n.start], name[n.end : n.end + 2]
                if (before and norm[: q.start].endswith(before)) or (after and norm.startswith(after, q.end)) \
                        or self._scores(own, [i]):
                    self.user_words.append((q, i))
                    return True
        return False

    # -- scoring ----------------------------------------------------------------------
    def _scores(self, cues: Sequence[Cue], candidates: Sequence[int]) -> dict[int, float]:
        out = {}
        for i in candidates:
            total = self.names.score_cues(i, cues)
            if total > 0:
                out[i] = total
        return out

    def _ranked(self, qi: int, scores: dict[int, float]) -> dict[int, float]:
        """Scores for choosing between figures: a figure in another kind of unit than the quantity's counts half."""
        return {i: s * (1.0 if self._fits(qi, i) else 0.5) for i, s in scores.items()}

    def _allowed(self, qi: int, i: int) -> bool:
        """Figures that words further away may confirm: same unit, not the partner's, not taken."""
        if not self._fits(qi, i):
            return False
        partner = self.bindings[qi].partner
        if partner is not None and self.found.get(i) == partner:
            return False
        return self.found.get(i, qi) == qi

    def _levels(self, qi: int, among: set[int] | None = None):
        """(level, cues, scores) for each level that names some figure, nearest first.

        Level 0 may name any figure; further levels only figures :meth:`_allowed`
        (or, to break a tie of level 0, the figures of ``among``, a set the
        caller may fill while iterating).
        """
        everyone = range(len(self.figs))
        for li, cues in enumerate(self.bindings[qi].levels):
            if not cues:
                continue
            exact = self._exact(qi)
            if li == 0:
                cands: Sequence[int] = everyone
            elif among:  # breaking a tie: among the tied figures still free
                cands = sorted(i for i in among if i in exact or i not in self.found)
            else:
                cands = [i for i in everyone if i in exact or self._allowed(qi, i)]
            scores = self._scores(cues, cands)
            if scores:
                yield li, cues, scores

    def _why(self, qi: int, li: int, cues: Sequence[Cue], fig: int | None) -> str:
        b = self.bindings[qi]
        head = f" (head noun {b.head})" if b.head else ""
        if not cues:
            return f"no words around it name a figure{head}"
        cue = cues[0]
        reason = _REASONS[cue.reason].format(partner=self.qs[cue.partner].text if cue.partner is not None else "")
        words = "".join(dict.fromkeys(c.text for c in cues)).strip()
        if fig is None:
            return f"bound to no figure: {reason} ({words}) name none{head}"
        toks = "、".join(self.names.matched(fig, words)) or words
        return f"bound to {self.figs[fig].name} by {toks} ({reason}: {words})"

    def _exact(self, qi: int) -> list[int]:
        q = self.qs[qi]
        key = quantity_key(q)
        if key is not None and not q.unit and not q.rank:  # 240万 for 240万元, 12(场)次: the unit left out
            return [i for i, ks in enumerate(self.keys) if any(k[0] == key[0] and k[2] == key[2] for k in ks)]
        return [i for i, ks in enumerate(self.keys) if key in ks]

    def _fits(self, qi: int, i: int) -> bool:
        """Whether figure ``i`` is in the quantity's kind of unit (any, for an amount in 万/亿 without one: 240万)."""
        q = self.qs[qi]
        key = quantity_key(q)
        return key is not None and (key[1] in self.bases[i] or _bare_amount(q))

    def _same_number(self, q: Quantity, i: int) -> bool:
        f = self.figs[i]
        if q.value is None or q.rank or (q.high is None) != (f.high is None):
            return False
        if q.value == f.value and fold_text(q.unit) == fold_text(f.unit):
            return False  # the same number in the same unit: another range or approximation, not another unit
        pairs = [(q.value, f.value)] + ([(q.high, f.high)] if q.high is not None else [])
        return any(all(a == b * s for a, b in pairs) for s in (Decimal(1), *_SCALES))

    # -- the passes ------------------------------------------------------------------
    def run(self) -> list[Finding]:
        """Decide every quantity; returns the findings (``missing`` is the caller's, from :attr:`found`)."""
        findings: list[Finding] = []
        pending: list[int] = []
        deferred: list[int] = []
        for qi, q in enumerate(self.qs):
            if q.placeholder:
                findings.append(Finding("placeholder", q.text, q.start, q.end, None,
                                        f"{q.text} is a placeholder; put the figure in."))
                continue
            exact = self._exact(qi)
            if not exact:
                pending.append(qi)
                continue
            first = next(self._levels(qi), None)
            if first and first[0] == 0:
                verdict, which = self._judge(qi, first[1], first[2], exact)
                if verdict == "hit":
                    finding = self._take(qi, which, first[1])
                    if finding:
                        findings.append(finding)
                    continue
            deferred.append(qi)
        for qi in deferred:
            finding = self._resolve(qi)
            if finding:
                findings.append(finding)
        for qi in pending:
            findings.append(classify_unmatched(self, qi))
        self._second_chance()
        return findings

    def _take(self, qi: int, hits: list[int], cues: Sequence[Cue]) -> Finding | None:
        """The quantity is one of ``hits`` (named by its own words); check 增长 versus 增至."""
        q = self.qs[qi]
        i = next((i for i in hits if i not in self.found), hits[0])
        before = "".join(c.text for c in cues if c.end <= q.start)
        clash = _verb_clash(self.figs[i].name, before)
        if clash:
            self.concerned.add(i)
            return Finding("altered", q.text, q.start, q.end, self.figs[i].name, clash, self._why(qi, 0, cues, i))
        self.found.setdefault(i, qi)
        return None

    def _judge(self, qi: int, cues: Sequence[Cue], scores: dict[int, float], exact: list[int]) -> tuple[str, list[int]]:
        """What one level of words says about a quantity with the value and unit of the ``exact`` figures.

        Returns ``("hit", figures)`` when they name one of ``exact`` (at least
        3/4 of the best score, or half of it by a token only its name has, or
        3/4 of the best by the words that may contradict); ``("tie", figures)``
        when they name another figure as well; ``("contrary", [g])`` when the
        words that may contradict (not those after the head noun) name figure
        ``g`` clearly better than any of ``exact``; else ``("none", [])``.
        The partner's figure never competes, nor one standing elsewhere in
        another kind of unit.
        """
        partner = self.bindings[qi].partner
        pkey = quantity_key(self.qs[partner]) if partner is not None else None
        # neither the partner's figure (120户|356人) nor a figure standing elsewhere in another kind of unit
        # (2人|边缘易致贫户, the subject shared) competes with the quantity's own figures
        ranked = {i: v for i, v in self._ranked(qi, scores).items() if i in exact or not (
            (pkey is not None and pkey in self.keys[i]) or (i in self.found and not self._fits(qi, i)))}
        if not ranked:
            return "none", []
        top = max(ranked.values())
        others = [i for i in ranked if i not in exact]
        hits = [i for i in exact if i in ranked and (ranked[i] >= _CLEAR * top
                                                    or (ranked[i] >= top / 2 and self.names.distinctly(i, cues)))]
        rivals = [i for i in others if ranked[i] >= _CLEAR * top]
        if hits:
            return ("tie", hits + rivals) if rivals else ("hit", hits)
        strong = [c for c in cues if c.weight >= 1.0]
        contra = self._ranked(qi, self._scores(strong, [i for i in ranked])) if strong else {}
        if contra:
            best = max(contra, key=lambda i: contra[i])
            if any(contra.get(i, 0) >= _CLEAR * contra[best] for i in exact):
                return "hit", [i for i in exact if contra.get(i, 0) >= _CLEAR * contra[best]]
            return "contrary", [best]
        return "none", []

    def _resolve(self, qi: int) -> Finding | None:
        """A quantity with a figure's value and unit whose own words do not clearly name that figure."""
        exact = self._exact(qi)
        tied: set[int] = set()
        for li, cues, scores in self._levels(qi, among=tied):
            verdict, which = self._judge(qi, cues, scores, exact)
            if verdict == "tie" and li == 0:
                tied.update(which)  # own words name two figures alike: the words further away decide
                continue
            if verdict in ("hit", "tie"):
                i = next((i for i in which if i in exact and i not in self.found), next(i for i in which if i in exact))
                self.found.setdefault(i, qi)
                return None
            if verdict == "contrary" and (li == 0 or tied or (li == 1 and not any(scores.get(i) for i in exact))):
                return self._contrary(qi, li, cues, exact, which[0])
            if li > 0 and not tied and verdict != "none":
                break  # earlier clauses never contradict a figure's own value and unit
        i = next((i for i in exact if i not in self.found), exact[0])
        self.found.setdefault(i, qi)
        return None

    def _contrary(self, qi: int, li: int, cues: Sequence[Cue], exact: list[int], other: int) -> Finding | None:
        """The words name ``other``, not the figure whose value and unit the quantity has."""
        q = self.qs[qi]
        why = self._why(qi, li, cues, other)
        unfound = [i for i in exact if i not in self.found]
        if unfound:
            i = unfound[0]
            self.concerned.add(i)
            name = self.figs[i].name
            return Finding("misplaced", q.text, q.start, q.end, name,
                           f"{q.text} is the figure {name}, but its words name {self.figs[other].name}.", why)
        if other not in self.found and self._fits(qi, other):
            self.concerned.add(other)
            return Finding("altered", q.text, q.start, q.end, self.figs[other].name,
                           f"{q.text} is not {self.figs[other].name}, which is {self.figs[other].render()} "
                           f"({q.text} is the value of {self.figs[exact[0]].name}, which stands elsewhere).", why)
        return None  # both stand where they belong: a restatement (经调查，414名村干部…)

    def _second_chance(self) -> None:
        """A figure not found whose value stands where its name is, though another figure took the quantity.

        参保率、代缴率均达到100%: one quantity states two figures. And a figure
        whose number stands, unread, in a clause naming it (叫停6瓷土砂堆放点,
        组织100余干部: no measure word, so no quantity) is found too: the
        draft does state it, so it is never ``missing``.
        """
        for i in range(len(self.figs)):
            if i in self.found or i in self.concerned:
                continue
            for qi in range(len(self.qs)):
                if i in self._exact(qi) and any(
                    self.names.score(i, c.text) > 0 for level in self.bindings[qi].levels for c in level
                ):
                    self.found[i] = qi
                    break
            else:
                span = self._unread(i)
                if span:
                    self.qs.append(Quantity(self.figs[i].value, "", span[0], span[1], self.norm[span[0] : span[1]]))
                    self.found[i] = len(self.qs) - 1

    def _unread(self, i: int) -> tuple[int, int] | None:
        """Where figure ``i``'s number stands outside every quantity, in a clause naming the figure."""
        f = self.figs[i]
        number = re.sub(r"[^0-9.]", "", f.value_text or format_decimal(f.value))
        if not number or f.high is not None:
            return None
        taken = [(q.start, q.end) for q in self.qs]
        for m in re.finditer(rf"(?<![0-9.]){re.escape(number)}(?![0-9.]|\s*[年月日号时点])", self.norm):
            if any(a < m.end() and m.start() < b for a, b in taken):
                continue
            a = max((k.end() for k in _CLAUSE_BREAK.finditer(self.norm, 0, m.start())), default=0)
            nxt = _CLAUSE_BREAK.search(self.norm, m.end())
            if self.names.score(i, self.norm[a : nxt.start() if nxt else len(self.norm)]) > 0:
                return m.start(), m.end()
        return None


def _bare_amount(q: Quantity) -> bool:
    """An amount written with 万 or 亿 and no unit (240万, 近7万): it may stand for a figure in any unit."""
    return not q.unit and not q.rank and bool(re.search(r"[万萬亿億]", q.text))


@functools.lru_cache(maxsize=1024)
def _name_numbers(name: str) -> tuple[Quantity, ...]:
    return tuple(extract_quantities(name))
