"""Minutes per whole report with the embedded model, and what the weave grammar costs in generation speed.

Run: python benchmarks/bench_report.py [--model qwen2.5-coder-0.5b] [--figures FILE --corpus DIR] [--threads N]

1. A whole report (开头, 工作开展情况, 存在问题, 下步工作打算) with the ``weave`` strategy on the
   embedded model, the reply cache off, for the bundled example (``corpus/figures-example.yaml``,
   14 figures, 8 facts) or ``--figures``: wall minutes, model seconds, calls, Han characters, findings.
   The goal (issue 12) is at most 8 minutes for 15 figures on this 2-core machine.
2. The grammar's cost: the weave paragraphs of that report's work section asked once with their
   llama.cpp grammar and once without, on one server: decode tokens/s and seconds per paragraph.

Uses a fresh DRAFTER_HOME under /tmp unless DRAFTER_HOME is set (the model is joined once there).
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--model", default=None, help="embedded model (default: the configured default)")
    ap.add_argument("--figures", default=str(REPO / "corpus" / "figures-example.yaml"))
    ap.add_argument("--corpus", default=str(REPO / "corpus"))
    ap.add_argument("--threads", type=int, default=None, help="generation threads of the embedded server")
    args = ap.parse_args()
    os.environ.setdefault("DRAFTER_HOME", tempfile.mkdtemp(prefix="bench-report-"))
    from drafter.api import Drafter
    from drafter.figures import load_figures
    from drafter.llm.client import OpenAIClient
    from drafter.llm.localmodel import LocalServer, ensure_model_file
    from drafter.drafting.prompts import PromptLibrary
    from drafter.drafting.section_plan import plan_work
    from drafter.text.textutil import han_count
    from drafter.drafting.weave import grammar

    overrides = {"cache": False}
    if args.model:
        overrides["local_model"] = args.model
    if args.threads:
        overrides["threads"] = args.threads
    d = Drafter(**overrides)
    fs = load_figures(args.figures)
    d.ingest([args.corpus])
    path = ensure_model_file(d.settings.local_model, d.settings.cache_dir())
    with LocalServer(path, alias=d.settings.local_model, threads=d.settings.threads,
                     log_dir=d.settings.cache_dir() / "logs") as srv:
        client = OpenAIClient(srv.base_url, d.settings.local_model, api_key_env=None, timeout=900, max_retries=0)
        client.grammar_ok = client.schema_ok = True
        run = Drafter(llm=client, **overrides)
        t = time.perf_counter()
        draft = run.write(fs, corpus=[args.corpus], strategy="weave")
        wall = time.perf_counter() - t
        calls = sum(len(s.replies) for s in draft.sections)
        model_s = sum(s.latency for s in draft.sections)
        genre = [f.kind for f in draft.check.genre if f.kind != "length"]
        print(f"model             {d.settings.local_model} ({d.settings.threads} thread(s))")
        print(f"figures           {len(fs.figures)} ({Path(args.figures).name}), facts {len(fs.facts)}")
        print(f"whole report      {wall / 60:.2f} min wall, {model_s:.0f} s in {calls} model calls")
        print(f"length            {han_count(draft.text)} Han characters")
        print(f"number guard      {'clean' if draft.ok else [f.kind for f in draft.check.findings]}")
        print(f"genre check       {'clean' if not genre else genre}")

        prompt = PromptLibrary().for_section("work", family="weave")
        rates = {True: [], False: []}
        secs = {True: [], False: []}
        for block in plan_work(fs.for_section("work"), fs.facts_for("work"), 1100):
            for p in block.paragraphs:
                msgs = prompt.render(organisation=fs.organisation or "", period=fs.period or "", title="", section_label="",
                                     facts=[], heading=p.heading, items=[p.literal(i) for i in range(len(p.clauses))],
                                     target_chars=p.target, enumerate=p.enumerate, others=[], hints="", passages=[])
                for with_grammar in (True, False):
                    stamps: list[float] = []
                    t0 = time.perf_counter()
                    reply = client.complete(msgs, max_tokens=500, temperature=0.3,
                                            grammar=grammar(p, forbid="将") if with_grammar else None,
                                            on_token=lambda _: stamps.append(time.perf_counter()))
                    secs[with_grammar].append(time.perf_counter() - t0)
                    if len(stamps) > 2:
                        rates[with_grammar].append((len(stamps) - 1) / (stamps[-1] - stamps[0]))
        for g in (False, True):
            r = sum(rates[g]) / len(rates[g]) if rates[g] else float("nan")
            s = sum(secs[g]) / len(secs[g]) if secs[g] else float("nan")
            print(f"{'with grammar' if g else 'no grammar  '}      {r:.1f} decode tok/s, {s:.1f} s per paragraph "
                  f"({len(secs[g])} paragraphs)")
        if rates[True] and rates[False]:
            cost = 1 - (sum(rates[True]) / len(rates[True])) / (sum(rates[False]) / len(rates[False]))
            print(f"grammar cost      {100 * cost:.0f}% of decode speed")


if __name__ == "__main__":
    main()
