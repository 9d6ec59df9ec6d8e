"""Figure clauses as the genre writes them, and what each figure does in a report.

Drafter writes every clause that carries a figure itself, so the number stays
bound to its name (shared/notes/number-strategies.md). This module decides how
that clause reads and where it goes:

- :func:`figure_role`: ``base`` (the place: area, population, villages),
  ``result``, ``change`` (增长/增速 …), ``problem`` (仍有, 缺口 …) or ``target``
  (计划, 力争 …), from the figures file's ``role`` or inferred from the name
  (``drafter/data/figure_roles.yaml``);
- :func:`figure_clause`: the clause of one figure, by the shape of its name and
  the section it stands in (``drafter/data/clause_words.yaml``). A verb-led name
  takes its value (退出贫困村14个); a name that carries 计划/力争/仍有 gets no second
  modal; a money noun takes its verb (发放各项惠农补贴0.86亿元); a level or rate
  takes 达到 (自来水入户率达到98%), a lower-is-better rate 降至; a verbal noun takes
  完成 (完成2022年度高标准农田建设1500亩); a facility is built (建成…), an entity
  added (新增…); a count of units is written number first (辖9个乡镇); in plans an
  action is planned (计划新建产业路45公里) and a level aimed at (力争…达到);
- :func:`build_clauses`: figures that belong together become one clause — a
  level and its change (农业总产值8.6亿元，同比增长6.1%), a paired count
  (开展培训18期、1200人次; 有脱贫户98户357人);
- :func:`user_words`: the user's names and units in the draft's script,
  converted character by character (OpenCC ``t2s``/``s2t`` on each character),
  never by phrase: a phrase profile rewrites words (新增 → 添加).

Every clause contains the figure's name (or its stem without a table suffix such
as 人数/数量, when the unit says the same) immediately before or around its value
and unit exactly as given, so the number guard binds it and no number can move
to another noun.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Sequence
from dataclasses import dataclass, field


from drafter.figures import Fact, Figure
from drafter.data import load_yaml

_CONVERTERS: dict[str, object] = {}


@functools.lru_cache(maxsize=1)
def clause_words() -> dict:
    """The clause lexicon (``drafter/data/clause_words.yaml``)."""
    return load_yaml("clause_words.yaml")


@functools.lru_cache(maxsize=1)
def role_words() -> dict:
    """The role lexicon (``drafter/data/figure_roles.yaml``)."""
    return load_yaml("figure_roles.yaml")


@functools.lru_cache(maxsize=8192)
def _char(ch: str, profile: str) -> str:
    from drafter.text.script import _converter

    out = _converter(profile).convert(ch)
    return out if len(out) == 1 else ch


def user_words(text: str, script: str = "simplified") -> str:
    """The user's own words (names, units, facts) in ``script``: the script changes, never a word.

    Args:
        text: a figure name, unit or fact as the user typed it, either script.
        script: ``"simplified"``: OpenCC ``t2s`` character by character (萬元 → 万元;
            a phrase profile such as ``tw2sp`` would turn 新增 into 添加 and 專案 into
            项目). ``"traditional"``: OpenCC ``s2t``, whose phrase table only picks
            the character a word needs (公里 stays 公里, where 里 alone would become
            裏) and never changes the vocabulary; text already in traditional
            script is kept as typed.

    Returns:
        Text of the same length.
    """
    if script == "traditional":
        from drafter.text.script import _converter, simplified_only_chars

        if not simplified_only_chars(text) and any(_char(c, "t2s") != c for c in text):
            return text  # typed in traditional script: as typed
        out = _converter("s2t").convert(text)
        return out if len(out) == len(text) else "".join(_char(c, "s2t") for c in text)
    return "".join(_char(c, "t2s") for c in text)


def to_script(text: str, script: str, user: Sequence[str] = ()) -> str:
    """A simplified draft in ``script``, the user's own words converted character by character.

    Model text goes through OpenCC's phrase profile (:func:`drafter.text.script.to_traditional`);
    each of the user's words (figure names, units, facts, names) is then put back
    as :func:`user_words` gives it, so a phrase rule never rewrites it.

    Args:
        text: the draft (simplified). script: ``"simplified"`` or ``"traditional"``.
        user: the user's words as typed, either script.
    """
    if script != "traditional" or not text:
        return text
    from drafter.text.script import to_traditional

    out = to_traditional(text)
    for word in sorted({w for w in user if w}, key=len, reverse=True):
        phrase = to_traditional(user_words(word))
        wanted = user_words(word, "traditional")
        if phrase != wanted:
            out = out.replace(phrase, wanted)
    return out


def _starts(name: str, words: Sequence[str]) -> str:
    return next((w for w in sorted(words, key=len, reverse=True) if name.startswith(w)), "")


def _ends(name: str, words: Sequence[str]) -> str:
    return next((w for w in sorted(words, key=len, reverse=True) if name.endswith(w)), "")


def figure_role(fig: Figure) -> str:
    """What a figure does in the report: its ``role``, or one inferred from its name.

    Order of the tests: target words (计划, 力争, 目标 …), problem words (仍有,
    缺口, 闲置 …), a change (the name ends with 增长/增速 …, or the unit is
    个百分点), base data (幅员面积, 户籍人口, 行政村 … with no action verb first),
    else ``result``. Lexicon: ``drafter/data/figure_roles.yaml``.

    Args:
        fig: the figure.

    Returns:
        One of :data:`drafter.figures.ROLES`.
    """
    if fig.role:
        return fig.role
    name = user_words(fig.name)
    roles, words = role_words(), clause_words()
    if any(w in name for w in roles["target"]):
        return "target"
    if any(w in name for w in roles["problem"]):
        return "problem"
    if _ends(name, words["change_verbs"]) or fig.unit in ("个百分点", "個百分點"):
        return "change"
    if not _starts(name, words["action_verbs"]) and (name in roles["base"] or _ends(name, roles["base"])):
        return "base"
    return "result"


_SUFFIX_UNITS = {"人数": ("人", "名"), "户数": ("户",), "人次": ("人次",), "面积": ("亩", "平方米", "平方公里", "公顷", "万亩"),
                 "总长": ("公里", "米", "千米"), "长度": ("公里", "米", "千米"), "数量": None, "总数": None, "个数": ("个",),
                 "次数": ("次",), "金额": ("元", "万元", "亿元"), "总额": ("元", "万元", "亿元")}
"""Table suffixes a verb-led name drops when its unit says the same (新增就业人数 120人 → 新增就业120人)."""


def _stem(name: str, unit: str) -> str:
    for suffix, units in _SUFFIX_UNITS.items():
        if name.endswith(suffix) and len(name) > len(suffix) + 1 and (units is None or unit in units):
            return name[: -len(suffix)]
    return name


def figure_clause(fig: Figure, kind: str = "work", script: str = "simplified", paired: bool = False) -> str:
    """The clause that carries one figure, as the genre writes it.

    Args:
        fig: the figure.
        kind: the section it stands in (``opening``, ``work``, ``problems``,
            ``next_steps``); plans are planned, problems stated.
        script: script of the draft (the name and unit are converted character
            by character, :func:`user_words`).
        paired: the clause is the first of a level-and-change pair; a level then
            takes no 达到 (农业总产值8.6亿元，同比增长6.1%).

    Returns:
        The clause, e.g. ``退出贫困村14个``, ``发放各项惠农补贴0.86亿元``,
        ``自来水入户率达到98%``, ``计划新建产业路45公里``. It contains the name (or
        its stem, :data:`_SUFFIX_UNITS`) and ``value + unit`` as given.
    """
    w, roles = clause_words(), role_words()
    name = user_words(fig.name.strip(), script)
    value = fig.render_in(script)
    simp = user_words(fig.name.strip())
    plan = kind == "next_steps"
    role = figure_role(fig)
    if simp.endswith(("达到", "增至", "降至", "提高到", "提升到", "控制在", "保持在", "超过", "不低于", "不少于")):
        # the name ends with its own verb (村集体经济收入力争达到): the value follows it directly, and a
        # modal already in the name gets no second one
        modal = "" if not plan or any(m in simp for m in w["modal_words"]) else "力争"
        return f"{modal}{name}{value}"
    if _starts(simp, w["modal_words"]):
        # 力争村集体经济收入 22万元 → 力争村集体经济收入达到22万元; 仍有贫困人口 120人 as it is
        level = _ends(simp, w["level_nouns"]) and not simp.endswith(("人口", "人数", "户数"))
        return f"{name}达到{value}" if level and _starts(simp, ("力争", "争取", "目标", "预计")) else f"{name}{value}"
    if role == "change" or _ends(simp, w["change_verbs"]):
        noun = simp.endswith(("增幅", "增速", "降幅"))  # a rate noun takes 达到: 增幅达到9.3%
        verb = "达到" if noun else ""
        return f"力争{name}{verb}{value}" if plan else f"{name}{verb}{value}"
    if role == "base" and kind != "next_steps":
        return _base_clause(name, simp, value, fig.unit)
    lower = _ends(simp, roles["lower_is_better"])
    level = _ends(simp, w["level_nouns"])
    verb = _starts(simp, w["action_verbs"])
    if verb and not simp.endswith("率"):
        stem = name[: len(_stem(simp, fig.unit))]
        return f"计划{stem}{value}" if plan else f"{stem}{value}"
    counted = _stem(simp, "") if simp.endswith(("数量", "总数", "个数")) else ""
    if counted and _ends(counted, w["facility_nouns"] + w["entity_nouns"]) and kind != "problems":
        v = user_words("建成" if _ends(counted, w["facility_nouns"]) else "新增", script)
        stem = name[: len(counted)]
        return f"计划{v}{stem}{value}" if plan else f"{v}{stem}{value}"
    money = _ends(simp, list(w["money_verbs"]))
    if money and not level:
        mv = user_words(w["money_verbs"][money], script)
        return f"计划{mv}{name}{value}" if plan else f"{mv}{name}{value}"
    if lower:
        if plan:
            return f"{name}控制在{value}"
        return f"{name}{value}" if kind == "problems" else f"{name}降至{value}"
    if level:
        if plan:
            return f"力争{name}达到{value}"
        if kind == "problems":
            return f"{name}为{value}"
        return f"{name}{value}" if paired else f"{name}达到{value}"
    if _ends(simp, w["verbal_nouns"]):
        done = user_words("完成", script)
        return f"计划{done}{name}{value}" if plan else f"{done}{name}{value}"
    if _ends(simp, w["facility_nouns"]) and kind != "problems":
        v = user_words("建成", script)
        return f"计划{v}{name}{value}" if plan else f"{v}{name}{value}"
    if _ends(simp, w["entity_nouns"]) and kind != "problems":
        v = user_words("新增", script)
        return f"计划{v}{name}{value}" if plan else f"{v}{name}{value}"
    return f"力争{name}达到{value}" if plan else f"{name}{value}"


_UNIT_COUNTS = ("乡镇", "行政村", "自然村", "村民小组", "社区", "街道", "村")


def _base_clause(name: str, simp: str, value: str, unit: str) -> str:
    """Base data: 幅员面积1320平方公里; a count of units number first (辖9个乡镇); 有脱贫户98户."""
    noun = simp[1:] if simp.startswith("辖") else simp
    if noun in _UNIT_COUNTS and unit in ("个", "個"):
        return f"辖{value}{name[len(name) - len(noun):]}"
    if noun in ("脱贫户", "监测户", "党员", "贫困户"):
        return f"有{name}{value}"
    return f"{name}{value}"


@dataclass
class Clause:
    """One clause of a draft: the text Drafter writes, and the figures it carries.

    Attributes:
        text: the clause (no final punctuation).
        figures: the figures it carries (one, or two for a pair); empty for a fact.
        fact: the fact it states, when it states one.
        role: the role of its (first) figure, ``fact`` for a fact.
    """

    text: str
    figures: list[Figure] = field(default_factory=list)
    fact: Fact | None = None
    role: str = "result"

    @property
    def names(self) -> list[str]:
        """Names of the figures it carries."""
        return [f.name for f in self.figures]


def _change_pair(level: Figure, change: Figure) -> str | None:
    """The change word when ``change`` is the change of ``level`` (农业总产值 / 农业总产值增速)."""
    w = clause_words()
    c = user_words(change.name)
    ending = _ends(c, w["change_verbs"])
    if not ending:
        return None
    stem = c[: -len(ending)].removesuffix("同比").strip()
    lv = user_words(level.name)
    if len(stem) >= 2 and (stem == lv or lv.endswith(stem) or stem.endswith(lv)):
        return w["change_as_written"].get(ending, ending)
    return None


_PAIR_SUFFIXES = ("人次", "人数", "人口", "户数", "人", "户", "金额", "资金", "面积", "总额", "规模")


def _count_pair(first: Figure, second: Figure) -> bool:
    """``second`` counts the same thing as ``first`` in another unit (开展培训 18期 / 培训人次 1200人次)."""
    if first.unit == second.unit or not first.unit or not second.unit:
        return False
    a, b = user_words(first.name), user_words(second.name)
    suffix = _ends(b, _PAIR_SUFFIXES)
    core = b[: -len(suffix)] if suffix else ""
    if len(core) < 2:
        return False
    core = core.removesuffix("的")
    return core in a or (len(core) >= 3 and core[:2] in a and core[-1] in a)


def build_clauses(figures: Sequence[Figure], kind: str = "work", script: str = "simplified") -> list[Clause]:
    """The clauses of a section's figures, pairs joined, in the figures' order.

    A change figure follows its level (农业总产值8.6亿元，同比增长6.1%); a figure
    that counts the same thing as the one before it in another unit follows it
    (开展培训18期、1200人次; 有脱贫户98户357人; 资助学生40人6.5万元). Other figures
    stand alone.

    Args:
        figures: the section's figures. kind: the section kind. script: the draft's script.

    Returns:
        :class:`Clause` objects; every figure is in exactly one.
    """
    figs = list(figures)
    used: set[int] = set()
    out: list[Clause] = []
    for i, fig in enumerate(figs):
        if i in used:
            continue
        used.add(i)
        clause = Clause(figure_clause(fig, kind, script), [fig], role=figure_role(fig))
        for j in range(len(figs)):
            if j in used:
                continue
            other = figs[j]
            word = _change_pair(fig, other) if figure_role(fig) != "change" else None
            if word and kind != "next_steps":
                clause.text = f"{figure_clause(fig, kind, script, paired=True)}，{user_words(word, script)}{other.render_in(script)}"
                clause.figures.append(other)
                used.add(j)
                break
            if j == i + 1 and _count_pair(fig, other):
                sep = "、" if user_words(other.unit) == "人次" else ""
                clause.text = f"{clause.text}{sep}{other.render_in(script)}"
                clause.figures.append(other)
                used.add(j)
                break
        out.append(clause)
    return out


def fact_clause(fact: Fact, script: str = "simplified") -> Clause:
    """A fact as a clause: the user's words in the draft's script, without final punctuation."""
    return Clause(user_words(fact.text.strip(), script).rstrip("。；;，,"), fact=fact, role="fact")
