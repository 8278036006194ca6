"""Benchmark of the reviewer dashboard with 2,000 departments on PostgreSQL.

Not a test: it fills a dedicated database, times GETs of the dashboard through
Django's test client and records the result in docs/benchmarks.md.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/perfeval_bench \\
    DJANGO_SECRET_KEY=bench .venv/bin/python scripts/bench_dashboard.py

The database must be PostgreSQL and its name must contain "bench": it is
created when missing, migrated, and emptied (flush) on every run. DEBUG stays
off as in production, and connections are kept open between requests
(DJANGO_CONN_MAX_AGE=60 unless set) as a deployed server would.
"""

import datetime
import os
import platform
import random
import statistics
import sys
import time
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "scripts"))
from benchlib import (  # noqa: E402
    database_create_if_missing,
    machine,
    machine_line,
    percentile,
    section_write,
)

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "perfeval.settings")
os.environ.setdefault("DJANGO_CONN_MAX_AGE", "60")
# Static URLs from plain storage: no `collectstatic` needed for the benchmark,
# and the page's few static URLs cost the same either way.
os.environ.setdefault("PERFEVAL_MANIFEST_STATIC", "0")
# The test client sends Host: testserver.
os.environ["ALLOWED_HOSTS"] = ",".join(
    filter(None, [os.environ.get("ALLOWED_HOSTS", ""), "testserver"])
)

JURISDICTIONS = ["邵阳市北塔区", "邵阳市双清区", "岳阳市君山区", "岳阳市岳阳楼区", "长沙市天心区"]
DEPARTMENTS = 2000
YEAR = 2023
WARMUPS = 3
RUNS = 30
TARGET_MS = 150
SECTION = "审核工作台（2,000 个部门，PostgreSQL）"
# Status mix of a bureau some weeks after the deadline; None: not started.
STATUS_WEIGHTS = {
    None: 10,
    "draft": 20,
    "returned": 8,
    "submitted": 27,
    "approved": 25,
    "published": 10,
}
# The moves that led to each status, for the transition rows.
HISTORY = {
    "draft": [],
    "submitted": [("draft", "submitted")],
    "returned": [("draft", "submitted"), ("submitted", "returned")],
    "approved": [("draft", "submitted"), ("submitted", "approved")],
    "published": [("draft", "submitted"), ("submitted", "approved"), ("approved", "published")],
}


def database_url() -> str:
    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith(("postgres://", "postgresql://")):
        sys.exit("请用 DATABASE_URL 指定一个专用的 PostgreSQL 数据库，例如 …/perfeval_bench。")
    return url


def two_places(value: float) -> Decimal:
    # Built from a string and rounded 四舍五入 like the scoring service.
    return Decimal(f"{value:.4f}").quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


def grade_of(score: Decimal) -> str:
    if score >= 90:
        return "优"
    if score >= 80:
        return "良"
    if score >= 60:
        return "中"
    return "差"


def data_create():
    """2,000 departments across the jurisdictions, their filings of one year in
    a realistic status mix with stored summaries and transition rows, an
    administrator and a reviewer. Returns (administrator, reviewer)."""
    from django.contrib.auth import get_user_model
    from django.core.management import call_command
    from django.db import connection

    from departments.models import Department, Jurisdiction, Membership
    from evaluations.models import Filing, FilingTransition, FiscalYear, ScoringTemplate

    call_command("flush", interactive=False, verbosity=0)
    rng = random.Random(2023)
    template, _created = ScoringTemplate.objects.get_or_create(name="默认评分模板")
    fiscal_year = FiscalYear.objects.create(
        year=YEAR, deadline=datetime.date(YEAR + 1, 5, 31), default_template=template
    )
    jurisdictions = Jurisdiction.objects.bulk_create(Jurisdiction(name=n) for n in JURISDICTIONS)
    departments = Department.objects.bulk_create(
        Department(
            name=f"{jurisdictions[index % len(jurisdictions)].name}第{index + 1:04d}预算单位",
            code=f"{index + 1:06d}",
            jurisdiction=jurisdictions[index % len(jurisdictions)],
        )
        for index in range(DEPARTMENTS)
    )
    statuses = list(STATUS_WEIGHTS)
    weights = list(STATUS_WEIGHTS.values())
    filings = []
    for department in departments:
        status = rng.choices(statuses, weights)[0]
        if status is None:
            continue
        score = two_places(min(100.0, rng.gauss(86, 8)))
        unsubmitted = status in ("draft", "returned")
        filings.append(
            Filing(
                department=department,
                fiscal_year=fiscal_year,
                status=status,
                version=1 + len(HISTORY[status]),
                total_score=score,
                grade=grade_of(score),
                execution_rate=two_places(rng.uniform(85, 103)),
                # Only unsubmitted filings have errors, except the odd submitted
                # one whose template changed after submission.
                error_count=(
                    rng.choice([0, 1, 2, 5])
                    if unsubmitted
                    else (1 if status == "submitted" and rng.random() < 0.05 else 0)
                ),
                warning_count=rng.choice([0, 0, 1, 2, 3]),
            )
        )
    filings = Filing.objects.bulk_create(filings, batch_size=500)
    User = get_user_model()
    administrator = User.objects.create_user("bench-admin", password=None)
    Membership.objects.create(user=administrator, role=Membership.Role.ADMIN)
    reviewer = User.objects.create_user("bench-reviewer", password=None)
    Membership.objects.create(
        user=reviewer, role=Membership.Role.REVIEWER, jurisdiction=jurisdictions[0]
    )
    FilingTransition.objects.bulk_create(
        (
            FilingTransition(
                filing=filing, from_status=from_status, to_status=to_status, actor=reviewer
            )
            for filing in filings
            for from_status, to_status in HISTORY[filing.status]
        ),
        batch_size=1000,
    )
    # Fresh statistics, as autovacuum would have them on a live database;
    # without them the planner expects one row per table.
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    print(
        f"已生成 {len(departments)} 个部门、{len(filings)} 份填报、"
        f"{FilingTransition.objects.count()} 条状态变更"
    )
    return administrator, reviewer


def dashboard_time(user) -> dict:
    """Median and p95 of RUNS GETs of the dashboard after WARMUPS, plus the
    number of queries and the size of one response."""
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext
    from django.urls import reverse

    client = Client()
    client.force_login(user)
    url = reverse("evaluations:dashboard")
    for _ in range(WARMUPS):
        assert client.get(url).status_code == 200
    timings = []
    for _ in range(RUNS):
        started = time.perf_counter()
        response = client.get(url)
        timings.append((time.perf_counter() - started) * 1000)
        assert response.status_code == 200
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    rows = response.content.decode().count('<th scope="row"')
    ordered = sorted(timings)
    return {
        "median": statistics.median(timings),
        "p95": percentile(timings, 0.95),
        "min": ordered[0],
        "max": ordered[-1],
        "queries": len(queries),
        "rows": rows,
        "kilobytes": len(response.content) / 1024,
    }


def results_record(*, results: dict, host: dict, postgres: str) -> str:
    import django

    now = datetime.datetime.now().astimezone()
    lines = [
        f"## {SECTION}",
        "",
        f"- 日期：{now:%Y-%m-%d %H:%M %z}",
        machine_line(host),
        f"- 软件：Python {platform.python_version()}，Django {django.get_version()}，{postgres}",
        f"- 数据：{len(JURISDICTIONS)} 个行政区划共 {DEPARTMENTS} 个部门，"
        f"{YEAR} 年度填报状态混合（约 10% 未开始），每份填报带状态变更记录",
        "- 方法：`scripts/bench_dashboard.py`，django.test.Client 以登录用户 GET "
        f"`/filings/review/`，预热 {WARMUPS} 次后计时 {RUNS} 次；DEBUG 关闭，"
        "数据库连接保持（DJANGO_CONN_MAX_AGE=60）；p95 为最近秩（30 次中第 29 慢）",
        "",
        "| 用户 | 行数 | 中位数 | p95 | 最快 | 最慢 | 查询数 | 页面大小 |",
        "|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for label, result in results.items():
        lines.append(
            f"| {label} | {result['rows']} | {result['median']:.1f} ms | "
            f"{result['p95']:.1f} ms | {result['min']:.1f} ms | {result['max']:.1f} ms | "
            f"{result['queries']} | {result['kilobytes']:.0f} KB |"
        )
    main = next(iter(results.values()))
    verdict = "达到" if main["median"] < TARGET_MS else "未达到"
    lines += [
        "",
        f"目标：2 核机器上中位数 < {TARGET_MS} ms——本次{verdict}"
        f"（中位数 {main['median']:.1f} ms）。",
        "",
    ]
    section = section_write(title=SECTION, lines=lines[2:])
    return section


def main() -> None:
    database_create_if_missing(database_url())
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    call_command("migrate", interactive=False, verbosity=0)
    administrator, reviewer = data_create()
    results = {
        "系统管理员（全部 2,000 个部门）": dashboard_time(administrator),
        "审核人（一个区划，400 个部门）": dashboard_time(reviewer),
    }
    with connection.cursor() as cursor:
        cursor.execute("SHOW server_version")
        postgres = f"PostgreSQL {cursor.fetchone()[0]}"
    print(results_record(results=results, host=machine(), postgres=postgres))


if __name__ == "__main__":
    main()
