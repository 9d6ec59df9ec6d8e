"""Binding a quantity to the thing it counts: the resolver behind the number guard.

A report writes 全村共有脱贫户120户356人, 组织120名机关干部, 奶牛存栏1.2万头，产量4.1万吨
and 蔬菜、水果产量分别增长12.5%、9%. To check that a number stands where its
figure's name is, the checker must know what each number counts. :func:`bind`
answers with a :class:`Binding` per quantity: an ordered list of *levels*, each
a few :class:`Cue` s (words of the draft and why they were chosen). The checker
(:mod:`drafter.guard.check`) takes the first level that names a figure.

The levels, in order (all within one sentence, cut at 。；！？ and line breaks):

0. **own words** (``own``): the words before the number back to the previous
   quantity (after the nouns that follow it: 120盏路灯), a connective (和, 与,
   及 …) or a clause break (，、：), and the words after it up to the next
   quantity, connective or break; the head noun after the number is read from
   jieba POS tags (组织120名 *机关干部*, 为6.6万 *养老人员*), and the words
   after that noun only ever confirm a figure (weight 0.7). With 分别
   (``respectively``), the n-th noun of the list before 分别 and the words
   between 分别 and the numbers (蔬菜、水果产量分别增长12.5%、9%: 12.5% is
   蔬菜产量增长, 9% 水果产量增长); a noun that only the last item carries
   (产量) is shared by all; with no list before 分别 in its clause, the
   earlier clauses are the items (接待游客12.6万人次，实现旅游综合收入860万元，
   分别比上年增长18%和22%);
1. **paired count** (``paired``): a quantity right after another, with only
   、，和 or a word of ``pair_gap_words`` between (120户356人, 25期、1753人次,
   40人6.5万元), shares the first one's subject — its own words, and its
   partner's in turn; a noun right after the pair is the first one's too
   (38户112人 *边缘易致贫户*), and a noun right after the first ends the pair
   (112人边缘易致贫户和6户18人 are two items);
2. **ellipsis** (``ellipsis``): the clauses before, nearest first, whose
   subject the clause leaves out (女性党员偏少，只有6人; 奶牛存栏1.2万头，产量4.1万吨).

Which figure a level names is decided by :class:`drafter.guard.name_index.NameIndex`: a figure's name
is cut into jieba search-mode tokens (新建改造农村公路 → 新建, 改造, 农村, 公路,
农村公路), function and scope words and the unit word dropped (培训人次 → 培训:
``开展培训…1200人次`` names it), and each token found in the cue scores its
length, doubled when no other figure's name has it and halved for a table
suffix (沼气池 *数量*, 渠系 *总长*, 资助 *金额*; ``table_suffixes``). The word
lists live in ``drafter/data/binding.yaml``.
"""

from __future__ import annotations

import bisect
import functools
import re
from collections.abc import Sequence
from dataclasses import dataclass


from drafter.guard.numerals import fold_text
from drafter.text.textutil import jieba as jieba_module
from drafter.guard.quantities import Quantity
from drafter.data import load_yaml
from drafter.text.textutil import HAN

__all__ = ["Binding", "BindingLexicon", "Cue", "bind", "lexicon", "pos_tags"]

_SENTENCE = re.compile(r"[。；;！!？?\n\r]")
_CLAUSE = re.compile(r"[，,、：:。；;！!？?\n\r]|(?:[一二三四五六七八九十]+是|第[一二三四五六七八九十]+[，,、]|首先|其次|再次|最后)")
_GAP_PUNCT = re.compile(r"[、，,\s]*")
_NOUNISH = ("n", "vn", "an", "j", "b", "l", "nz", "ng", "nr", "ns", "nt")
_LIST_JOINS = frozenset({"、", "和", "与", "及", "以及", "跟", "同"})


@dataclass(frozen=True)
class BindingLexicon:
    """The word lists of ``drafter/data/binding.yaml`` (folded to simplified script)."""

    table_suffixes: frozenset[str]
    name_stop_words: frozenset[str]
    connectives: frozenset[str]
    pair_gap_words: tuple[str, ...]
    respectively: tuple[str, ...]
    rank_verbs: tuple[str, ...]
    rank_scopes: tuple[str, ...]


@functools.lru_cache(maxsize=1)
def lexicon() -> BindingLexicon:
    """Load ``drafter/data/binding.yaml`` (cached).

    Raises:
        ValueError: the file lacks a list (a packaging bug, not user input).
    """
    data = load_yaml("binding.yaml")

    def words(key: str) -> list[str]:
        value = data.get(key)
        if not isinstance(value, list):
            raise ValueError(f"binding.yaml: '{key}' must be a list")
        return [fold_text(str(w)).strip() for w in value if str(w).strip()]

    by_length = functools.partial(sorted, key=len, reverse=True)
    return BindingLexicon(
        table_suffixes=frozenset(words("table_suffixes")),
        name_stop_words=frozenset(words("name_stop_words")),
        connectives=frozenset(words("connectives")),
        pair_gap_words=tuple(by_length(words("pair_gap_words"))),
        respectively=tuple(words("respectively")),
        rank_verbs=tuple(words("rank_verbs")),
        rank_scopes=tuple(words("rank_scopes")),
    )


@dataclass(frozen=True)
class Token:
    """One jieba word with its POS tag and offsets in the folded draft."""

    word: str
    flag: str
    start: int
    end: int


@functools.lru_cache(maxsize=8)
def pos_tags(norm: str) -> tuple[Token, ...]:
    """jieba POS tags of folded text, with offsets (``jieba.posseg``, dictionary words only: the HMM for
    unknown words is 500 times slower and changes no binding of the guard suites).

    Args:
        norm: text folded by :func:`drafter.guard.numerals.fold_text`.

    Returns:
        The words in order; their offsets tile ``norm``.
    """
    import jieba.posseg as pseg

    jieba_module()
    out, pos = [], 0
    for pair in pseg.cut(norm, HMM=False):
        out.append(Token(pair.word, pair.flag, pos, pos + len(pair.word)))
        pos += len(pair.word)
    return tuple(out)


@dataclass(frozen=True)
class Cue:
    """Words of the draft that a quantity may count.

    Attributes:
        text: the words (folded, simplified script).
        reason: ``own``, ``respectively``, ``paired`` or ``ellipsis`` (see the module docstring).
        start, end: their span in the draft.
        weight: how much a name found here counts (1; words after the number 0.7).
        partner: for ``paired``, the index of the quantity whose subject is shared.
    """

    text: str
    reason: str
    start: int
    end: int
    weight: float = 1.0
    partner: int | None = None


@dataclass(frozen=True)
class Binding:
    """What one quantity may count, level by level (see the module docstring).

    Attributes:
        levels: ``levels[0]`` own words (or the 分别 item), ``levels[1]`` the
            paired count's partner (empty when the quantity is not paired),
            then one level per earlier clause of the sentence, nearest first.
        head: the head noun read from POS tags (for the user's note), or ``""``.
        partner: index of the quantity of a paired count, else None.
    """

    levels: tuple[tuple[Cue, ...], ...]
    head: str = ""
    partner: int | None = None


def _spans(pattern: re.Pattern[str], norm: str, keep: Sequence[tuple[int, int]] = ()) -> list[tuple[int, int]]:
    """The pieces of ``norm`` between matches of ``pattern`` (a match inside a ``keep`` span, 排名第五，, is no cut)."""
    cuts = [0]
    for m in pattern.finditer(norm):
        a, b = m.start(), m.end()
        if b - a > 1 and any(x < b and a < y for x, y in keep):
            if not re.fullmatch(r"[，,、]", norm[b - 1]):
                continue
            a = b - 1  # 排名第五，: the rank is no enumeration marker, the comma still cuts
        cuts.extend((a, b))
    cuts.append(len(norm))
    return [(a, b) for a, b in zip(cuts[::2], cuts[1::2]) if b > a]


def _containing(spans: list[tuple[int, int]], pos: int, n: int) -> tuple[int, int]:
    return next(((a, b) for a, b in spans if a <= pos < b), (0, n))


class _Resolver:
    def __init__(self, norm: str, quantities: Sequence[Quantity]) -> None:
        self.norm = norm
        self.qs = list(quantities)
        self.lex = lexicon()
        self.tokens = pos_tags(norm)
        self.starts = [t.start for t in self.tokens]
        self.q_spans = [(q.start, q.end) for q in self.qs]
        self.qmask = bytearray(len(norm) + 1)
        for a, b in self.q_spans:
            self.qmask[a:b] = b"\x01" * (b - a)
        self.sentences = _spans(_SENTENCE, norm)
        self.clauses = _spans(_CLAUSE, norm, self.q_spans)

    # -- small helpers ---------------------------------------------------------
    def _in_quantity(self, t: Token) -> bool:
        return any(self.qmask[t.start : t.end])

    def _within(self, a: int, b: int) -> list[Token]:
        """The tokens lying inside [a, b)."""
        lo, hi = bisect.bisect_left(self.starts, a), bisect.bisect_left(self.starts, b)
        return [t for t in self.tokens[lo:hi] if t.end <= b]

    def _noun_run(self, pos: int, limit: int) -> tuple[int, str]:
        """The run of noun-like words starting at ``pos`` (组织120名|机关干部|开展): (end, head).

        Up to three single characters the dictionary leaves apart (adjective,
        verb, adverb …) join the run when a noun follows them: 边缘|易|致|贫户.
        """
        toks, n = self.tokens, len(self.tokens)
        i = max(0, bisect.bisect_right(self.starts, pos) - 1)
        while i < n and (toks[i].end <= pos or self._in_quantity(toks[i])):
            i += 1
        end, words = pos, []

        def noun(k: int) -> bool:
            return k < n and toks[k].flag.startswith(_NOUNISH) and toks[k].end <= limit and not self._in_quantity(toks[k])

        while i < n and toks[i].start == end and toks[i].start < limit and not self._in_quantity(toks[i]):
            k = i
            while k < n and k - i < 3 and len(toks[k].word) == 1 and toks[k].flag[:1] in "avdbz" and not noun(k):
                k += 1
            if k == i and toks[i].flag == "a":
                k = i + 1
            if not noun(k):
                break
            words.extend(t.word for t in toks[i : k + 1])
            end, i = toks[k].end, k + 1
        return end, "".join(words)

    def _cut_connective(self, a: int, b: int, keep: str) -> tuple[int, int]:
        """Narrow [a, b) to the words after (keep='after') or before the connective nearest the number."""
        inside = [t for t in self._within(a, b) if t.word in self.lex.connectives]
        if not inside:
            return a, b
        return (inside[-1].end, b) if keep == "after" else (a, inside[0].start)

    def _head_before(self, a: int, b: int) -> str:
        words = [t for t in self._within(a, b) if not self._in_quantity(t)]
        run: list[str] = []
        for t in reversed(words):
            if t.word in self.lex.name_stop_words:
                continue  # 全县, 本村: scope words are no head
            if t.flag.startswith(_NOUNISH):
                run.insert(0, t.word)
            elif run:
                break
        return "".join(run)

    # -- the levels -----------------------------------------------------------------
    def own(self, i: int) -> tuple[list[Cue], str, int]:
        """Level 0 cues of quantity ``i``, its head noun, and where its own words end."""
        q, norm = self.qs[i], self.norm
        cs, ce = _containing(self.clauses, q.start, len(norm))
        prev_end = max([cs] + [self.after_nouns[j] for j in range(i) if cs < self.qs[j].end <= q.start])
        nxt = min([ce] + [o.start for o in self.qs[i + 1 :] if q.end <= o.start < ce])
        la, lb = self._cut_connective(prev_end, q.start, "after")
        ra, rb = self._cut_connective(q.end, nxt, "before")
        cues = []
        if lb > la:
            cues.append(Cue(norm[la:lb], "own", la, lb))
        run_end, after_head = self._noun_run(q.end, rb)
        if run_end > q.end:
            cues.append(Cue(norm[q.end:run_end], "own", q.end, run_end))
        if rb > run_end:
            cues.append(Cue(norm[run_end:rb], "own", run_end, rb, weight=0.7))
        head = after_head or self._head_before(la, lb)
        return cues, head, run_end

    def respectively(self) -> dict[int, Cue]:
        """分别 lists: quantity index -> the cue of its item."""
        out: dict[int, Cue] = {}
        norm = self.norm
        for word in self.lex.respectively:
            for m in re.finditer(re.escape(word), norm):
                p = m.start()
                ss, se = _containing(self.sentences, p, len(norm))
                hard = [k.end() for k in re.finditer(r"[，,：:]", norm[ss:p])]
                a = ss + (hard[-1] if hard else 0)
                cuts = [a] + [x for t in self._within(a, p) if t.word in _LIST_JOINS for x in (t.start, t.end)] + [p]
                items = [norm[x:y] for x, y in zip(cuts[::2], cuts[1::2]) if norm[x:y].strip()]
                after = [j for j, q in enumerate(self.qs) if m.end() <= q.start < se]
                chain = []
                for j in after:
                    gap = norm[(self.qs[chain[-1]].end if chain else m.end()) : self.qs[j].start]
                    if chain and not re.fullmatch(r"[、，,和及与\s]*", gap):
                        break
                    if not chain and re.search(r"[，,]", gap):
                        break
                    chain.append(j)
                if len(items) < 2 and len(chain) >= 2:
                    # 接待游客12.6万人次，实现旅游综合收入860万元，分别增长18%和22%: the earlier clauses are the items
                    before = [c for c in self.clauses if ss <= c[0] and c[1] <= a and HAN.search(norm[c[0] : c[1]])]
                    if len(before) >= len(chain):
                        items = [norm[x:y] for x, y in before[-len(chain) :]]
                if len(items) < 2 or len(items) != len(chain):
                    continue
                verb = norm[m.end() : self.qs[chain[0]].start]
                nouns = [t.word for t in self._within(cuts[-2], p) if t.flag.startswith(_NOUNISH)]
                shared = nouns[-1] if len(nouns) > 1 else ""  # 水果产量: 产量 is every item's
                for item, j in zip(items, chain):
                    text = item + (shared if shared and shared not in item else "") + verb
                    out.setdefault(j, Cue(text, "respectively", a, m.end()))
        return out

    def paired(self, i: int) -> int | None:
        """The quantity whose subject quantity ``i`` shares (120户356人), or None."""
        if i == 0:
            return None
        prev, q = self.qs[i - 1], self.qs[i]
        ss, _ = _containing(self.sentences, q.start, len(self.norm))
        if prev.end <= ss:
            return None
        if self.after_nouns[i - 1] > prev.end:
            return None  # 112人边缘易致贫户和6户: a noun closes the first item
        gap = self.norm[self.after_nouns[i - 1] : q.start]
        words = _GAP_PUNCT.sub("", gap)
        while words:
            for w in self.lex.pair_gap_words:
                if words.startswith(w):
                    words = words[len(w) :]
                    break
            else:
                return None
        return i - 1

    def ellipsis(self, i: int) -> list[tuple[Cue, ...]]:
        """Earlier clauses of the sentence, nearest first."""
        q, norm = self.qs[i], self.norm
        ss, _ = _containing(self.sentences, q.start, len(norm))
        cs, _ = _containing(self.clauses, q.start, len(norm))
        out = []
        for a, b in reversed([c for c in self.clauses if ss <= c[0] and c[1] <= cs]):
            if HAN.search(norm[a:b]):
                out.append((Cue(norm[a:b], "ellipsis", a, b),))
        return out

    def run(self) -> list[Binding]:
        self.after_nouns = [q.end for q in self.qs]
        for i, q in enumerate(self.qs):
            nxt = min([len(self.norm)] + [o.start for o in self.qs[i + 1 :] if o.start >= q.end])
            self.after_nouns[i] = self._noun_run(q.end, nxt)[0]
        resp = self.respectively()
        own = [self.own(i) for i in range(len(self.qs))]
        for i in range(1, len(self.qs)):
            if i not in resp and self.paired(i) == i - 1:  # 38户112人边缘易致贫户: the noun after the pair is the first's too
                after = [c for c in own[i][0] if c.start >= self.qs[i].end]
                own[i - 1] = (own[i - 1][0] + after, own[i - 1][1] or own[i][1], own[i - 1][2])
        out = []
        for i in range(len(self.qs)):
            cues, head, _ = own[i]
            if i in resp:
                cues = [resp[i]]
            partner = None if i in resp else self.paired(i)
            paired_level: list[Cue] = []
            j = partner
            while j is not None and len(paired_level) < 6:
                paired_level.extend(Cue(c.text, "paired", c.start, c.end, c.weight, j) for c in own[j][0])
                j = self.paired(j) if not own[j][0] else None
            if partner is not None and not head:
                head = own[partner][1]
            out.append(Binding((tuple(cues), tuple(paired_level), *self.ellipsis(i)), head, partner))
        return out


def bind(norm: str, quantities: Sequence[Quantity]) -> list[Binding]:
    """Resolve what each quantity of a draft may count.

    Args:
        norm: the draft folded by :func:`drafter.guard.numerals.fold_text` (offsets
            are the draft's).
        quantities: its quantities in text order (amounts and ranks), with
            offsets into ``norm``.

    Returns:
        One :class:`Binding` per quantity, in the same order.

    Example:
        >>> from drafter.guard.quantities import extract_quantities
        >>> text = "全村共有脱贫户120户356人。"
        >>> b = bind(text, extract_quantities(text))
        >>> b[1].partner, b[1].levels[1][0].text
        (0, '全村共有脱贫户')
    """
    if not quantities:
        return []
    return _Resolver(norm, quantities).run()
