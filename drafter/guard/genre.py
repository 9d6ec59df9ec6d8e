"""The genre check: what an official strikes out of a draft before signing it.

The number guard (:mod:`drafter.guard.check`) proves that every number is the user's;
this check reads the draft as the genre does. It is a pure function returning
:class:`~drafter.guard.findings.Finding` objects (kind, text, span, explanation), like
the number guard, so ``drafter check``, the eval harness and the page show both.

Kinds (:data:`GENRE_KINDS`):

- ``tense``: plan wording (我们将…, 计划新修…, 力争…) in work done (开头, 工作开展情况),
  or work written as done (已完成…, 取得了…) in plans (下步工作打算);
- ``broken_clause``: words that cannot stand together (退出贫困村达到14个, 力争计划…,
  仍有…达到, 的的, ：。) or a sentence cut off after a function word (…为。);
- ``name_as_measure``: a figure name (a level or rate such as 村集体经济收入 or
  自来水入户率) used as if it were a measure taken (通过村集体经济收入…等措施,
  …入户率的建设);
- ``figure_name``: a figure's value written after another name than the user's
  (OpenCC turned 新增 into 添加: 添加省级示范家庭农场6家);
- ``figure_role``: a figure written against what it is — base data as an
  achievement (幅员面积达到1320平方公里, 辖乡镇达到9个), a level and its change
  split into two items (一是农业总产值达到8.6亿元；二是农业总产值增速达到6.1%);
- ``mixed_script``: characters of the other script (万元 text with 萬元 in it);
- ``empty_item``: a （一）… item with no body, or a body of a few characters;
- ``long_list``: an enumeration past six items (一是…七是), which no report writes;
- ``repeated``: the same run of words twice in one section, an immediate
  repetition (措施和措施), or a lead that repeats its own figure's name;
- ``artefact``: Markdown, chat phrases (好的，/以下是), prompt words (本小节, 数据句),
  English words;
- ``unsupported``: a deliverable the input does not hold (建成文化广场 when no
  figure or fact names a 文化广场), asserted by the draft (needs the user's words);
- ``length``: the text is outside the target length ± 30 % (Han characters).

Word lists and thresholds are data: ``drafter/data/genre.yaml``. The check is
quiet on the 11 real reports of ``../shared/corpus`` (see
``tests/test_genre.py``, which measures its false-alarm rate there).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass


from drafter.figures import Figure
from drafter.guard.findings import Finding
from drafter.corpus.kinds import kind_of_heading
from drafter.guard.numerals import fold_text
from drafter.text.script import simplified_only_chars, traditional_chars
from drafter.text.textutil import HAN, HAN_CLASS, han_count, sentences, words
from drafter.guard.genre_figures import figure_names, unsupported
from drafter.guard.genre_rules import Rules, finding as _finding, rules

__all__ = ["GENRE_KINDS", "check_genre", "split_report", "rules"]

GENRE_KINDS = ("tense", "broken_clause", "name_as_measure", "figure_name", "figure_role", "mixed_script", "empty_item",
               "long_list", "repeated", "artefact", "unsupported", "length")
"""Every kind of finding :func:`check_genre` reports."""

WORK_DONE = ("opening", "work")
"""Section kinds that state work done (past tense)."""
PLANS = ("next_steps",)
"""Section kinds that state plans (future tense)."""

_LEVEL1 = re.compile(r"^[ \t　]*([一二三四五六七八九十]+)[、.．]")
_LEVEL2 = re.compile(r"^[ \t　]*[（(]([一二三四五六七八九十]+)[）)]")
_ENUM = re.compile(r"([一二三四五六七八九十]+)是")
_CN = "一二三四五六七八九十"


@dataclass(frozen=True)
class Part:
    """One level-1 part of a report: its kind and span in the text (heading included)."""

    kind: str
    start: int
    end: int


def split_report(text: str) -> list[Part]:
    """Cut a whole report into its level-1 parts (一、… headings).

    Text before the first heading is the ``opening`` (a title line included);
    each part's kind comes from its heading (:func:`drafter.corpus.kinds.kind_of_heading`,
    ``work`` when the heading names no kind, as most level-1 headings of the
    genre name a line of work).
    """
    starts: list[tuple[int, str]] = [(0, "opening")]
    pos = 0
    for line in text.splitlines(keepends=True):
        m = _LEVEL1.match(line)
        if m and han_count(line) <= 40:
            starts.append((pos, kind_of_heading(fold_text(line), default="work")))
        pos += len(line)
    parts = []
    for i, (start, kind) in enumerate(starts):
        end = starts[i + 1][0] if i + 1 < len(starts) else len(text)
        if end > start:
            parts.append(Part(kind, start, end))
    return parts


def check_genre(
    text: str,
    kind: str | None = None,
    *,
    figures: Sequence[Figure] = (),
    user_text: str | None = None,
    target: int | None = None,
    script: str | None = None,
) -> list[Finding]:
    """Read a draft as the genre does and report what an official would strike out.

    Args:
        text: the draft: one section's body (give ``kind``) or a whole report
            (``kind=None``: cut at its 一、… headings, see :func:`split_report`).
        kind: section kind of ``text`` (``opening``, ``work``, ``problems``,
            ``next_steps``, ``closing``), or None for a whole report.
        figures: the user's figures; enables ``figure_name``, ``name_as_measure``
            and the lead-repeats-its-item case of ``repeated``.
        user_text: the user's own words (:func:`drafter.guard.check.allowed_text`);
            enables ``unsupported``. None: not checked.
        target: wanted length of ``text`` in Han characters; a text outside
            ``target`` ± 30 % gives a ``length`` finding. None: not checked.
        script: ``"simplified"`` or ``"traditional"``: the script the draft must
            be in; None: the script most of its characters are in.

    Returns:
        Findings (kinds in :data:`GENRE_KINDS`) in text order; ``length`` has
        span -1. Never raises on any text.
    """
    if not text:
        return []
    r = rules()
    norm = fold_text(text)
    out: list[Finding] = []
    parts = [Part(kind, 0, len(text))] if kind else split_report(text)
    for part in parts:
        out.extend(_tense(text, norm, part, r, figures))
        out.extend(_items(text, part, r))
        out.extend(_repeats(text, norm, part, r, figures))
    out.extend(_broken(text, norm, r))
    out.extend(_script(text, script))
    out.extend(_artefacts(text, norm, r))
    if figures:
        out.extend(figure_names(text, norm, figures, r))
    if user_text is not None:
        out.extend(unsupported(text, norm, user_text, figures, r))
    if target:
        n = han_count(text)
        lo, hi = round(target * (1 - r.length_tolerance)), round(target * (1 + r.length_tolerance))
        if not lo <= n <= hi:
            out.append(Finding("length", "", -1, -1, None,
                               f"{n} Han characters; this kind of text runs {lo}–{hi} (target {target})."))
    out.sort(key=lambda f: (f.start < 0, f.start, f.end))
    return _dedupe(out)


def _dedupe(findings: list[Finding]) -> list[Finding]:
    """One finding per span and kind; a finding inside another of its kind is dropped."""
    out: list[Finding] = []
    for f in findings:
        if any(g.kind == f.kind and g.start <= f.start and f.end <= g.end and f.start >= 0 for g in out):
            continue
        out.append(f)
    return out


_LEAD = re.compile(r"^[ \t　]*(?:[（(][一二三四五六七八九十]+[）)][^。\n]{0,24}。|[一二三四五六七八九十]+、[^。\n]{0,24}。|\d+[、.．])?")
_CLAUSE_END = re.compile(r"[，,。；;！!？?：:]")


def _tense(text: str, norm: str, part: Part, r: Rules, figures: Sequence[Figure]) -> list[Finding]:
    """Plan wording in work done, or done wording in plans.

    Real work sections do say what comes next now and then (…，下一步将监督项目建设;
    我县将加大…), so in work done the check fires only where the genre never
    writes a plan: in the first clause of a paragraph or of an item (the lead:
    我们将通过…), in a clause that states one of the user's figures (计划新修产业路45公里),
    or when plan wording fills 40 % or more of the part's sentences.
    """
    if part.kind in WORK_DONE:
        patterns, why = r.future, "plan wording in work done; write what was done (past), e.g. 新建…, 完成了…"
    elif part.kind in PLANS:
        patterns, why = r.past, "work written as done in a plan; write what will be done (将…, 持续…)"
    else:
        return []
    values = [fold_text(f.render()) for f in figures]
    hits: list[tuple[int, int, bool]] = []
    n_sentences = 0
    line_starts = {0} | {m.end() for m in re.finditer(r"\n", norm)}
    for a, b in sentences(norm[part.start : part.end]):
        a, b = a + part.start, b + part.start
        sent = norm[a:b]
        if (_LEVEL1.match(sent) or _LEVEL2.match(sent)) and han_count(sent) <= 24:
            continue  # a heading
        n_sentences += 1
        lead_at = _LEAD.match(sent).end() if a in line_starts else -1
        for p in patterns:
            m = p.search(sent)
            if not m:
                continue
            clause_a = max([0] + [c.end() for c in _CLAUSE_END.finditer(sent, 0, m.start())])
            clause_b = next((c.start() for c in _CLAUSE_END.finditer(sent, m.end())), len(sent))
            in_lead = lead_at >= 0 and clause_a <= lead_at
            with_figure = any(v in sent[clause_a:clause_b] for v in values)
            hits.append((a + m.start(), a + m.end(), part.kind in PLANS or in_lead or with_figure))
            break
    crowded = part.kind in WORK_DONE and n_sentences >= 3 and len(hits) >= 0.4 * n_sentences
    return [_finding("tense", text, x, y, f"{text[x:y]}: {why}.") for x, y, sure in hits if sure or crowded]


_FUNCTION_END = frozenset("的和与及或为在对把被使让从向等将")


def _broken(text: str, norm: str, r: Rules) -> list[Finding]:
    out = []
    for pattern, why, unless in r.broken:
        for m in pattern.finditer(norm):
            if unless and m.group(0).removesuffix("达到").endswith(unless):
                continue
            out.append(_finding("broken_clause", text, m.start(), m.end(), f"{m.group(0)}: {why}."))
    for a, b in sentences(norm):
        sent = norm[a:b]
        if not sent.endswith("。") or len(sent) < 3:
            continue
        last = words(sent[:-1])[-1][0] if words(sent[:-1]) else ""
        if last in _FUNCTION_END and not (last == "的" and "是" in sent):
            out.append(_finding("broken_clause", text, b - 2, b,
                                f"{sent[-8:]}: the sentence stops after a function word ({last}); it was cut off."))
    return out


def _items(text: str, part: Part, r: Rules) -> list[Finding]:
    """Empty （一）… items and enumerations past ``max_items``."""
    out = []
    lines: list[tuple[int, str]] = []
    pos = part.start
    for line in text[part.start : part.end].splitlines(keepends=True):
        if line.strip():
            lines.append((pos, line.rstrip("\r\n")))
        pos += len(line)
    for i, (start, line) in enumerate(lines):
        m = _LEVEL2.match(line)
        if not m:
            continue
        body = line[m.end():]
        head_end = body.find("。")
        if head_end >= 0 and han_count(body[:head_end]) <= 24:
            rest = body[head_end + 1 :]  # （一）heading。body
        elif head_end < 0 and han_count(body) <= 24:
            rest = ""  # a heading line
        else:
            continue  # heading and body run together
        nxt = lines[i + 1][1] if i + 1 < len(lines) else ""
        next_is_heading = not nxt or _LEVEL1.match(nxt) or _LEVEL2.match(nxt)
        if han_count(rest) < r.min_item_han and next_is_heading:
            out.append(_finding("empty_item", text, start, start + len(line),
                                "an item with no body: say what was done (or is the problem / the plan) under this heading."))
    for start, line in lines:  # 一是…七是 in one paragraph (a paragraph that starts 十是 is one item)
        marks = list(_ENUM.finditer(fold_text(line)))
        if len(marks) > r.max_items:
            m = marks[r.max_items]
            a = start + m.start()
            out.append(_finding("long_list", text, a, a + len(m.group(0)),
                                f"one paragraph enumerates {len(marks)} items; the genre groups them under headings, "
                                f"at most {r.max_items} to a paragraph."))
    return out


def _cn_number(s: str) -> int:
    if s == "十":
        return 10
    if s.startswith("十"):
        return 10 + _CN.index(s[1]) + 1 if len(s) > 1 else 10
    if "十" in s:
        tens, _, ones = s.partition("十")
        return (_CN.index(tens) + 1) * 10 + (_CN.index(ones) + 1 if ones else 0)
    return _CN.index(s) + 1 if s in _CN else 0


def _repeats(text: str, norm: str, part: Part, r: Rules, figures: Sequence[Figure]) -> list[Finding]:
    out = []
    seg = norm[part.start : part.end]
    # runs of Han characters written twice (punctuation ignored)
    idx = [i for i, ch in enumerate(seg) if HAN.match(ch)]
    letters = "".join(seg[i] for i in idx)
    para_of = [seg.count("\n", 0, i) for i in idx]
    for n, same_para in ((r.repeat_han, True), (r.repeat_han_part, False)):
        first: dict[str, int] = {}
        reported_until = -1
        for i in range(len(letters) - n + 1):
            run = letters[i : i + n]
            j = first.get(run)
            if j is not None and j + n <= i and (para_of[j] == para_of[i]) == same_para:
                if i > reported_until:
                    a, b = part.start + idx[i], part.start + idx[i + n - 1] + 1
                    where = "paragraph" if same_para else "part"
                    out.append(_finding("repeated", text, a, b, f"{text[a:b]} is written twice in this {where}."))
                reported_until = i + n
            else:
                first.setdefault(run, i)
    for m in re.finditer(rf"([{HAN_CLASS}]{{2,6}})[和与]\1", seg):
        a, b = part.start + m.start(), part.start + m.end()
        out.append(_finding("repeated", text, a, b, f"{m.group(0)}: the same word twice."))
    for fig in figures:
        name = fold_text(fig.name)
        if len(name) < 4:
            continue
        for para in re.finditer(r"[^\n]+", seg):
            spots = [m.start() for m in re.finditer(re.escape(name), para.group(0))]
            value = fold_text(fig.render())
            if len(spots) >= 2 and value in para.group(0):
                a = part.start + para.start() + spots[0]
                out.append(_finding("repeated", text, a, a + len(name),
                                    f"{fig.name} is named before its own figure clause; the lead repeats its item.", fig.name))
    return out


def _script(text: str, script: str | None) -> list[Finding]:
    trad, simp = traditional_chars(text), simplified_only_chars(text)
    if script is None:
        script = "traditional" if len(trad) > len(simp) else "simplified"
    wrong = set(trad) if script == "simplified" else set(simp) - rules().both_scripts
    if not wrong:
        return []
    other = "traditional" if script == "simplified" else "simplified"
    out = []
    for m in re.finditer("|".join(map(re.escape, sorted(wrong))), text):
        out.append(_finding("mixed_script", text, m.start(), m.end(), f"{m.group(0)} is {other} script in a {script} draft."))
    return out


def _artefacts(text: str, norm: str, r: Rules) -> list[Finding]:
    out = []
    for m in re.finditer(r"(?m)^\s*(?:#{1,6}\s|[-*•]\s|\d+\.\s)|\*\*|```|__", text):
        out.append(_finding("artefact", text, m.start(), m.end(), "Markdown mark; a report has none."))
    for phrase in (*r.chat, *r.prompt):
        for m in re.finditer(re.escape(fold_text(phrase)), norm):
            out.append(_finding("artefact", text, m.start(), m.end(), f"{phrase}: words of a chat or a prompt, not of a report."))
    for m in re.finditer(r"(?<![A-Za-z])(?!x+(?![a-z]))[a-z]{3,}(?:\s+[A-Za-z]+)*", text):
        out.append(_finding("artefact", text, m.start(), m.end(), f"{m.group(0)}: English words in a Chinese report."))
    return out
