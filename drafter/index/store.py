"""The chunk store: chromadb for vectors and metadata, bm25s for the lexical index.

Layout of an embedded store folder (``--store``, ``$DRAFTER_STORE`` or
``$DRAFTER_HOME/store``)::

    chroma/          chromadb PersistentClient files
    lexical/         bm25s index of the collection (jieba tokens of simplified text)
    ingest.lock      held by an ingesting process (another one waits)

With ``chroma_url`` the vectors live on a Chroma server and only ``lexical/``
stays local (under ``$DRAFTER_HOME/store-remote/<host_port>``).

The collection records which embedder built it (collection metadata
``embedder`` and ``dim``); opening it with another embedder is a
:class:`StoreError`, and nothing is changed. Vectors of another dimension
than the store's (an embedding server now serving another model under the
same name) are refused before anything is written or searched, so a store
never mixes vectors of two models. chromadb's default embedding
function (which downloads a model) is never used: vectors are always passed in.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import numpy as np

from drafter.corpus.chunk import Chunk
from drafter.index.embeddings import Embedder
from drafter.index.records import chunk_from_record, chunk_metadata
from drafter.index.store_folder import UNWRITABLE, StoreFolder
from drafter.errors import DrafterError, StoreError

COLLECTION = "drafter_chunks"
"""Name of the chroma collection (chroma requires ASCII names)."""


def _safe_name(url: str) -> str:
    p = urlparse(url)
    return re.sub(r"[^A-Za-z0-9_.-]", "_", f"{p.hostname}_{p.port or ''}")


class Store(StoreFolder):
    """A chunk store opened for one embedder.

    Args:
        path: embedded store folder (ignored for vectors when ``chroma_url`` is set,
            but still holds the lexical index and lock).
        embedder: the embedder that builds/queries this store.
        chroma_url: ``http://HOST:PORT`` of a Chroma server, or None.

    Raises:
        StoreError: the store is corrupt, unreachable, or built by another embedder.
    """

    def __init__(self, path: Path, embedder: Embedder, chroma_url: str | None = None) -> None:
        self.embedder = embedder
        self.chroma_url = chroma_url
        self.path = Path(path)
        if chroma_url:
            from drafter.config import drafter_home

            self.local_dir = drafter_home() / "store-remote" / _safe_name(chroma_url)
        else:
            self.local_dir = self.path
        self._client = None
        self._collection = None
        self._lexical = None
        self._dim: int | None = None

    # -- opening -----------------------------------------------------------
    def _open_client(self):
        import chromadb
        from chromadb.config import Settings as ChromaSettings

        settings = ChromaSettings(anonymized_telemetry=False, allow_reset=False)
        if self.chroma_url:
            p = urlparse(self.chroma_url)
            if p.scheme not in ("http", "https") or not p.hostname:
                raise StoreError(f"--chroma-url '{self.chroma_url}' is not an http://HOST:PORT address.")
            try:
                client = chromadb.HttpClient(host=p.hostname, port=p.port or 8000, ssl=p.scheme == "https", settings=settings)
                client.heartbeat()
            except Exception as exc:
                raise StoreError(f"Cannot reach the Chroma server at {self.chroma_url} ({type(exc).__name__}).", "Start it with: chroma run --host 127.0.0.1 --port PORT --path FOLDER") from exc
            return client
        self.check_path()
        if (self.path / "chroma").exists():
            self.check_writable()
        try:
            return chromadb.PersistentClient(path=str(self.path / "chroma"), settings=settings)
        except Exception as exc:
            if UNWRITABLE.search(str(exc)) or isinstance(exc, PermissionError):
                raise self._read_only(f"{type(exc).__name__}: {exc}") from exc
            raise StoreError(f"The store at {self.path} cannot be opened ({type(exc).__name__}: {exc}); it may be corrupt. Its files were not changed.", "Use another --store folder, or delete this one and ingest again.") from exc

    @property
    def client(self):
        if self._client is None:
            self._client = self._open_client()
        return self._client

    def exists(self) -> bool:
        """True when the collection exists (without creating it).

        Raises:
            StoreError: the store path is or lies under a file, or the store cannot be read.
        """
        self.check_path()
        if not self.chroma_url and not (self.path / "chroma").exists():
            return False
        try:
            names = [getattr(c, "name", c) for c in self.client.list_collections()]
        except StoreError:
            raise
        except Exception as exc:
            raise StoreError(f"The store at {self.chroma_url or self.path} cannot be read ({type(exc).__name__}: {exc}); its files were not changed.") from exc
        return COLLECTION in names

    def collection(self, create: bool = False):
        """The chroma collection, checked against the embedder.

        Raises:
            StoreError: missing (when ``create`` is false) or built by another embedder.
        """
        if self._collection is not None:
            return self._collection
        try:
            if create and not self.exists():
                # the dimension is known before the first vector (an embedding server is asked once)
                dim = self.embedder.dimension()
                col = self.client.get_or_create_collection(
                    COLLECTION,
                    metadata={"embedder": self.embedder.name, "dim": int(dim), "hnsw:space": "cosine"},
                    embedding_function=None,
                )
            elif create:
                col = self.client.get_collection(COLLECTION, embedding_function=None)
            elif not self.exists():
                raise StoreError(f"The store at {self.chroma_url or self.path} is empty.", "Run 'drafter ingest PATH' first.")
            else:
                col = self.client.get_collection(COLLECTION, embedding_function=None)
        except DrafterError:  # StoreError, or the embedder failing to give its dimension
            raise
        except Exception as exc:
            raise StoreError(f"The store at {self.chroma_url or self.path} cannot be opened ({type(exc).__name__}: {exc}); its files were not changed.") from exc
        built_by = (col.metadata or {}).get("embedder")
        if built_by and built_by != self.embedder.name:
            raise StoreError(
                f"The store at {self.chroma_url or self.path} was built with the embedder '{built_by}', not '{self.embedder.name}'.",
                "Use the same --embedder, or another --store folder.",
            )
        self._collection = col
        return col

    def stored_dim(self) -> int | None:
        """Dimension of the stored vectors: recorded at creation, else read from one vector; None when empty."""
        if self._dim is None and self.exists():
            col = self.collection()
            dim = (col.metadata or {}).get("dim")
            if not dim and col.count():
                got = col.get(limit=1, include=["embeddings"])
                embs = got.get("embeddings")
                dim = len(embs[0]) if embs is not None and len(embs) else None
            self._dim = int(dim) if dim else None
        return self._dim

    def check_dim(self, n: int) -> None:
        """Refuse vectors of ``n`` dimensions when the store holds vectors of another size.

        Raises:
            StoreError: naming the store, both sizes and the embedder; nothing is changed.
        """
        stored = self.stored_dim()
        if stored is not None and n != stored:
            raise StoreError(
                f"The store at {self.chroma_url or self.path} holds {stored}-dimensional vectors, but the embedder "
                f"'{self.embedder.name}' gives {n}-dimensional ones; vectors of two models are never mixed, and nothing was changed.",
                "Serve the model that built the store, use its --embedder, or use another --store folder.",
            )

    # -- writing -----------------------------------------------------------
    def ids_for_source(self, source: str) -> dict[str, str]:
        """``{chunk_id: file_hash}`` of the chunks stored for one source file."""
        col = self.collection(create=True)
        got = col.get(where={"source": source}, include=["metadatas"])
        return {cid: (m or {}).get("file_hash", "") for cid, m in zip(got["ids"], got["metadatas"])}

    def sources(self) -> dict[str, str]:
        """``{source: file_hash}`` of every file in the store."""
        out: dict[str, str] = {}
        for meta in self._all_metadata():
            out[meta.get("source", "")] = meta.get("file_hash", "")
        return out

    def add(self, chunks: Sequence[Any], embeddings: np.ndarray, file_hash: str) -> None:
        """Upsert chunks with their vectors (shape ``(len(chunks), dim)``)."""
        if not chunks:
            return
        col = self.collection(create=True)
        self.check_dim(int(embeddings.shape[1]))
        for i in range(0, len(chunks), 1000):
            part = chunks[i : i + 1000]
            col.upsert(
                ids=[c.id for c in part],
                documents=[c.text for c in part],
                metadatas=[chunk_metadata(c, file_hash) for c in part],
                embeddings=embeddings[i : i + 1000].tolist(),
            )

    def delete(self, ids: Iterable[str]) -> None:
        """Delete chunks by id."""
        ids = list(ids)
        col = self.collection(create=True)
        for i in range(0, len(ids), 1000):
            col.delete(ids=ids[i : i + 1000])

    def count(self) -> int:
        """Number of chunks stored (0 when the store is empty)."""
        return self.collection().count() if self.exists() else 0

    # -- reading -----------------------------------------------------------
    def _all_metadata(self) -> list[dict[str, Any]]:
        if not self.exists():
            return []
        col = self.collection()
        out: list[dict[str, Any]] = []
        n = col.count()
        for off in range(0, n, 5000):
            out.extend(m or {} for m in col.get(include=["metadatas"], limit=5000, offset=off)["metadatas"])
        return out

    def all_chunks(self) -> list[Chunk]:
        """Every chunk (text and metadata), in store order."""
        if not self.exists():
            return []
        col = self.collection()
        out: list[Chunk] = []
        n = col.count()
        for off in range(0, n, 5000):
            got = col.get(include=["documents", "metadatas"], limit=5000, offset=off)
            out.extend(chunk_from_record(i, d, m or {}) for i, d, m in zip(got["ids"], got["documents"], got["metadatas"]))
        return out

    def get(self, ids: Sequence[str], with_embeddings: bool = False) -> tuple[list[Chunk], np.ndarray | None]:
        """Chunks by id (in the given order) and, optionally, their vectors."""
        if not ids:
            return [], (np.zeros((0, self.embedder.dim or 1), dtype=np.float32) if with_embeddings else None)
        include = ["documents", "metadatas"] + (["embeddings"] if with_embeddings else [])
        col = self.collection()
        try:
            got = col.get(ids=list(ids), include=include)
        except Exception as exc:
            if not with_embeddings:
                raise StoreError(f"The store at {self.chroma_url or self.path} cannot be read ({type(exc).__name__}: {exc}).") from exc
            got = self._get_readable(col, list(ids), include)
        pos = {cid: i for i, cid in enumerate(got["ids"])}
        order = [pos[c] for c in ids if c in pos]
        chunks = [chunk_from_record(got["ids"][i], got["documents"][i], got["metadatas"][i] or {}) for i in order]
        vecs = None
        if with_embeddings:
            vecs = np.asarray([got["embeddings"][i] for i in order], dtype=np.float32)
        return chunks, vecs

    @staticmethod
    def _get_readable(col: Any, ids: list[str], include: list[str]) -> dict[str, list[Any]]:
        """Chunks one by one, leaving out those whose vectors cannot be read yet.

        While another process ingests, chroma may hold a chunk's metadata but not
        yet its vector ("Error finding id"); a search then gets fewer chunks
        instead of failing.
        """
        out: dict[str, list[Any]] = {"ids": [], "documents": [], "metadatas": [], "embeddings": []}
        for cid in ids:
            try:
                one = col.get(ids=[cid], include=include)
            except Exception:
                continue
            for key in out:
                out[key].extend(list(one[key]) if one.get(key) is not None else [])
        return out

    def dense_query(self, vector: np.ndarray, k: int, where: dict[str, Any] | None = None) -> list[tuple[str, float]]:
        """Top-``k`` ``(chunk_id, cosine similarity)`` for a query vector, filtered by ``where``."""
        col = self.collection()
        self.check_dim(int(np.asarray(vector).shape[-1]))
        # chroma returns fewer than n_results when the collection is smaller (no count() round trip)
        res = col.query(query_embeddings=[vector.tolist()], n_results=k, where=where or None, include=["distances"])
        return [(cid, 1.0 - float(d)) for cid, d in zip(res["ids"][0], res["distances"][0])]

    def vectors(self, ids: Sequence[str]) -> tuple[list[str], np.ndarray]:
        """Vectors of chunks by id: the ids found (in the given order) and an array ``(found, dim)``."""
        if not ids:
            return [], np.zeros((0, self.embedder.dim or 1), dtype=np.float32)
        col = self.collection()
        try:
            got = col.get(ids=list(ids), include=["embeddings"])
        except Exception:  # an ingest in another process: some vectors are not readable yet
            got = self._get_readable(col, list(ids), ["embeddings"])
        pos = {cid: i for i, cid in enumerate(got["ids"])}
        found = [c for c in ids if c in pos]
        return found, np.asarray([got["embeddings"][pos[c]] for c in found], dtype=np.float32).reshape(len(found), -1)

    # -- lexical index -------------------------------------------------------
    def lexical(self):
        """The persisted BM25 index (:class:`drafter.index.lexical.LexicalIndex`), loaded once.

        Rebuilt from the collection only when missing or out of date (e.g. a
        store filled by another machine through a Chroma server), and then only
        when no ingest is running (its lock is free): during an ingest the saved
        index is used as it is, or an empty one while the ingest replaces it, so
        a search finds fewer passages but never fails or races the ingest's save.
        """
        from filelock import FileLock, Timeout

        from drafter.index.lexical import LexicalIndex

        if self._lexical is None:
            idx = LexicalIndex.load(self.local_dir / "lexical")
            if self._lexical_matches(idx):
                self._lexical = idx
                return idx
            self.make_folder()
            try:
                with FileLock(str(self.local_dir / "ingest.lock"), timeout=0):
                    self.rebuild_lexical()
            except Timeout:  # an ingest is running: use what is there, do not keep it
                return idx if idx is not None else LexicalIndex.build([])
        return self._lexical

    def lexical_stale(self) -> bool:
        """True when the saved lexical index is missing or does not hold exactly the collection's chunk ids."""
        from drafter.index.lexical import LexicalIndex

        return not self._lexical_matches(LexicalIndex.load(self.local_dir / "lexical"))

    def _lexical_matches(self, idx: Any) -> bool:
        """The index holds the collection's chunks: same count, then the same ids.

        Judged by content, not count: a run killed between deleting a file's old
        chunks and saving the index can leave as many chunks as before, other ones
        (ids are content hashes, so equal id sets mean equal texts).
        """
        return idx is not None and idx.count == self.count() and set(idx.meta.ids) == set(self.ids())

    def ids(self) -> list[str]:
        """Every chunk id in the store, in store order (no documents or vectors read)."""
        if not self.exists():
            return []
        col = self.collection()
        out: list[str] = []
        for off in range(0, col.count(), 10000):
            out.extend(col.get(include=[], limit=10000, offset=off)["ids"])
        return out

    def rebuild_lexical(self):
        """Rebuild and persist the BM25 index from every stored chunk (called after ingest).

        Tokens of chunks already in the saved index are reused, so only new
        chunks are segmented; the BM25 statistics are recomputed for all.
        """
        from drafter.index.lexical import LexicalIndex

        previous = LexicalIndex.load(self.local_dir / "lexical") or self._lexical  # the saved one matches its tokens.txt
        idx = LexicalIndex.build(self.all_chunks(), reuse=previous)
        idx.save(self.local_dir / "lexical")
        self._lexical = idx
        return idx
