"""The ``weave`` strategy's paragraphs: the model writes the prose, the engine keeps the numbers.

A section is planned as paragraphs (:class:`Paragraph`): the clauses Drafter
writes itself (:mod:`drafter.drafting.clauses`: every figure clause and every fact), in
order, and the parts the model writes around them — a lead (how the work was
done), one effect after each clause (what it changed), a close (the overall
result); for problems and plans, a heading and an explanation. Measured on the
embedded 1.5B model (docs/weave-notes.md): asked for such a paragraph, it writes
the genre's own shape — 坚持…，围绕…。一是新建改造农村公路4.5公里，群众出行更加便捷；
二是… — and a llama.cpp grammar built from the plan (:func:`grammar`) holds it
there: every clause verbatim, in order, exactly once; no digit, Latin letter,
line break, Markdown, quotation mark or bracket anywhere else; each part's
length bounded; in work done no 将. With a server that takes no grammar the
reply is parsed the same way (:func:`split_reply`) and must hold every clause
verbatim and once; the engine asks again, then falls back to ``compose`` for
that paragraph.

Each part the model wrote is then read on its own (:func:`part_problem`): a
part with a number, a prompt's words, an echo of the prompt or a passage,
another place's name, plan wording in work done, or a deliverable the input
does not hold is dropped, and the paragraph is assembled from what is left
(:func:`assemble`). So no number enters except through a clause, and no clause
can lose its name.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from drafter.drafting.clauses import Clause
from drafter.text.textutil import han_count
from drafter.text.textutil import HAN

CN = "一二三四五六七八九十"

LEAD_OPENERS = ("坚持", "围绕", "聚焦", "始终把", "立足", "着眼", "紧扣", "以")
"""Words a lead of 工作开展情况 may start with (the genre's: 坚持把…作为…, 围绕…); forcing
one keeps the model from writing about the task (本小节的思路是…)."""
CLOSE_OPENERS = ("通过", "经过", "目前", "如今", "一系列")
"""Words a paragraph's closing sentence may start with (通过一系列举措，…)."""
EFFECT_OPENERS = ("有效", "进一步", "切实", "明显", "极大", "显著", "不断", "持续", "带动", "推动", "促进", "提升", "提高", "改善",
                  "增强", "保障", "满足", "解决", "使", "让", "为", "群众", "村民", "全村", "农户", "实现", "惠及", "打通",
                  "补齐", "拓宽", "丰富", "形成", "营造", "夯实", "激发", "筑牢", "得到", "受到", "获得", "方便", "减轻", "助力")
"""Words the effect after a clause may start with: forcing one keeps the model from running on
into the next item (一是…，二是…) and makes it say what the work changed."""
HEADING_OPENERS_PLAN = ("持续", "进一步", "加快", "全力", "着力", "扎实", "深入", "大力", "全面", "不断", "坚持", "聚焦")
"""Words the heading of a plan may start with (持续壮大村级集体经济)."""
PLAN_OPENERS = ("坚持", "围绕", "聚焦", "持续", "进一步", "加快", "全力", "着力", "深入", "扎实", "紧盯", "推动")
"""Words the explanation of a plan may start with."""
PROBLEM_OPENERS = ("部分", "个别", "目前", "当前", "由于", "受", "虽然", "尽管", "村内", "群众", "现有")
"""Words the first sentence of a problem may start with: into its concrete signs (部分…, 由于…),
not a restatement (存在的问题在于…)."""
PROBLEM_CLOSERS = ("导致", "制约", "影响", "一定程度上", "在一定程度上", "从而", "这在", "长此以往", "如不")
"""Words the second sentence of a problem may start with: its consequence."""
PROBLEM_EFFECTS = ("说明", "反映出", "表明", "可见", "导致", "影响", "制约", "占用", "挤占", "难以", "不利于", "给")
"""Words the text after a problem's evidence may start with: what the figure shows is wrong (a small
model otherwise praises it: 设施年维护费用6.4万元，为…提供了有力的资金保障)."""
PLAN_CLOSERS = ("确保", "力争", "推动", "促进", "让", "使", "进一步", "切实", "不断", "努力")
"""Words the second sentence of a plan may start with: what it is to achieve."""
OPENING_OPENERS = ("今年以来", "近年来", "一年来", "按照", "在", "自")
"""Words an opening may start with."""
CLOSING_OPENERS = ("下一步", "今后", "下阶段")
"""Words a closing may start with."""

_FREE_EXCLUDED = "0-9０-９A-Za-zＡ-Ｚａ-ｚ\\n\\r\\t #*_`~|<>（）()“”\"‘’'《》〈〉【】「」『』\\[\\]{}：:　。；;!?！？…"
"""Characters a free part may not contain (GBNF class body): digits, Latin letters, line
breaks, Markdown, brackets and quotes, and the sentence marks the plan itself places."""


@dataclass
class Paragraph:
    """What one model call writes: fixed clauses and the free parts around them.

    Attributes:
        kind: section kind (``work``, ``problems``, ``next_steps``, ``opening``, ``closing``).
        clauses: the clauses Drafter writes, in order (figure clauses and facts).
        heading: topic of the paragraph (the （一）… heading it stands under, or the
            problem/plan it states); shown to the model.
        enumerate: write the clauses as 一是……；二是…… (two or more clauses).
        lead, effects, close: which free parts the model writes.
        own_heading: the model writes the item's heading (problems, plans).
        title: an item heading Drafter writes before the paragraph (``产业发展基础仍然薄弱``,
            printed ``（一）产业发展基础仍然薄弱。…``).
        target: wanted Han characters of the paragraph.
        fixed_head: text the engine writes before the lead, which the model continues
            (the opening's 2025年，…工作队在…的坚强领导下，).
        fixed_tail: text the engine appends after the close (现将有关情况报告如下：).
    """

    kind: str
    clauses: list[Clause] = field(default_factory=list)
    heading: str = ""
    enumerate: bool = False
    lead: bool = True
    effects: bool = True
    close: bool = True
    own_heading: bool = False
    title: str = ""
    target: int = 200
    fixed_head: str = ""
    fixed_tail: str = ""

    def marker(self, i: int) -> str:
        """The enumeration marker before clause ``i`` (``一是`` …, or ``""``)."""
        return f"{CN[i]}是" if self.enumerate and i < len(CN) else ""

    def literal(self, i: int) -> str:
        """Clause ``i`` as it must stand in the reply (marker included)."""
        return self.marker(i) + self.clauses[i].text

    # -- free-part lengths (Han characters) --------------------------------
    def budget(self) -> dict[str, tuple[int, int]]:
        """``{part: (min, max)}`` characters for each free part, from :attr:`target`."""
        fixed = sum(len(c.text) for c in self.clauses) + len(self.fixed_tail)
        free = max(40, self.target - fixed)
        n_eff = len(self.clauses) if self.effects else 0
        share = {"lead": 0.3 if self.lead else 0, "close": 0.25 if self.close else 0, "heading": 0,
                 "effect": 0.45 / n_eff if n_eff else 0}
        total = sum(v for k, v in share.items() if k != "effect") + share["effect"] * n_eff or 1
        out = {}
        if self.own_heading:
            out["heading"] = (6, 14)
        # the upper bounds are generous (the prompt asks for the length): a bound the
        # model reaches cuts its sentence, so it must rarely be reached
        # the lower bounds keep a part from being a bare phrase (…。一是…，有效。)
        if self.lead:
            mx = min(140, max(70, round(1.6 * free * share["lead"] / total)))
            out["lead"] = (min(50, mx // 2), mx)
        if n_eff:
            mx = min(76, max(38, round(1.6 * free * share["effect"] / total)))
            out["effect"] = (22, mx)
        if self.close:
            mx = min(120, max(60, round(1.6 * free * share["close"] / total)))
            out["close"] = (min(36, mx // 2), mx)
        return out


def _lit(s: str) -> str:
    return '"' + s.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _alts(words: Sequence[str]) -> str:
    return "(" + " | ".join(_lit(w) for w in words) + ")"


def openers(p: Paragraph) -> tuple[Sequence[str], Sequence[str]]:
    """The words the lead and the close may start with, for the paragraph's kind."""
    if p.kind == "next_steps":
        return PLAN_OPENERS, PLAN_CLOSERS
    if p.kind == "opening":
        return OPENING_OPENERS, ()
    if p.kind == "closing":
        return CLOSING_OPENERS, ()
    if p.kind == "problems":
        return PROBLEM_OPENERS, PROBLEM_CLOSERS
    return LEAD_OPENERS, CLOSE_OPENERS


def grammar(p: Paragraph, forbid: str = "") -> str:
    """A GBNF grammar for one paragraph (llama.cpp's ``grammar`` request field).

    The reply is ``[heading "。"] [lead "。"] clause₁ "，" effect₁ "；" … clauseₙ "，" effectₙ "。"
    [close "。"]``, the clauses verbatim (with 一是… markers when enumerated),
    every free part made of characters outside :data:`_FREE_EXCLUDED` (and
    ``forbid``: 将 in work done), within its :meth:`Paragraph.budget`.

    Args:
        p: the paragraph plan.
        forbid: more characters free parts may not contain.

    Returns:
        The grammar text.
    """
    b = p.budget()
    lead_words, close_words = openers(p)
    rules = [f"ch ::= [^{_FREE_EXCLUDED}{forbid}]", f"hc ::= [^{_FREE_EXCLUDED}{forbid}，,、]"]
    parts: list[str] = []
    if p.own_heading:
        lo, hi = b["heading"]
        start = f"{_alts(HEADING_OPENERS_PLAN)} " if p.kind == "next_steps" else ""
        rules.append(f"heading ::= {start}hc{{{max(2, lo - (2 if start else 0))},{hi}}}")
        parts.append('heading "。"')
    if p.fixed_head:
        parts.append(_lit(p.fixed_head))
    if p.lead:
        lo, hi = b["lead"]
        start = f"{_alts(lead_words)} " if lead_words and not p.fixed_head else ""
        # a lead may run over two clauses joined by "，" (坚持…，围绕…)
        rules.append(f"lead ::= {start}ch{{{lo},{hi}}}")
        parts.append('lead "。"')
    n = len(p.clauses)
    if n:
        lo, hi = b["effect"] if p.effects else (0, 0)
        starts = PROBLEM_EFFECTS if p.kind == "problems" else EFFECT_OPENERS
        rules.append(f"effect ::= \"，\" {_alts(starts)} ch{{{lo},{hi}}}" if p.effects else 'effect ::= ""')
        for i in range(n):
            end = '"；"' if p.enumerate and i < n - 1 else ('"，"' if i < n - 1 else '"。"')
            rules.append(f"c{i} ::= {_lit(p.literal(i))}")
            parts.append(f"c{i} effect {end}")
    if p.close:
        lo, hi = b["close"]
        start = f"{_alts(close_words)} " if close_words else ""
        rules.append(f"close ::= {start}ch{{{lo},{hi}}} \"。\"")
        parts.append("close")
    rules.insert(0, "root ::= " + " ".join(parts))
    return "\n".join(rules) + "\n"


@dataclass
class Reply:
    """A reply split into its parts (see :func:`split_reply`)."""

    heading: str = ""
    lead: str = ""
    effects: list[str] = field(default_factory=list)
    close: str = ""


_STRIP = "，,、；;。 \t\n"


def split_reply(text: str, p: Paragraph, strict: bool = True) -> Reply | None:
    """Cut a reply into heading, lead, effects and close around the clauses.

    Every clause must stand in the reply verbatim, in order; with ``strict``
    (a reply no grammar held) also exactly once. The text before the first
    clause is the heading (first sentence, when the model writes one) and the
    lead, the text between clause i and i+1 the effect of clause i, and the text
    after the last clause its effect and the close (split at the last 。).
    Without ``strict`` (a grammar placed the clauses) a clause is looked for
    with its enumeration marker, so a copy of it the model wrote into an effect
    is not taken for it; the effect is then dropped by the part check.

    Returns:
        The parts (stripped of joining punctuation), or None when a clause is
        missing, altered, repeated (strict) or out of order.
    """
    text = text.strip().replace("\n", "")
    if p.fixed_head and text.startswith(p.fixed_head):
        text = text[len(p.fixed_head):]
    pos, cuts = 0, []
    for i in range(len(p.clauses)):
        lit = p.clauses[i].text
        at = -1
        if not strict and p.marker(i):
            # the grammar puts an enumerated clause after the lead's 。 or the last effect's ；,
            # where a copy the model ran into an effect stands after ，
            sep = "；" if i else "。"
            at = text.find(sep + p.literal(i), pos)
            at = at + len(sep) + len(p.marker(i)) if at >= 0 else -1
        if at < 0:
            at = text.find(lit, pos)
        if at < 0 or (strict and text.find(lit, at + len(lit)) >= 0):
            return None
        start = at
        mark = p.marker(i)
        if mark and text[max(0, at - len(mark)):at] == mark:
            start = at - len(mark)
        cuts.append((start, at + len(lit)))
        pos = at + len(lit)
    r = Reply()
    head = text[: cuts[0][0]] if cuts else text
    if p.own_heading:
        first = head.find("。")
        if first < 0:
            return None if not cuts else Reply(lead=head.strip(_STRIP))
        r.heading, head = head[:first], head[first + 1 :]
    if cuts:
        r.lead = head.strip(_STRIP)
        for i, (_, end) in enumerate(cuts):
            nxt = cuts[i + 1][0] if i + 1 < len(cuts) else len(text)
            seg = text[end:nxt]
            if i == len(cuts) - 1 and p.close:
                stop = seg.rstrip(_STRIP).rfind("。")
                seg, r.close = (seg[:stop], seg[stop + 1 :]) if stop >= 0 else (seg, "")
            r.effects.append(seg.strip(_STRIP))
    else:
        r.lead = head.strip(_STRIP)
        if p.lead and p.close:
            stop = r.lead.find("。")
            if stop >= 0:
                r.lead, r.close = r.lead[:stop], r.lead[stop + 1 :]
    r.heading = r.heading.strip(_STRIP)
    r.close = r.close.strip(_STRIP)
    return r


PartCheck = Callable[[str, str], str]
"""``check(part_name, text) -> reason`` ('' when the part may stay)."""


def _runs(text: str, n: int) -> set[str]:
    letters = "".join(HAN.findall(text))
    return {letters[i : i + n] for i in range(len(letters) - n + 1)}


OVERLAP = 9
"""Two parts (or a part and a clause) sharing a run of this many Han characters say the same thing
twice (这给…带来了不小的压力。…6.4万元，给…带来了不小的压力): the later part goes."""


def clean_reply(r: Reply, p: Paragraph, check: PartCheck) -> tuple[Reply, list[str]]:
    """Drop every part ``check`` objects to; returns the kept reply and ``"reason: text"`` of each drop.

    A part that reached its length bound (:meth:`Paragraph.budget`) was cut by the grammar and ends
    at its last complete clause; a lead or close with a faulty clause at either end keeps the rest;
    a part repeating a clause, or an earlier part, goes.
    """
    dropped: list[str] = []
    bounds = p.budget()
    said: set[str] = set().union(*(_runs(c.text, OVERLAP) for c in p.clauses)) if p.clauses else set()

    def keep(name: str, text: str) -> str:
        text = _trim_cut(text)
        title = p.title.rstrip("。")
        if title and text.startswith(title):  # 持续壮大特色产业。持续壮大特色产业，…: the heading once is enough
            text = _trim_cut(text[len(title):])
        hi = bounds.get(name, (0, 10**6))[1]
        if len(text) >= hi - 2 and "，" in text:  # cut at the bound (which counts every character): end at the last whole clause
            text = _trim_cut(text[: text.rfind("，")])
        if not text:
            return ""
        why = check(name, text)
        if not why and _runs(text, OVERLAP) & said:
            why = "repeats what the paragraph says already"
        if not why:
            said.update(_runs(text, OVERLAP))
            return text
        if name in ("lead", "close"):
            # a faulty clause at either end (…，采取了以下措施) goes; the rest may stay
            parts = [x for x in re.split(r"[，,]", text) if x]
            # only from the end: the grammar started the part with its opener (坚持…), and a part
            # cut at its head would start with 是/为/和…
            for cand in ("，".join(parts[:-1]), "，".join(parts[:-2])):
                cand = _trim_cut(cand)
                if han_count(cand) >= 18 and not check(name, cand) and not _runs(cand, OVERLAP) & said:
                    dropped.append(f"{why}: {text} (kept: {cand})")
                    said.update(_runs(cand, OVERLAP))
                    return cand
        dropped.append(f"{why}: {text}")
        return ""

    out = Reply(heading=keep("heading", r.heading), lead=keep("lead", r.lead))
    out.effects = [keep("effect", e) for e in r.effects]
    out.close = keep("close", r.close)
    return out, dropped


_TAIL_WORDS = ("的", "和", "与", "及", "为", "在", "对", "把", "使", "让", "从", "向", "等", "并", "而", "以", "将", "了",
               "包括", "以及", "通过", "对于", "关于", "围绕", "按照", "根据")


_LONE_VERB = re.compile(r"[，,](?:提高|提升|推动|促进|实现|加强|增加|改善|助力|推进|增强|带动|确保|形成)[，,]")
"""A verb standing alone between commas (…，推动乡村振兴，提高，期待…): the model lost its object."""


def _trim_cut(text: str) -> str:
    """A part cut off at its length bound ends at its last complete clause (…，为 → …)."""
    text = text.strip(_STRIP)
    text = _LONE_VERB.sub("，", text)
    last = max(text.rfind("，"), text.rfind("、"))
    if last > 0 and han_count(text[last + 1 :]) <= 2:  # …，推动乡村振兴，提高: a last clause of a word or two is a stub
        text = text[:last].strip(_STRIP)
    if text.endswith(_TAIL_WORDS) or (text and han_count(text[-2:]) == 2 and text[-1] in "脱打赢"):
        cut = max(text.rfind("，"), text.rfind("、"))
        text = text[:cut] if cut > len(text) // 3 else text.rstrip("".join(_TAIL_WORDS))
    return text.strip(_STRIP)


def assemble(r: Reply, p: Paragraph) -> str:
    """The paragraph's text from its (cleaned) parts and clauses, punctuated as the genre does."""
    out = ""
    if p.title:
        out += p.title.rstrip("。") + "。"
    if p.own_heading:
        out += (r.heading or "") + ("。" if r.heading else "")
    if p.fixed_head:
        out += p.fixed_head + (r.lead or "")
        out = out.rstrip("，,") + "。"
    elif r.lead:
        out += r.lead + "。"
    n = len(p.clauses)
    for i in range(n):
        out += p.literal(i)
        eff = r.effects[i] if i < len(r.effects) else ""
        if eff:
            out += "，" + eff
        out += "；" if p.enumerate and i < n - 1 else ("，" if i < n - 1 else "。")
    if r.close:
        out += r.close + "。"
    out += p.fixed_tail
    return out


def fallback(p: Paragraph) -> str:
    """The paragraph without model text (the ``compose`` form): clauses only, enumerated."""
    return assemble(Reply(), p)
