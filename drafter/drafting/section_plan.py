"""What each section of a report holds, before any model call (the ``weave`` strategy).

A plan is a list of :class:`Block`: an optional heading line and the paragraphs
under it (:class:`drafter.drafting.weave.Paragraph`), each carrying the clauses Drafter
writes itself. The shapes follow the genre:

- **开头** (:func:`plan_opening`): one paragraph — the basis and focus of the
  work (model), the place's base data in one sentence (全村辖7个村民小组，户籍人口…;
  Drafter, from ``base`` figures), any headline figures, the overall result
  (model), and 现将有关情况报告/总结如下：;
- **工作开展情况** (:func:`plan_work`): one （一）… subsection per topic
  (``drafter/data/topics.yaml``), each a paragraph of at most
  :data:`MAX_ITEMS` clauses (a longer topic gets a second paragraph, never an
  enumeration past five);
- **存在问题** (:func:`plan_problems`): one item per problem — each fact of the
  section, with the problem figures that evidence it (matched by topic), then
  problem figures left over, grouped by topic; with no input at all, generic
  problems in the organisation's voice, said so in the section's warnings;
- **下步工作打算** (:func:`plan_next_steps`): one item per plan fact or topic of
  targets, each standing in the plan that aims at it; topics of the work done
  fill up to three plans;
- **结尾** (:func:`plan_closing`): one paragraph.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from drafter.drafting.clauses import Clause, build_clauses, fact_clause, figure_role
from drafter.drafting.compose import topic_of, topics
from drafter.drafting.sentences import sentence
from drafter.figures import Fact, Figure
from drafter.text.textutil import han_count
from drafter.drafting.weave import Paragraph

MAX_ITEMS = 5
"""Most clauses in one paragraph (the genre's enumerations rarely pass five)."""
PROBLEM_HEADING_HAN = 24
"""A problem fact of at most this many Han characters is its item's heading (黄桃品种单一、集中上市，
抗市场风险能力不强), which the model explains; a longer one stands in the item of its topic."""
MIN_PLANS = 3
"""Fewest items of 下步工作打算."""
MAX_PLANS = 5
"""Most items of 下步工作打算 Drafter adds from the work's topics."""
PLAN_CHARS = 180
"""About how many Han characters one plan item runs to (the store's target / this = items wanted)."""
GENERIC_PROBLEMS = ("产业发展基础仍然薄弱", "人才支撑力量不足", "群众内生动力有待激发")
"""Topics of problems written from the corpus's voice when the user gives none."""

@dataclass
class Block:
    """One heading (``""`` for none) and the paragraphs under it."""

    heading: str
    paragraphs: list[Paragraph] = field(default_factory=list)


def place_of(organisation: str | None, title: str | None = None, names: Sequence[str] = ()) -> str:
    """The place a report is about: the most local place name of the organisation, title or names.

    ``枫林县白沙镇柳塘村驻村工作队`` → ``柳塘村``; ``东滩镇人民政府`` → ``东滩镇``; none
    found (县农业农村局): ``""``. Names are found by :func:`drafter.guard.names.extract_names`.
    """
    from drafter.guard.names import extract_names

    order = ("village", "town", "county")
    found = [n for text in (organisation or "", title or "", *names) for n in extract_names(text) if n.kind in order]
    for text in (organisation or "", title or ""):  # a listed name inside the organisation (青禾村 of …青禾村驻村工作队)
        found += [_Name(n, text.find(n), order[0] if n.endswith("村") else order[1]) for n in names
                  if n and n in text and n.endswith(("村", "社区"))]
    if not found:
        return ""
    return min(found, key=lambda n: (order.index(n.kind), -n.start)).text


@dataclass(frozen=True)
class _Name:
    text: str
    start: int
    kind: str


def _chunks(items: list[Clause], n: int = MAX_ITEMS) -> list[list[Clause]]:
    """Split items into runs of at most ``n``, as even as possible (7 → 4 + 3)."""
    if len(items) <= n:
        return [items]
    k = -(-len(items) // n)
    size = -(-len(items) // k)
    return [items[i : i + size] for i in range(0, len(items), size)]


def _topic(clause: Clause) -> int:
    return topic_of(clause.figures[0].name if clause.figures else clause.text)


def plan_work(figures: Sequence[Figure], facts: Sequence[Fact], target: int, script: str = "simplified") -> list[Block]:
    """Subsections of 工作开展情况: one per topic, paragraphs of at most :data:`MAX_ITEMS` clauses.

    Args:
        figures: the section's figures (results and changes; a change follows its level).
        facts: the section's facts (each written verbatim as a clause).
        target: wanted Han characters of the whole section.
        script: the draft's script.

    Returns:
        Blocks in topic order (``drafter/data/topics.yaml``), each headed by its topic's heading.
    """
    clauses = build_clauses(figures, "work", script) + [fact_clause(f, script) for f in facts]
    by_topic: dict[int, list[Clause]] = {}
    for c in clauses:
        by_topic.setdefault(_topic(c), []).append(c)
    blocks = []
    n_paras = sum(len(_chunks(v)) for v in by_topic.values()) or 1
    per = max(120, round(target / n_paras))
    for i in sorted(by_topic):
        heading = topics()[i]["heading"]
        paras = []
        runs = _chunks(by_topic[i])
        for j, run in enumerate(runs):
            paras.append(Paragraph("work", run, heading=heading, enumerate=len(run) > 1,
                                   lead=j == 0, close=j == len(runs) - 1, target=per))
        blocks.append(Block(heading, paras))
    return blocks


def _topic_heading(t: int, key: str) -> str:
    return topics()[t].get(key) or topics()[t]["heading"]


def _items(kind: str, figures: Sequence[Figure], facts: Sequence[Fact], script: str) -> list[tuple[str, list[Clause]]]:
    """Items of 存在问题 or 下步工作打算: ``(heading, clauses)``.

    A problem fact short enough to be a heading (at most :data:`PROBLEM_HEADING_HAN`
    Han characters) heads its own item; other facts and the figures stand in the item of their topic,
    headed by the topic's ``problem`` or ``plan`` heading (``drafter/data/topics.yaml``).
    Two items never share a heading.
    """
    key = "problem" if kind == "problems" else "plan"
    items: list[tuple[str, list[Clause]]] = []
    by_head: dict[str, list[Clause]] = {}
    topic_item: dict[int, str] = {}

    def add(head: str, clauses: list[Clause], t: int) -> None:
        if head not in by_head:
            by_head[head] = []
            items.append((head, by_head[head]))
        by_head[head].extend(clauses)
        topic_item.setdefault(t, head)

    for f in facts:
        c = fact_clause(f, script)
        t = topic_of(f.text)
        if kind == "problems" and han_count(c.text) <= PROBLEM_HEADING_HAN:
            add(c.text, [], t)
        else:
            add(topic_item.get(t) or _topic_heading(t, key), [c], t)
    for c in build_clauses(figures, kind, script):
        t = _topic(c)
        add(topic_item.get(t) or _topic_heading(t, key), [c], t)
    return items


def _item_paragraphs(kind: str, items: list[tuple[str, list[Clause]]], target: int) -> list[Block]:
    per = max(70, round(target / max(1, len(items))))
    return [Block("", [Paragraph(kind, clauses, heading=head, title=head, lead=True, effects=bool(clauses),
                                 close=not clauses, target=per)])
            for head, clauses in items]


def plan_problems(figures: Sequence[Figure], facts: Sequence[Fact], target: int, work_topics: Sequence[str] = (),
                  script: str = "simplified") -> tuple[list[Block], bool]:
    """Items of 存在问题, each headed by its problem, with the figures that evidence it.

    Returns:
        ``(blocks, generic)``: one block per item; ``generic`` is True when the user
        gave no problem fact or figure, and the items are the problems of the topics
        worked on (their ``problem`` heading in ``drafter/data/topics.yaml``) or,
        without those, :data:`GENERIC_PROBLEMS` — to be said in the section's warnings.
    """
    items = _items("problems", figures, facts, script)
    generic = not items
    if generic:
        heads = [_topic_heading(topic_of(t), "problem") for t in work_topics]
        heads = list(dict.fromkeys(h for h in heads if h))[:3] or list(GENERIC_PROBLEMS)
        while len(heads) < 2:
            heads.append(next(h for h in GENERIC_PROBLEMS if h not in heads))
        items = [(h, []) for h in heads]
    return _item_paragraphs("problems", items, target), generic


def plan_next_steps(figures: Sequence[Figure], facts: Sequence[Fact], target: int, work_topics: Sequence[str] = (),
                    script: str = "simplified") -> list[Block]:
    """Items of 下步工作打算: plan facts and targets by topic, then the work's topics, up to
    :data:`MIN_PLANS` or, for a longer target, one item per :data:`PLAN_CHARS` (at most :data:`MAX_PLANS`)."""
    items = _items("next_steps", figures, facts, script)
    used = {h for h, _ in items}
    wanted = min(MAX_PLANS, max(MIN_PLANS, round(target / PLAN_CHARS)))
    for topic in [*work_topics, *(t["heading"] for t in topics()[:3])]:
        if len(items) >= wanted:
            break
        head = _topic_heading(topic_of(topic), "plan")
        if head not in used:
            used.add(head)
            items.append((head, []))
    return _item_paragraphs("next_steps", items, target)


def basis_prefix(organisation: str | None, period: str | None, title: str | None = None, names: Sequence[str] = ()) -> str:
    """The opening's first words, written by Drafter from the user's header: when, who, under whose leadership.

    ``2025年`` + ``枫林县白沙镇柳塘村驻村工作队`` → ``2025年，驻柳塘村工作队在枫林县委、县政府和白沙镇党委的坚强领导下，``;
    a town government answers to its county (在枫林县委、县政府的坚强领导下); with no county
    or town known, 在上级党委、政府的坚强领导下. The model continues the sentence.
    """
    from drafter.guard.names import extract_names

    found = [n for t in (organisation or "", title or "", *names) for n in extract_names(t)]
    county = next((n.text for n in found if n.kind == "county"), "")
    town = next((n.text for n in found if n.kind == "town"), "")
    village = next((n.text for n in found if n.kind == "village"), "")
    org = (organisation or "").strip()
    if org.endswith("驻村工作队") and village:
        org = sentence("opening", "team").format(village=village)
    if county and town and not org.startswith(town) and not org.endswith("政府"):
        lead = sentence("opening", "led_by_county_and_town").format(county=county, county_suffix=county[-1], town=town)
    elif county:
        lead = sentence("opening", "led_by_county").format(county=county, county_suffix=county[-1])
    else:
        lead = sentence("opening", "led_by_superiors")
    when = sentence("opening", "when").format(period=period.strip()) if period and period.strip() else sentence("opening", "when_unknown")
    return sentence("opening", "basis").format(when=when, org=org, lead=lead)


def opening_tail(title: str | None) -> str:
    """The opening's last words: 现将有关情况总结/汇报/报告如下：, after the report's own word."""
    t = title or ""
    word = "总结" if "总结" in t else "汇报" if ("汇报" in t or "彙報" in t) else "报告"
    return sentence("opening", "tail").format(word=word)


def plan_opening(figures: Sequence[Figure], facts: Sequence[Fact], target: int, place: str, title: str | None,
                 script: str = "simplified", head: str = "") -> list[Block]:
    """The opening: basis (model), base data (Drafter), headline figures, result (model), 现将…如下：."""
    base = [f for f in figures if figure_role(f) == "base"]
    other = [f for f in figures if figure_role(f) != "base"]
    clauses: list[Clause] = []
    if base:
        parts = build_clauses(base, "opening", script)
        subject = place or ""
        lead_word = "全村" if subject.endswith("村") else "全镇" if subject.endswith("镇") else "全县" if subject.endswith("县") else ""
        text = "，".join(c.text for c in parts)
        if subject and not text.startswith("辖"):
            text = f"{subject}{text}"
        elif subject:
            text = f"{subject}{text}"
        elif lead_word:
            text = f"{lead_word}{text}"
        clauses.append(Clause(text, [f for c in parts for f in c.figures], role="base"))
    clauses += build_clauses(other, "opening", script) + [fact_clause(f, script) for f in facts]
    tail = opening_tail(title)
    return [Block("", [Paragraph("opening", clauses, heading="开头", lead=True, effects=False, close=True,
                                 target=max(80, target), fixed_head=head, fixed_tail=tail)])]


def plan_closing(target: int) -> list[Block]:
    """The closing: one paragraph of the model's, no clauses."""
    return [Block("", [Paragraph("closing", [], heading="结尾", lead=True, effects=False, close=False,
                                 target=max(40, target))])]


def plan_han(blocks: Sequence[Block]) -> int:
    """Han characters Drafter itself writes in a plan (headings and clauses)."""
    return sum(han_count(b.heading) + sum(han_count(c.text) for p in b.paragraphs for c in p.clauses) for b in blocks)
