"""Benchmark the embedded model: join time, server start, tokens/s of one ~400-character Chinese reply.

Usage::

    python benchmarks/bench_generate.py                      # default model, 1 thread, Drafter's cache
    python benchmarks/bench_generate.py --model qwen2.5-coder-0.5b --cold   # join into a fresh temp cache first

Prints one line per measurement. ``decode tok/s`` counts streamed pieces
(llama.cpp sends one per token) between the first and the last piece, so it
excludes prompt processing; ``overall tok/s`` is completion tokens over the
whole request.
"""

from __future__ import annotations

import argparse
import shutil
import tempfile
import time
from pathlib import Path

from drafter.config import Settings
from drafter.llm.client import OpenAIClient
from drafter.llm.localmodel import DEFAULT_MODEL, MODELS, LocalServer, ensure_model_file

MESSAGES = [
    {"role": "system", "content": "你是一名县级政府工作报告的起草助手。请用简体中文、正式的公文语体写作，不要使用列表和标题。"},
    {"role": "user", "content": "请写一段约400字的文字，总结过去一年本县在乡村振兴方面的工作，"
                                "包括农村道路、饮水安全、特色产业和人居环境四个方面。不要写具体数字。"},
]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--model", default=DEFAULT_MODEL, choices=sorted(MODELS))
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--max-tokens", type=int, default=700)
    ap.add_argument("--cold", action="store_true", help="join the parts into a fresh temporary cache (times the join)")
    args = ap.parse_args()

    tmp = Path(tempfile.mkdtemp(prefix="drafter-bench-")) if args.cold else None
    cache = tmp or Settings().cache_dir()
    try:
        t = time.perf_counter()
        path = ensure_model_file(args.model, cache)
        print(f"model            {args.model} ({path.stat().st_size / 2**20:.0f} MiB)")
        print(f"join/check       {time.perf_counter() - t:.2f} s{' (cold)' if args.cold else ''}")

        with LocalServer(path, alias=args.model, threads=args.threads, log_dir=cache / "logs") as srv:
            print(f"server start     {srv.startup_seconds:.2f} s  (threads={args.threads})")
            client = OpenAIClient(srv.base_url, args.model, api_key_env=None, timeout=900, max_retries=0)
            stamps: list[float] = []
            t0 = time.perf_counter()
            reply = client.complete(MESSAGES, max_tokens=args.max_tokens, temperature=0.3,
                                    on_token=lambda _: stamps.append(time.perf_counter()))
            total = time.perf_counter() - t0
        decode = (len(stamps) - 1) / (stamps[-1] - stamps[0]) if len(stamps) > 2 else float("nan")
        print(f"reply            {len(reply.text)} characters, {reply.completion_tokens} tokens, "
              f"finish={reply.finish_reason}")
        print(f"first token      {stamps[0] - t0:.2f} s (prompt {reply.prompt_tokens or '?'} tokens)")
        print(f"completion time  {total:.2f} s")
        print(f"decode tok/s     {decode:.1f}")
        print(f"overall tok/s    {reply.completion_tokens / total:.1f}")
        print("---\n" + reply.text)
    finally:
        if tmp:
            shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
