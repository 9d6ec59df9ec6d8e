"""Markdown and HTML reports as plain text, with the headings they mark.

Both converters return ``(text, [(heading, level), …])``; :func:`drafter.corpus.loaders.read_document`
uses them for ``.md`` and ``.html`` files, and the headings reach
:func:`drafter.corpus.sections.split_sections` as known headings.
"""

from __future__ import annotations

import re

__all__ = ["html_to_text", "markdown_to_text"]


_MD_HEADING = re.compile(r"^\s{0,3}(#{1,6})\s+(.*?)\s*#*\s*$")
_MD_LIST = re.compile(r"^\s{0,3}(?:[-*+]\s+|>\s?)")
_MD_LINK = re.compile(r"!\[[^\]]*\]\([^)]*\)|\[([^\]]*)\]\([^)]*\)")
_MD_EMPH = re.compile(r"(\*\*|__|\*|`)")


def markdown_to_text(md: str) -> tuple[str, list[tuple[str, int]]]:
    """Plain text of a Markdown report: ``#`` headings become lines (reported
    with their level), list and quote markers, emphasis and link syntax are
    dropped; horizontal rules and code fences are removed.

    Returns:
        ``(text, headings)``.
    """
    lines, headings = [], []
    for line in md.splitlines():
        if re.match(r"^\s{0,3}(```|~~~|([-*_]\s*){3,}$)", line):
            lines.append("")
            continue
        m = _MD_HEADING.match(line)
        if m:
            line = m.group(2)
        line = _MD_LIST.sub("", line)
        line = _MD_LINK.sub(lambda mm: mm.group(1) or "", line)
        line = _MD_EMPH.sub("", line)
        if m and line.strip():
            headings.append((line.strip(), len(m.group(1))))
        lines.append(line)
    return "\n".join(lines), headings


_DROP_TAGS = ("script", "style", "noscript", "template", "nav", "header", "footer", "aside", "form", "iframe", "svg")
_BLOCK_TAGS = (
    "p", "div", "section", "article", "main", "li", "ul", "ol", "table", "tr", "blockquote",
    "h1", "h2", "h3", "h4", "h5", "h6", "pre", "dd", "dt", "dl", "title", "center", "body",
)  # fmt: skip


def html_to_text(html: str) -> tuple[str, list[tuple[str, int]]]:
    """Plain text of an HTML page with beautifulsoup4.

    Scripts, styles and page chrome (``nav``, ``header``, ``footer``, ``aside``,
    forms) are dropped; block elements and ``<br>`` end lines; table cells are
    joined by tabs; ``<h1>``–``<h6>`` are reported as headings. Site text inside
    the content (「相关推荐」 …) is left to :mod:`drafter.corpus.cleaning`.

    Returns:
        ``(text, headings)``.
    """
    from bs4 import BeautifulSoup

    soup = BeautifulSoup(html, "html.parser")
    for tag in soup(list(_DROP_TAGS)):
        tag.decompose()
    headings = []
    for level in range(1, 7):
        for h in soup.find_all(f"h{level}"):
            text = " ".join(h.get_text(" ").split())
            if text:
                headings.append((text, level))
    for br in soup.find_all("br"):
        br.replace_with("\n")
    for cell in soup.find_all(["td", "th"]):
        cell.append("\t")
    for tag in soup.find_all(list(_BLOCK_TAGS)):
        tag.insert_before("\n")
        tag.append("\n")
    root = soup.body or soup
    lines = [line.strip(" \t\r\u3000\u00a0") for line in root.get_text().split("\n")]
    order = {t: i for i, t in enumerate(lines)}
    headings.sort(key=lambda h: order.get(h[0], len(lines)))
    return "\n".join(lines), headings


# --- container formats ---------------------------------------------------------------
