"""The page of ``drafter serve``: page load and re-check latency on a whole report (goal: re-check < 300 ms).

Usage::

    python benchmarks/bench_serve.py [--runs 30]

Serves the app with uvicorn on a free loopback port (scripted model, hash embedder, the bundled
corpus ingested), drafts a whole report — opening, 工作开展情况, 存在问题, 下步工作打算; 15 figures,
about 2,400 characters, one figure written wrong so the page has a mark — and prints:

* re-check, the pure function (:func:`drafter.web.recheck.recheck`), per section and for the whole
  report (every section, as on opening a draft): cold first call, then median and p95 of ``--runs``;
* re-check through HTTP: ``PUT /api/drafts/ID/sections/N`` (what the page sends on each edit) for the
  longest section, median and p95;
* page load: ``GET /`` with its script and style sheet, and ``GET /api/drafts/ID`` (the whole report
  with every finding), median; with /usr/bin/chromium, the time from navigation until the draft is shown.
"""

from __future__ import annotations

import argparse
import os
import re
import statistics
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
FIGURES = {
    "title": "柳塘村2025年驻村工作总结", "organisation": "枫林县白沙镇柳塘村驻村工作队", "period": "2025年",
    "figures": [
        {"name": "新建改造农村公路", "value": "4.5", "unit": "公里", "section": "work"},
        {"name": "安装太阳能路灯", "value": "60", "unit": "盏", "section": "work"},
        {"name": "开展技能培训", "value": "460", "unit": "人次", "section": "work"},
        {"name": "带动脱贫户就业", "value": "95", "unit": "户", "section": "work"},
        {"name": "新建改造垃圾收集点", "value": "11", "unit": "处", "section": "work"},
        {"name": "自来水入户率", "value": "98", "unit": "%", "section": "work"},
        {"name": "村集体经济收入", "value": "18.9", "unit": "万元", "section": "work"},
        {"name": "脱贫户人均纯收入", "value": "15630", "unit": "元", "section": "work"},
        {"name": "完成农村改厕", "value": "42", "unit": "户", "section": "work"},
        {"name": "发展黄桃种植", "value": "320", "unit": "亩", "section": "work"},
        {"name": "集体经济收入中租金占比", "value": "70", "unit": "%", "section": "problems"},
        {"name": "外出务工劳动力", "value": "210", "unit": "人", "section": "problems"},
        {"name": "新建高标准农田", "value": "500", "unit": "亩", "section": "next_steps"},
        {"name": "村集体经济收入目标", "value": "25", "unit": "万元", "section": "next_steps"},
        {"name": "培训致富带头人", "value": "30", "unit": "名", "section": "next_steps"},
    ],
    "facts": [{"text": "成立村红白理事会", "section": "work"}, {"text": "柳塘村村史馆建成开放", "section": "work"}],
    "names": ["柳塘村", "白沙镇", "枫林县"],
}
# The scripted model's text for each section, our own writing. Work and opening are prose (the free
# strategy: the reply is the section); problems and next steps are JSON items (those sections are composed).
PROSE = {
    "开头": "2025年，柳塘村驻村工作队在县委县政府和白沙镇党委的坚强领导下，坚持以党建引领乡村振兴，围绕巩固拓展脱贫攻坚成果、"
            "壮大村集体经济、改善人居环境等重点任务，真抓实干、攻坚克难，各项工作取得了阶段性成效。现将一年来的工作情况报告如下。",
    "工作开展情况": "（一）完善基础设施建设\n\n工作队积极争取项目资金，补齐村内基础设施短板。一是新建改造农村公路4.6公里，"
              "解决了群众出行难的问题，沿线种植绿化苗木，打通了村组之间的断头路；二是安装太阳能路灯60盏，主干道实现夜间照明全覆盖，"
              "群众晚间出行更加安全便利；三是新建改造垃圾收集点11处，完成农村改厕42户，建立保洁员定期清运制度，村容村貌明显改善；"
              "四是推进饮水安全工程，更换老旧管网，自来水入户率达到98%，群众喝上了放心水。\n\n"
              "（二）促进群众就业增收\n\n坚持把就业作为最大的民生，联合县人社部门和镇农技站，围绕种植养殖、电商销售、家政服务等内容，"
              "组织开展技能培训460人次，带动脱贫户就业95户。依托柳塘村股份经济合作社发展黄桃种植320亩，推行“合作社加农户”的经营方式，"
              "统一品种、统一技术、统一销售，村集体经济收入达到18.9万元，脱贫户人均纯收入达到15630元，群众获得感明显增强。"
              "同时落实防止返贫动态监测机制，对监测户逐户制定帮扶措施，做到早发现、早干预、早帮扶。\n\n"
              "（三）加强基层组织建设\n\n坚持把党建引领贯穿驻村工作全过程，认真落实“三会一课”、主题党日等制度，"
              "组织党员开展志愿服务和结对帮扶，党支部的凝聚力和战斗力不断增强。完善村务监督委员会运行机制，"
              "推行村级事务阳光公开，重大事项全部经过“四议两公开”程序决策，群众满意度持续提升。\n\n"
              "（四）推进乡风文明建设\n\n成立村红白理事会，修订完善村规民约，推动移风易俗，遏制大操大办和高价彩礼；"
              "柳塘村村史馆建成开放，成为开展党史学习教育和乡风文明宣传的重要阵地。开展“好媳妇”“好公婆”评选活动，"
              "以身边人身边事引导群众崇德向善，文明乡风、良好家风、淳朴民风日益形成。",
    "存在问题": [
        {"heading": "集体经济结构单一", "text": "村集体经济收入来源以资产租赁为主，经营性收入偏少，产业链条较短，抗风险能力不强，"
                                          "持续增收的后劲不足。"},
        {"heading": "人才支撑不足", "text": "青壮年劳动力大量外出，留守人员以老人和儿童为主，懂技术、会经营的本土人才缺乏，"
                                      "产业发展缺乏带头人。"},
        {"heading": "基础设施仍有短板", "text": "部分村民小组道路较窄，排水设施不完善，雨季积水问题仍然存在，公共服务水平有待提高。"},
    ],
    "下步工作打算": [
        {"heading": "夯实产业基础", "text": "推动黄桃产业提质增效，发展冷链仓储和农产品初加工，延长产业链条，提高产品附加值。"},
        {"heading": "壮大集体经济", "text": "盘活闲置资产资源，探索入股分红、服务创收等多种经营方式，拓宽集体经济增收渠道。"},
        {"heading": "加强人才培育", "text": "引导外出能人返乡创业，加大实用技术培训力度，为乡村振兴注入新动能。"},
        {"heading": "巩固脱贫成果", "text": "持续落实防止返贫动态监测和帮扶机制，守住不发生规模性返贫的底线。"},
    ],
}


def reply(messages):
    import json

    prompt = "\n".join(m["content"] for m in messages)
    for label in ("存在问题", "下步工作打算"):
        if label in prompt and '"items"' in prompt:
            n = int(re.search(r"恰好 (\d+) 条", prompt).group(1)) if re.search(r"恰好 (\d+) 条", prompt) else len(PROSE[label])
            return json.dumps({"items": (PROSE[label] * 2)[:n]}, ensure_ascii=False)
    if "工作开展情况" in prompt:
        return PROSE["工作开展情况"]
    return PROSE["开头"]


def timed(fn, runs: int) -> tuple[float, float, float]:
    """(first, median, p95) seconds of ``runs`` calls after the first."""
    t0 = time.perf_counter()
    fn()
    first = time.perf_counter() - t0
    times = []
    for _ in range(runs):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    times.sort()
    return first, statistics.median(times), times[min(len(times) - 1, int(len(times) * 0.95))]


def ms(x: float) -> str:
    return f"{x * 1000:.1f} ms"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=30, help="timed runs per figure (default 30)")
    args = parser.parse_args()
    home = Path(tempfile.mkdtemp(prefix="bench-serve-"))
    os.environ["DRAFTER_HOME"] = str(home)

    import httpx

    from drafter.config import load_settings
    from drafter.index.embeddings import HashEmbedder
    from drafter.testing import FakeLLM
    from drafter.web import drafts as dr
    from drafter.web.app import create_app
    from drafter.web.live import running
    from drafter.web.recheck import recheck

    app = create_app(load_settings(strategy="free", repair_rounds=0, store=home / "store"), llm=FakeLLM(default=reply),
                     embedder=HashEmbedder(), home=home)
    with running(app) as url, httpx.Client(base_url=url, timeout=60) as c:
        c.get("/")
        c.headers["X-CSRF-Token"] = c.cookies["drafter_csrf"]
        files = [("files", (p.name, p.read_bytes())) for p in sorted((REPO / "corpus").glob("*.txt"))]
        job = c.post("/api/corpus", files=files).json()["job"]
        web = app.app.state.web
        while web.queue.get(job).state not in ("done", "failed"):
            time.sleep(0.05)
        did = c.post("/api/drafts", json={"figures": FIGURES}).json()["id"]
        while web.queue.get(did).state not in ("done", "failed"):
            time.sleep(0.05)
        rec = web.drafts.read(did)
        figset, _, _ = dr.validate_document(rec["figures"])
        sections = rec["sections"]
        chars = sum(len(s["body"]) for s in sections)
        view = c.get(f"/api/drafts/{did}").json()
        findings = sum(len(s["findings"]) for s in view["sections"])
        print(f"report: {len(sections)} sections, {chars:,} characters, {len(figset.figures)} figures, {findings} finding(s), "
              f"{sum(len(s['context']) for s in sections)} context passages")

        print(f"\nre-check, pure function ({args.runs} runs): first / median / p95")
        for s in sections:
            fs = dr.section_figset(figset, s["figures"])
            first, med, p95 = timed(lambda: recheck(s["body"], fs, s["kind"], s["context"]), args.runs)
            print(f"  {(s['heading'] or s['kind']):<12} {len(s['body']):>5} chars  {ms(first):>9} / {ms(med):>8} / {ms(p95):>8}")

        def whole() -> None:
            for s in sections:
                recheck(s["body"], dr.section_figset(figset, s["figures"]), s["kind"], s["context"])

        first, med, p95 = timed(whole, args.runs)
        print(f"  whole report  {chars:>5} chars  {ms(first):>9} / {ms(med):>8} / {ms(p95):>8}   (goal < 300 ms)")
        for k in (2, 4, 8):  # longer reports: every section's text k times over
            def longer(k=k) -> None:
                for s in sections:
                    recheck("\n\n".join([s["body"]] * k), dr.section_figset(figset, s["figures"]), s["kind"], s["context"])

            first, med, p95 = timed(longer, max(5, args.runs // 3))
            print(f"  report x{k:<6} {chars * k:>6} chars {ms(first):>9} / {ms(med):>8} / {ms(p95):>8}")

        longest = max(range(len(sections)), key=lambda i: len(sections[i]["body"]))
        body = sections[longest]["body"]
        edits = iter(range(10**6))

        def put() -> None:  # a real edit each time: one more sentence end, then back
            n = next(edits)
            r = c.put(f"/api/drafts/{did}/sections/{longest}", json={"body": body + ("。" if n % 2 else "")})
            r.raise_for_status()

        first, med, p95 = timed(put, args.runs)
        print(f"\nre-check over HTTP, PUT section {longest} ({len(body)} chars): first {ms(first)}, median {ms(med)}, p95 {ms(p95)}")

        def page() -> None:
            for path in ("/", "/static/app.js", "/static/app.css"):
                c.get(path).raise_for_status()

        first, med, p95 = timed(page, args.runs)
        size = sum(len(c.get(p).content) for p in ("/", "/static/app.js", "/static/app.css"))
        print(f"\npage load, GET / + app.js + app.css ({size / 1024:.0f} KiB): median {ms(med)}, p95 {ms(p95)}")
        first, med, p95 = timed(lambda: c.get(f"/api/drafts/{did}").raise_for_status(), args.runs)
        print(f"draft load, GET /api/drafts/ID (whole report re-checked): first {ms(first)}, median {ms(med)}, p95 {ms(p95)}")
        browser(url, did, max(3, args.runs // 6))


def browser(url: str, did: str, runs: int) -> None:
    if not Path("/usr/bin/chromium").exists():
        print("browser: /usr/bin/chromium not installed; skipped")
        return
    from playwright.sync_api import sync_playwright

    args = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
            "--disable-background-networking", "--disable-component-update", "--disable-sync"]
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path="/usr/bin/chromium", args=args)
        pg = b.new_page(viewport={"width": 1400, "height": 1000})
        times = []
        for _ in range(runs + 1):
            pg.goto("about:blank")
            t0 = time.perf_counter()
            pg.goto(f"{url}#draft/{did}")
            pg.wait_for_function("document.querySelectorAll('#sections .body').length === 4 && "
                                 "document.querySelector('#findings li')")
            times.append(time.perf_counter() - t0)
        b.close()
    warm = sorted(times[1:])
    print(f"browser: navigation until the whole draft and its findings are shown: first {ms(times[0])}, "
          f"median {ms(statistics.median(warm))} ({runs} runs, headless chromium)")


if __name__ == "__main__":
    main()
