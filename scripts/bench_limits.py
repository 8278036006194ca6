"""Benchmark of the largest filing the limits allow (not a test; results go to
docs/benchmarks.md, section 最大允许的填报).

    DJANGO_SECRET_KEY=bench .venv/bin/python scripts/bench_limits.py [--runs 2]

Builds the largest filing evaluations/services/limits.py allows
(tests/evaluations/largest.py: every count at its maximum, every narrative
text full, the table text spent either in the indicator cells or in the
年度总体目标 cells), in a scratch SQLite database (DATABASE_URL may name another
scratch database), and measures in one warm process: the JSON round trip and
import, the PDF report (`filing_report_pdf`, the render the web worker and the
task worker run), the workbook export and import, and saving its largest pages
(附件1, 附件2 and a 60-row 附件3) through the Django test client; then the peak
memory of the process. The limits are right when the PDF stays well under 30 s.
"""

import argparse
import datetime
import json
import os
import platform
import resource
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "scripts"))
from benchlib import machine, machine_line, section_write  # noqa: E402

SECTION = "最大允许的填报"
SCRATCH = Path(tempfile.gettempdir()) / "perfeval-bench-limits.sqlite3"
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "perfeval.settings")
os.environ.setdefault("DATABASE_URL", f"sqlite:///{SCRATCH}")
os.environ.setdefault("PERFEVAL_MANIFEST_STATIC", "0")
os.environ.setdefault("DJANGO_MEDIA_ROOT", tempfile.mkdtemp(prefix="perfeval-bench-media-"))
PDF_TARGET_SECONDS = 30


def peak_rss_mib() -> float:
    # ru_maxrss is in KiB on Linux.
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def timed(function, runs: int = 1):
    """(result of the last call, median seconds, max seconds) of `runs` calls."""
    seconds = []
    result = None
    for _ in range(runs):
        started = time.perf_counter()
        result = function()
        seconds.append(time.perf_counter() - started)
    return result, statistics.median(seconds), max(seconds)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=2, help="timed PDF renders per variant")
    arguments = parser.parse_args()
    runs = max(1, min(arguments.runs, 10))

    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection
    from django.test import Client
    from django.test.utils import setup_test_environment
    from django.urls import reverse

    if connection.vendor == "sqlite" and SCRATCH.exists():
        SCRATCH.unlink()
    call_command("migrate", interactive=False, verbosity=0)
    setup_test_environment()

    from departments.models import Membership
    from evaluations.core import limits
    from evaluations.models import Filing
    from evaluations.services.excel import filing_workbook, filing_workbook_read
    from evaluations.services.interchange import (
        document_from_bytes,
        document_to_dict,
        filing_import,
    )
    from evaluations.services.pdf import filing_report_pdf
    from tests.evaluations.largest import largest_document, row_counts
    from tests.evaluations.pages import PageForm
    from tests.factories import UserFactory

    rows = []  # (what, median, max, note)
    pdf_worst = 0.0
    for variant, label in (("cells", "文字在指标单元格"), ("goals", "文字在年度总体目标")):
        document = largest_document(text_in=variant, name=f"最大填报测试局（{label}）")
        assert limits.document_check_limits(document) == []
        raw = json.dumps(document_to_dict(document=document), ensure_ascii=False).encode()
        read, seconds, _ = timed(lambda raw=raw: document_from_bytes(raw))
        rows.append((f"{label}：读取 JSON（{len(raw) / 1024:.0f} KB）", seconds, seconds, ""))
        filing, seconds, _ = timed(lambda read=read: filing_import(document=read))
        rows.append((f"{label}：导入数据库（filing_import）", seconds, seconds, ""))
        filing_report_pdf(filing=filing)  # warm: fonts, templates, caches
        pdf, median, slowest = timed(lambda filing=filing: filing_report_pdf(filing=filing), runs)
        pdf_worst = max(pdf_worst, slowest)
        rows.append(
            (f"{label}：PDF 报告（{runs} 次）", median, slowest, f"{len(pdf) / 1024:.0f} KB")
        )
        workbook, seconds, _ = timed(lambda filing=filing: filing_workbook(filing=filing))
        rows.append((f"{label}：导出 xlsx", seconds, seconds, f"{len(workbook) / 1024:.0f} KB"))
        _, seconds, _ = timed(
            lambda filing=filing, workbook=workbook: filing_workbook_read(
                filing=filing, data=workbook
            )
        )
        rows.append((f"{label}：读取 xlsx（导入预览）", seconds, seconds, ""))

    # The largest pages, saved as a browser posts them.
    filing = Filing.objects.order_by("pk").first()
    user = UserFactory(username="bench-limits-officer")
    Membership.objects.create(user=user, role=Membership.Role.OFFICER, department=filing.department)
    client = Client()
    client.force_login(user)
    project = filing.projects.order_by("position").first()
    pages = (
        ("附件1 基础数据表", reverse("evaluations:filing_part", args=[filing.pk, "basic"])),
        ("附件2 自评表", reverse("evaluations:filing_part", args=[filing.pk, "scores"])),
        (
            f"附件3-1（{project.indicators.count()} 行）",
            reverse("evaluations:project_edit", args=[filing.pk, project.pk]),
        ),
    )
    for label, url in pages:
        form = PageForm(client.get(url).content.decode())
        fields = len(form.data) + len(form.checkboxes)
        response, seconds, _ = timed(lambda url=url, form=form: client.post(url, form.data))
        if response.status_code != 302:
            sys.exit(f"{label} 保存失败：HTTP {response.status_code}")
        rows.append((f"保存{label}", seconds, seconds, f"{fields} 个字段，HTTP 302"))

    host = machine()
    now = datetime.datetime.now().astimezone()
    counts = row_counts()
    lines = [
        f"- 日期：{now:%Y-%m-%d %H:%M %z}",
        machine_line(host),
        f"- 软件：Python {platform.python_version()}，Django {django.get_version()}，"
        f"WeasyPrint {__import__('weasyprint').__version__}；数据库 {connection.vendor}",
        "- 方法：`scripts/bench_limits.py`，同一进程内计时；PDF 先预热一次。",
        f"- 填报（`tests/evaluations/largest.py`）：附件3 {limits.MAX_PROJECTS} 个项目；"
        f"指标行合计 {sum(counts)} 行（附件2 {counts[0]} 行、附件3-1 {counts[1]} 行，"
        f"其余每表 {min(counts[2:])}–{max(counts[2:])} 行）；附件1 项目支出 "
        f"{limits.MAX_PROJECT_ITEMS} 行、楼堂馆所 {limits.MAX_BUILDINGS} 行；"
        f"叙述 16 段各 {limits.MAX_TEXT_LENGTH} 字；表格文字 {limits.MAX_TABLE_TEXT} 字"
        "（两种放法各测一次）。",
        "",
        "| 步骤 | 中位数 | 最慢 | 备注 |",
        "|---|---:|---:|---|",
        *(
            f"| {what} | {median:.2f} s | {slowest:.2f} s | {note} |"
            for what, median, slowest, note in rows
        ),
        "",
        f"- 进程峰值内存（ru_maxrss）：{peak_rss_mib():.0f} MiB",
        f"- PDF 最慢 {pdf_worst:.1f} s，目标 < {PDF_TARGET_SECONDS} s："
        f"{'达到' if pdf_worst < PDF_TARGET_SECONDS else '未达到'}。",
        "",
        "上限定义在 `evaluations/services/limits.py`（每项都写明来自纸质表或种子数据的理由），"
        "README 的 “Limits” 一节列出每项在哪里执行。PDF 的时间主要花在表格上"
        "（每行指标约 5 ms，单元格里每个字数十到一百多微秒），所以除每表行数、项目数外"
        "还有全填报的指标行合计和表格文字合计两项上限；叙述段落每字约 15 µs，"
        "16 段各写满约占 5 s。"
        "在负载约 2 的共享 2 核机器上，最大填报的 PDF 应保持在 30 s 的一半左右；"
        "任务 worker 的 `RENDER_TIME_LIMIT`（120 s）因此无需调整。改动任何上限后请重跑本脚本。",
        "",
    ]
    print(section_write(title=SECTION, lines=lines))


if __name__ == "__main__":
    main()
