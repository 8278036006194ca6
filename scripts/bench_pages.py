"""The filing pages in one process: median time, queries and where the time
goes, beside /healthz (the trivial view the load test compares with).

Not a test: it uses the load benchmark's database (scripts/bench_load_data.py
prepares it; the first run imports 2,000 filings), logs in as one officer with
Django's test client and GETs each page of their filing in turn. DEBUG stays
off as in production and the database connection stays open between requests.

    .venv/bin/python scripts/bench_pages.py [--rounds 60] [--profile] [--preview-rows 30] [--cpu]

--profile prints the functions that take the most time on each page
(cProfile, cumulative) instead of recording; --no-record only prints.
--preview-rows N also times, on a second officer's filing whose 附件2 is
extended to N indicator rows once (scripts/bench_writes.py), that page and
its live preview (POST, one cell changed), and counts the preview's writes
and SELECT … FOR UPDATE, which must be zero.
--cpu also prints, beside each wall-clock median, the median CPU time of this
process per request (time.process_time: the view, templates and the database
driver, not the PostgreSQL server). On a shared machine other work stretches
the wall clock but hardly this, so before/after comparisons use it.
"""

import argparse
import cProfile
import datetime
import io
import os
import platform
import pstats
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "scripts"))
import bench_load_data as data  # noqa: E402
from benchlib import (  # noqa: E402
    database_create_if_missing,
    machine,
    machine_line,
    percentile,
    section_write,
)

SECTION = "填报页单进程计时（进程内，PostgreSQL，2,000 个部门）"
PAGES = {
    "overview": "概览",
    "profile": "部门基本情况",
    "funds": "年度资金",
    "basic": "附件1 基础数据表",
    "scores": "附件2 自评表",
    "report": "自评报告",
}
WARMUPS = 5
# What every signed-in page pays before it shows anything of its own.
FLOOR_URL = "/bench-floor/"
REFERENCES = {
    "floor": "参照：登录后只渲染 base.html（会话、用户、角色、导航栏）",
    "my_filings": "参照：我的填报（列表页）",
}


def floor_add():
    """A view that renders only base.html, behind the whole middleware stack,
    added to the URLs of this process alone."""
    from django.shortcuts import render
    from django.urls import clear_url_caches, path

    from perfeval import urls

    urls.urlpatterns.append(
        path(FLOOR_URL.strip("/") + "/", lambda request: render(request, "base.html"))
    )
    clear_url_caches()


def setup():
    os.environ.setdefault("DJANGO_CONN_MAX_AGE", "60")
    os.environ["DJANGO_DEBUG"] = "0"
    os.environ["ALLOWED_HOSTS"] = "testserver"
    database_create_if_missing(data.database_url())
    data.django_setup()
    data.data_ensure()


def measure(client, url: str, rounds: int, post: dict | None = None) -> dict:
    """GET `url`, or POST `post` to it, `rounds` times after the warm-ups."""
    from bench_writes import Statements

    def request():
        return client.get(url) if post is None else client.post(url, post)

    for _ in range(WARMUPS):
        response = request()
        assert response.status_code == 200, (url, response.status_code)
    with Statements() as statements:
        request()
    times, cpu_times = [], []
    for _ in range(rounds):
        started, cpu_started = time.perf_counter(), time.process_time()
        response = request()
        cpu_times.append((time.process_time() - cpu_started) * 1000)
        times.append((time.perf_counter() - started) * 1000)
    inputs = response.content.count(b"<input") + response.content.count(b"<textarea")
    kinds = statements.kinds()
    return {
        "median": statistics.median(times),
        "cpu": statistics.median(cpu_times),
        "p95": percentile(times, 0.95),
        "queries": len(statements.sql),
        "writes": statements.writes(),
        "for_update": kinds["SELECT … FOR UPDATE"],
        "inputs": inputs,
        "size": len(response.content),
    }


def preview_measure(rows: int, rounds: int) -> dict:
    """附件2 of a second officer's filing with `rows` indicator rows: the page
    (GET) and its live preview (POST, one cell changed)."""
    from bench_writes import indicators_extend, one_cell_changed
    from django.contrib.auth import get_user_model
    from django.test import Client
    from django.urls import reverse

    officer = data.officers_pick(2)[1]
    client = Client()
    client.force_login(get_user_model().objects.get(username=officer["username"]))
    url = reverse("evaluations:filing_part", args=[officer["filing"], "scores"])
    total = indicators_extend(client, url, rows)
    form = one_cell_changed(client, url)
    preview_url = reverse("evaluations:part_preview", args=[officer["filing"], "scores"])
    return {
        "rows": total,
        "page": measure(client, url, rounds),
        "preview": measure(client, preview_url, rounds, post=form.data),
    }


def profile(client, url: str, rounds: int) -> str:
    profiler = cProfile.Profile()
    profiler.enable()
    for _ in range(rounds):
        client.get(url)
    profiler.disable()
    out = io.StringIO()
    pstats.Stats(profiler, stream=out).sort_stats("cumulative").print_stats(35)
    return out.getvalue()


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=60, help="每页计时次数（≤ 1000）")
    parser.add_argument("--profile", action="store_true", help="打印 cProfile，不记录")
    parser.add_argument("--no-record", action="store_true", help="不写 docs/benchmarks.md")
    parser.add_argument(
        "--preview-rows", type=int, default=0, help="另测 N 行指标的附件2 及其实时预览（0 不测）"
    )
    parser.add_argument(
        "--cpu", action="store_true", help="在墙钟中位数旁另列本进程 CPU 时间的中位数"
    )
    args = parser.parse_args()
    rounds = max(1, min(args.rounds, 1000))
    setup()
    import django
    from django.contrib.auth import get_user_model
    from django.test import Client
    from django.urls import reverse

    User = get_user_model()
    officer = data.officers_pick(1)[0]
    client = Client()
    client.force_login(User.objects.get(username=officer["username"]))
    urls = {key: reverse("evaluations:filing_part", args=[officer["filing"], key]) for key in PAGES}
    floor_add()
    if args.profile:
        for key, url in urls.items():
            print(f"==== {PAGES[key]} {url}")
            print(profile(client, url, rounds))
        return
    results = {"healthz": measure(client, "/healthz", rounds)}
    results["floor"] = measure(client, FLOOR_URL, rounds)
    results["my_filings"] = measure(client, reverse("evaluations:my_filings"), rounds)
    for key, url in urls.items():
        results[key] = measure(client, url, rounds)
    preview = preview_measure(min(args.preview_rows, 60), rounds) if args.preview_rows else None
    base = results["healthz"]["median"]

    def cpu(result: dict, digits: int = 1) -> str:
        return f" {result['cpu']:.{digits}f} ms |" if args.cpu else ""

    lines = [
        f"- 日期：{datetime.datetime.now().astimezone():%Y-%m-%d %H:%M %z}",
        machine_line(machine()),
        f"- 软件：Python {platform.python_version()}，Django {django.get_version()}，PostgreSQL",
        "- 命令：`.venv/bin/python scripts/bench_pages.py"
        + (f" --preview-rows {args.preview_rows}" if args.preview_rows else "")
        + (" --cpu" if args.cpu else "")
        + "`",
        "- 方法：一名填报人（附件1 全部行、指标齐全的草稿），"
        f"django.test.Client 在同一进程里依次 GET，每页先预热 {WARMUPS} 次再计 {rounds} 次；"
        "DEBUG 关闭，数据库连接保持；"
        "不含 HTTP、gunicorn 和 WhiteNoise，比值是视图本身的差距；这里的 /healthz 由已登录的客户端"
        "请求，中间件也读了会话和用户（3 条查询），负载测试里它是匿名请求（1 条）",
    ]
    if args.cpu:
        lines.append(
            "- CPU：每次请求前后读 `time.process_time()`（本进程：视图、模板、数据库驱动，"
            "不含 PostgreSQL 服务进程），取中位数；同机负载只拉长墙钟，几乎不影响它"
        )
    lines += [
        "",
        "| 页面 | 中位数 |"
        + (" CPU 中位数 |" if args.cpu else "")
        + " p95 | 相对 /healthz | 查询数 | 输入框 | 页面大小 |",
        "|---|---:|" + ("---:|" if args.cpu else "") + "---:|---:|---:|---:|---:|",
        f"| /healthz | {base:.2f} ms |{cpu(results['healthz'], 2)} "
        f"{results['healthz']['p95']:.2f} ms | 1× | {results['healthz']['queries']} | — | — |",
    ]
    for key, label in REFERENCES.items():
        result = results[key]
        lines.append(
            f"| {label} | {result['median']:.1f} ms |{cpu(result)} {result['p95']:.1f} ms | "
            f"{result['median'] / base:.1f}× | {result['queries']} | — | "
            f"{result['size'] / 1024:.0f} KB |"
        )
    for key, label in PAGES.items():
        result = results[key]
        lines.append(
            f"| {label} | {result['median']:.1f} ms |{cpu(result)} {result['p95']:.1f} ms | "
            f"{result['median'] / base:.1f}× | {result['queries']} | {result['inputs']} | "
            f"{result['size'] / 1024:.0f} KB |"
        )
    if preview:
        for label, result in (
            (f"附件2 自评表（{preview['rows']} 行指标，另一份填报）", preview["page"]),
            (f"附件2 实时预览（同上 {preview['rows']} 行，POST，改一格）", preview["preview"]),
        ):
            lines.append(
                f"| {label} | {result['median']:.1f} ms |{cpu(result)} {result['p95']:.1f} ms | "
                f"{result['median'] / base:.1f}× | {result['queries']} | "
                f"{result['inputs'] or '—'} | {result['size'] / 1024:.0f} KB |"
            )
        lines += [
            "",
            f"- 实时预览的写入（INSERT/UPDATE/DELETE）{preview['preview']['writes']} 条，"
            f"SELECT … FOR UPDATE {preview['preview']['for_update']} 条",
        ]
    text = "\n".join(lines)
    print(text)
    if not args.no_record:
        section_write(title=SECTION, lines=lines)
        print("已写入 docs/benchmarks.md")


if __name__ == "__main__":
    main()
