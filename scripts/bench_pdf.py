"""Benchmark of the PDF report (not a test; results go to docs/benchmarks.md).

    DJANGO_SECRET_KEY=bench .venv/bin/python scripts/bench_pdf.py [--runs 15] [--cpu] [--no-record]

Measures, in one warm process on a scratch SQLite database (DATABASE_URL may
name another scratch database): the render time of the 北塔 example, of a
filing with 200 indicator rows, the peak memory of the process, and the
throughput of `render_reports` over approved filings.

--cpu also prints, beside each wall-clock median, the median CPU time of this
process per render (time.process_time; a render is single-threaded Python and
C in this process). On a shared machine other work stretches the wall clock
but hardly this, so before/after comparisons use it. --no-record only prints.
"""

import argparse
import datetime
import os
import platform
import resource
import statistics
import sys
import tempfile
import time
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "scripts"))
from benchlib import machine, machine_line, section_write  # noqa: E402

SECTION = "PDF 报告生成（WeasyPrint）"
SCRATCH = Path(tempfile.gettempdir()) / "perfeval-bench-pdf.sqlite3"
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "perfeval.settings")
os.environ.setdefault("DATABASE_URL", f"sqlite:///{SCRATCH}")
os.environ.setdefault("PERFEVAL_MANIFEST_STATIC", "0")
os.environ.setdefault("DJANGO_MEDIA_ROOT", tempfile.mkdtemp(prefix="perfeval-bench-media-"))


def peak_rss_mib() -> float:
    # ru_maxrss is in KiB on Linux.
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def timed(function, runs: int) -> dict:
    function()  # warm: fonts, templates and WeasyPrint's caches
    seconds, cpu_seconds = [], []
    for _ in range(runs):
        started, cpu_started = time.perf_counter(), time.process_time()
        data = function()
        seconds.append(time.perf_counter() - started)
        cpu_seconds.append(time.process_time() - cpu_started)
    return {
        "median": statistics.median(seconds),
        "min": min(seconds),
        "max": max(seconds),
        "cpu": statistics.median(cpu_seconds),
        "kilobytes": len(data) / 1024,
    }


def big_document(base, rows: int):
    """The 北塔 document with `rows` indicator rows across the usual groups."""
    from evaluations.core.document import Indicator

    groups = [
        ("产出指标", "数量指标"),
        ("产出指标", "质量指标"),
        ("产出指标", "时效指标"),
        ("产出指标", "成本指标"),
        ("效益指标", "社会效益指标"),
        ("效益指标", "可持续影响指标"),
        ("满意度指标", "服务对象满意度指标"),
    ]
    weight = Decimal("90") / rows
    base.indicators = [
        Indicator(
            level1=groups[index * len(groups) // rows][0],
            level2=groups[index * len(groups) // rows][1],
            name=f"第{index + 1}项工作任务按计划完成（含督查督办、办文办会等）",
            target="≥95%",
            actual="98%",
            weight=weight.quantize(Decimal("0.01")),
            score=weight.quantize(Decimal("0.01")),
        )
        for index in range(rows)
    ]
    return base


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=15, help="timed renders of 北塔 (≤ 100)")
    parser.add_argument("--approved", type=int, default=20, help="filings for render_reports")
    parser.add_argument(
        "--cpu", action="store_true", help="在墙钟中位数旁另列本进程 CPU 时间的中位数"
    )
    parser.add_argument("--no-record", action="store_true", help="不写 docs/benchmarks.md")
    arguments = parser.parse_args()
    runs = max(3, min(arguments.runs, 100))

    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    if connection.vendor == "sqlite" and SCRATCH.exists():
        SCRATCH.unlink()
    call_command("migrate", interactive=False, verbosity=0)

    from evaluations.models import Filing, ScoringTemplate
    from evaluations.services.interchange import document_from_bytes, filing_import
    from evaluations.services.pdf import filing_report_pdf, report_pdf

    source = (ROOT / "evaluations" / "fixtures" / "demo" / "beita-2023.json").read_bytes()
    filing = filing_import(document=document_from_bytes(source))
    template = ScoringTemplate.objects.get(name="默认评分模板")

    beita = timed(lambda: filing_report_pdf(filing=filing), runs)
    document = big_document(document_from_bytes(source), 200)
    big = timed(lambda: report_pdf(document=document, template=template, draft=False), 3)

    # render_reports: N approved filings without a frozen report.
    for index in range(arguments.approved):
        copy = document_from_bytes(source)
        copy.department.name = f"压测部门{index + 1:03d}"
        Filing.objects.filter(pk=filing_import(document=copy).pk).update(status="approved")
    started = time.perf_counter()
    with open(os.devnull, "w") as quiet:
        call_command("render_reports", "--year", "2023", stdout=quiet, stderr=quiet)
    elapsed = time.perf_counter() - started
    frozen = Filing.objects.exclude(report_sha256="").count()

    def cpu(result: dict) -> str:
        return f" {result['cpu']:.3f} s |" if arguments.cpu else ""

    host = machine()
    now = datetime.datetime.now().astimezone()
    lines = [
        f"- 日期：{now:%Y-%m-%d %H:%M %z}",
        machine_line(host),
        f"- 软件：Python {platform.python_version()}，Django {django.get_version()}，"
        f"WeasyPrint {__import__('weasyprint').__version__}；数据库 {connection.vendor}",
        "- 方法：`scripts/bench_pdf.py"
        + (" --cpu" if arguments.cpu else "")
        + "`，同一进程内先预热一次再计时（热进程）。",
        "",
        "| 报告 | 次数 | 中位数 |"
        + (" CPU 中位数 |" if arguments.cpu else "")
        + " 最快 | 最慢 | 大小 |",
        "|---|---:|---:|" + ("---:|" if arguments.cpu else "") + "---:|---:|---:|",
        f"| 北塔 2023（10 行指标） | {runs} | {beita['median']:.3f} s |{cpu(beita)} "
        f"{beita['min']:.3f} s | {beita['max']:.3f} s | {beita['kilobytes']:.0f} KB |",
        f"| 200 行指标 | 3 | {big['median']:.3f} s |{cpu(big)} {big['min']:.3f} s | "
        f"{big['max']:.3f} s | {big['kilobytes']:.0f} KB |",
        "",
        f"- 进程峰值内存（ru_maxrss）：{peak_rss_mib():.0f} MiB",
        f"- `render_reports --year 2023`：{frozen} 份用时 {elapsed:.1f} 秒，"
        f"吞吐 {frozen / elapsed * 60:.0f} 份/分钟（单进程）",
        "",
        f"目标：北塔中位数 ≤ 0.5 s——本次{'达到' if beita['median'] <= 0.5 else '未达到'}；"
        f"200 行 ≤ 5 s——本次{'达到' if big['median'] <= 5 else '未达到'}。"
        "审核通过时不在 Web 请求中生成报告：由 django-tasks 的 db_worker 在提交后生成。",
        "",
    ]
    if arguments.no_record:
        print("\n".join([f"## {SECTION}", "", *lines]))
        return
    print(section_write(title=SECTION, lines=lines))


if __name__ == "__main__":
    main()
