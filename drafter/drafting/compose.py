"""Numbers by construction: the engine writes every clause that carries a figure.

Measured on the embedded models (shared/notes/number-strategies.md): prompting
alone put every figure right in at most 3 of 18 runs, and slots or grammars
broke the prose. So in the ``compose`` strategy the model never types a
number. Drafter

1. groups the section's figures and facts by topic (``drafter/data/topics.yaml``),
2. writes each figure clause itself from the figure — its name, then its value
   and unit exactly as given (``新建改造农村公路4.5公里``; a level takes 达到:
   ``脱贫户人均纯收入达到15200元``; the rules are :mod:`drafter.drafting.clauses`) — and
   lists them in the genre's enumeration (一是……；二是……。),
3. asks the model only for the numeral-free text around them (lead-ins, an
   introduction, problems, plans) as JSON, and
4. drops every sentence of model text that still contains a quantity or a
   placeholder (found by :func:`drafter.guard.quantities.extract_quantities`), so no
   number can enter the draft except through a figure clause, and every
   sentence that carries another place's name or a copied run from the
   passages (:func:`stale_sentence_filter`), so no name enters except the
   user's own.

The passages show the model only their voice: :func:`voice_excerpt` leaves out
every sentence with a number and, given the user's words, every sentence naming
another place.
"""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field


from drafter.figures import Fact, Figure
from drafter.text.script import to_simplified, to_simplified_script
from drafter.data import load_yaml
from drafter.text.textutil import HAN, sentences

CN_ORDINALS = "一二三四五六七八九十"
"""Ordinals for 一是…十是 and （一）…（十） enumerations."""


def ordinal(n: int) -> str:
    """Chinese ordinal numeral for 1…99 (一, 十一, 二十三)."""
    if n <= 10:
        return CN_ORDINALS[n - 1]
    tens, ones = divmod(n, 10)
    return ("" if tens == 1 else CN_ORDINALS[tens - 1]) + "十" + (CN_ORDINALS[ones - 1] if ones else "")


@functools.lru_cache(maxsize=1)
def topics() -> list[dict]:
    """The topic lexicon: ``[{"heading": str, "keywords": [str]}]``; the last is the catch-all."""
    return load_yaml("topics.yaml")


def topic_of(text: str) -> int:
    """Index of the topic ``text`` is about.

    A topic's own heading, problem or plan heading (完善基础设施建设) is that topic.
    Otherwise the keyword that ends last in ``text`` (simplified) decides, the
    longer one on a tie: a Chinese noun phrase ends with its head, so
    冷库运营和电商销售缺少本土人才 is about 人才, not 电商, and 村集体经济收入 about
    集体经济收入, not 收入. No keyword: the last (catch-all) topic.
    """
    t = to_simplified(text)
    for i, topic in enumerate(topics()):
        if t in (topic["heading"], topic.get("problem"), topic.get("plan")):
            return i
    best: tuple[int, int, int] | None = None  # (end, length, -index)
    for i, topic in enumerate(topics()):
        for k in topic.get("keywords", []):
            at = t.rfind(k)
            if at >= 0:
                key = (at + len(k), len(k), -i)
                best = key if best is None or key > best else best
    return -best[2] if best else len(topics()) - 1


def figure_clause(fig: Figure, kind: str = "work") -> str:
    """The clause that carries one figure, in simplified script (:func:`drafter.drafting.clauses.figure_clause`).

    ``新建改造农村公路`` + 4.5公里 → ``新建改造农村公路4.5公里`` (an action takes the value);
    ``脱贫户人均纯收入`` + 15630元 → ``脱贫户人均纯收入达到15630元`` (a level takes 达到);
    ``各项惠农补贴`` + 0.86亿元 → ``发放各项惠农补贴0.86亿元`` (a money noun takes its verb).
    In ``next_steps`` an action is planned (``计划新建…``) and a level aimed at (``力争…达到``).
    """
    from drafter.drafting.clauses import figure_clause as clause

    return clause(fig, kind)


def fact_clause(fact: Fact) -> str:
    """A fact as an enumeration item (simplified character by character, without final punctuation)."""
    from drafter.drafting.clauses import user_words

    return user_words(fact.text.strip()).rstrip("。；;，,")


@dataclass
class Group:
    """One （一）… subsection of a section: a heading and its items."""

    heading: str
    figures: list[Figure] = field(default_factory=list)
    facts: list[Fact] = field(default_factory=list)

    def items(self, kind: str = "work", mentioned: str = "") -> list[str]:
        """Clauses of this group: figure clauses, then facts (a fact ``mentioned`` in the lead already is not repeated)."""
        facts = [fact_clause(f) for f in self.facts]
        return [figure_clause(f, kind) for f in self.figures] + [f for f in facts if f not in mentioned]

    def outline(self) -> list[str]:
        """What the model is told about the group: figure names (no values) and facts."""
        from drafter.drafting.clauses import user_words

        return [user_words(f.name) for f in self.figures] + [fact_clause(f) for f in self.facts]


def group_by_topic(figures: list[Figure], facts: list[Fact]) -> list[Group]:
    """Group figures and facts by topic, in lexicon order; empty topics are left out."""
    groups: dict[int, Group] = {}
    for fig in figures:
        i = topic_of(fig.name)
        groups.setdefault(i, Group(topics()[i]["heading"])).figures.append(fig)
    for fact in facts:
        i = topic_of(fact.text)
        groups.setdefault(i, Group(topics()[i]["heading"])).facts.append(fact)
    return [groups[i] for i in sorted(groups)]


def enumerate_items(items: list[str]) -> str:
    """``一是A；二是B；三是C。`` (a single item is written as ``A。``)."""
    if not items:
        return ""
    if len(items) == 1:
        return items[0] + "。"
    return "；".join(f"{ordinal(i)}是{it}" for i, it in enumerate(items, 1)) + "。"


MIN_HAN = 6


def han(text: str) -> list[str]:
    """The Han characters of ``text``."""
    return HAN.findall(text)

"""A model sentence with fewer Han characters than this is a fragment and is dropped."""
_DIGIT = re.compile(r"[0-9０-９]")
_MASK = "××"
_LABEL = re.compile(r"^(第[一二三四五六七八九十\d]+(小节|项|部分|句)|小节[一二三四五六七八九十\d]+|引导语|intro|leads?)\s*[:：]\s*", re.I)
_MD = re.compile(r"^\s*(#+|[-*>]|\d+[.、)]|（[一二三四五六七八九十]+）|[一二三四五六七八九十]+、)\s*")


ECHO_NGRAM = 14
"""A model sentence sharing a run of this many letters (punctuation ignored) with the prompt's own wording is an echo."""


def _ngrams(text: str, n: int = ECHO_NGRAM) -> set[str]:
    """Character n-grams of the text's letters (punctuation and quotes removed, so 「」 vs ‘’ don't hide an echo)."""
    text = "".join(re.findall(r"\w", text))
    return {text[i : i + n] for i in range(max(0, len(text) - n + 1))}


def clean_model_text(text: str, max_sentences: int | None = None, echo_of: str = "",
                     reject: Callable[[str], bool] | None = None) -> tuple[str, list[str]]:
    """Keep only numeral-free sentences of model-written text.

    Removes Markdown/list markers and chat artefacts, then drops each sentence
    containing a digit, a quantity or a placeholder (model text carries no
    numbers in this strategy, so a year or a date is dropped too), and each
    sentence that echoes the prompt's instructions (``echo_of``: a shared run
    of :data:`ECHO_NGRAM` characters), and each sentence ``reject`` says no to
    (``reject(sentence) -> True``; see :func:`stale_sentence_filter`).

    Returns:
        ``(clean_text, dropped_sentences)``; clean text ends with 。 when non-empty.
    """
    from drafter.guard.quantities import extract_quantities

    text = to_simplified(str(text or "")).replace("\n", "")
    text = _MD.sub("", text.replace("**", "").replace("`", "")).strip()
    kept: list[str] = []
    dropped: list[str] = []
    echo = _ngrams(to_simplified(echo_of)) if echo_of else set()
    for sent in (text[a:b] for a, b in sentences(text, lines=False)):
        s = sent.strip()
        if not s:
            continue
        s = _LABEL.sub("", s)
        if not s:
            continue
        if (len(HAN.findall(s)) < MIN_HAN or _DIGIT.search(s) or _MASK in s or extract_quantities(s)
                or (echo and _ngrams(s) & echo) or (reject is not None and reject(s))):
            dropped.append(s)
            continue
        kept.append(s)
    if max_sentences is not None:
        kept = kept[:max_sentences]
    out = "".join(kept)
    if out and out[-1] not in "。！？；":
        # a reply cut short (length limit): end at the last complete clause
        cut = max(out.rfind("，"), out.rfind("；"), out.rfind("、"))
        if cut > len(out) // 2:
            out = out[:cut]
    if out and out[-1] not in "。！？":
        out = out.rstrip("；;，,、") + "。"
    return out, dropped


def parse_json_reply(text: str) -> dict | None:
    """Parse a model's JSON object reply, tolerating code fences and text around it; None if impossible."""
    t = text.strip()
    t = re.sub(r"^```(?:json)?\s*|\s*```$", "", t)
    for candidate in (t, t[t.find("{") : t.rfind("}") + 1] if "{" in t and "}" in t else ""):
        if not candidate:
            continue
        try:
            data = json.loads(candidate)
        except json.JSONDecodeError:
            continue
        if isinstance(data, dict):
            return data
    return None


def voice_excerpt(text: str, max_chars: int = 120, allowed_text: str | None = None) -> str:
    """The numeral-free sentences of a past passage, up to ``max_chars`` characters.

    What the model sees of a past report in the ``compose`` strategy: its voice
    without its figures (a sentence with a quantity or placeholder is left out
    whole, so nothing invites the model to fill a gap) and, when
    ``allowed_text`` is given, without its places: a sentence naming anything
    not in ``allowed_text`` (:func:`drafter.guard.names.extract_names`) is left out too.
    """
    from drafter.guard.names import extract_names, name_key
    from drafter.drafting.passages import is_instruction
    from drafter.guard.quantities import extract_quantities

    allowed = name_key(allowed_text) if allowed_text is not None else None
    out = ""
    flat = to_simplified_script(text).replace("\n", "")
    for sent in (flat[a:b] for a, b in sentences(flat)):
        s = sent.strip()
        if not s or _DIGIT.search(s) or extract_quantities(s) or is_instruction(s):
            continue
        if allowed is not None and any(n.key not in allowed for n in extract_names(s)):
            continue
        if len(out) + len(s) > max_chars:
            break
        out += s
    return out


def stale_sentence_filter(context: Sequence[str], allowed_text: str, copied_chars: int = 20) -> Callable[[str], bool]:
    """A ``reject`` for :func:`clean_model_text`: True for a sentence the check would fault.

    A sentence is rejected when it carries a name found in ``context`` but not
    in ``allowed_text`` (:func:`drafter.guard.names.find_stale_names`) or a run of
    ``copied_chars`` characters standing in a passage (:func:`drafter.guard.copying.find_copied`).

    Args:
        context: the passages retrieved for the section (whole, as the check sees them).
        allowed_text: the user's words (:func:`drafter.guard.check.allowed_text`).
        copied_chars: shortest copied run, as in the check.
    """
    from drafter.guard.copying import find_copied
    from drafter.guard.names import find_stale_names

    passages = [c for c in context if c]

    def reject(sentence: str) -> bool:
        if not passages:
            return False
        return bool(find_stale_names(sentence, passages, allowed_text) or find_copied(sentence, passages, copied_chars))

    return reject
