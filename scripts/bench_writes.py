"""What each way of changing a filing writes: the SQL statements by kind
(SELECT, SELECT … FOR UPDATE, INSERT, UPDATE, DELETE) and the tables written,
for a 附件2 table of 30 indicator rows.

Not a test and not timed: it uses the load benchmark's database
(scripts/bench_load_data.py prepares it) and, as one officer with Django's
test client, counts the statements of

  (a) saving 附件2 with one cell changed,
  (b) importing the filing's own JSON export unchanged (`filing_import --replace`),
  (c) uploading and confirming the filing's own workbook unchanged,
  (d) the live preview of 附件2 with one cell changed.

    .venv/bin/python scripts/bench_writes.py [--rows 30]

It prints a table and writes nothing to docs/benchmarks.md. The officer's
filing is extended to `--rows` indicator rows once (a page save), so running
it twice counts the same thing. scripts/bench_pages.py --preview-rows uses
`indicators_extend` and `Statements` from here.
"""

import argparse
import datetime
import json
import os
import platform
import re
import sys
from collections import Counter
from decimal import ROUND_DOWN, Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "scripts"))

KINDS = ("SELECT", "SELECT … FOR UPDATE", "INSERT", "UPDATE", "DELETE", "其他")
WRITES = ("INSERT", "UPDATE", "DELETE")
PREFIX = "indicators"
_TABLE = re.compile(r'^(?:INSERT INTO|UPDATE|DELETE FROM)\s+"?([\w.]+)"?', re.I)
_FOR_UPDATE = re.compile(r"\bFOR\s+(?:NO\s+KEY\s+)?UPDATE\b", re.I)


def statement_kind(sql: str) -> str:
    head = sql.lstrip().split(None, 1)[0].upper() if sql.strip() else ""
    if head == "SELECT":
        return "SELECT … FOR UPDATE" if _FOR_UPDATE.search(sql) else "SELECT"
    return head if head in WRITES else "其他"


class Statements:
    """Every statement the default connection runs inside the `with` block.

    Not CaptureQueriesContext: the test client's request_started signal
    empties the connection's query log, and DEBUG stays off here."""

    def __init__(self):
        self.sql: list[str] = []

    def __enter__(self):
        from django.db import connection

        self._wrapper = connection.execute_wrapper(self._record)
        self._wrapper.__enter__()
        return self

    def __exit__(self, *exc):
        return self._wrapper.__exit__(*exc)

    def _record(self, execute, sql, params, many, context):
        self.sql.append(sql)
        return execute(sql, params, many, context)

    def kinds(self) -> Counter:
        return Counter(statement_kind(sql) for sql in self.sql)

    def writes(self) -> int:
        kinds = self.kinds()
        return sum(kinds[kind] for kind in WRITES)

    def tables(self) -> Counter:
        """(kind, table) of each write."""
        found = Counter()
        for sql in self.sql:
            kind = statement_kind(sql)
            if kind in WRITES:
                match = _TABLE.match(sql.lstrip())
                found[(kind, match.group(1) if match else "?")] += 1
        return found


def _thirds(value: str) -> list[Decimal]:
    """`value` split in three parts of 2 places that add up to it."""
    total = Decimal(value or "0")
    part = (total / 3).quantize(Decimal("0.01"), rounding=ROUND_DOWN)
    return [part, part, total - 2 * part]


def indicators_extend(client, url: str, rows: int) -> int:
    """Give the 附件2 table at `url` (the page of part "scores") `rows` rows by
    splitting each saved row into three (分值 and 得分 shared out, so the
    table's totals and findings stay those of the real filing), saved as the
    officer would. Returns the number of rows; saves nothing when there are
    enough already."""
    from tests.evaluations.pages import PageForm

    response = client.get(url)
    assert response.status_code == 200, (url, response.status_code)
    form = PageForm(response.content.decode())
    have = form.total(PREFIX)
    if have >= rows:
        return have
    originals = [
        {
            field: form.data.get(f"{PREFIX}-{index}-{field}", "")
            for field in ("level1", "level2", "name", "target", "actual", "weight", "score")
        }
        for index in range(have)
    ]
    needed = rows - have
    for index, original in enumerate(originals):
        weights, scores = _thirds(original["weight"]), _thirds(original["score"])
        scores = [min(score, weight) for score, weight in zip(scores, weights, strict=True)]
        copies = min(2, needed)
        if copies <= 0:
            break
        form.fill(PREFIX, index, weight=weights[0], score=scores[0])
        for copy in range(copies):
            added = form.add_row(PREFIX)
            form.fill(
                PREFIX,
                added,
                **{**original, "name": f"{original['name']}（{copy + 2}）"},
            )
            form.fill(PREFIX, added, weight=weights[copy + 1], score=scores[copy + 1])
        needed -= copies
    while needed > 0:
        added = form.add_row(PREFIX)
        form.fill(PREFIX, added, **{**originals[0], "name": f"补充指标{added + 1}"})
        form.fill(PREFIX, added, weight="0", score="0")
        needed -= 1
    response = client.post(url, form.data)
    assert response.status_code == 302, (url, response.status_code, response.content[:2000])
    return PageForm(client.get(url).content.decode()).total(PREFIX)


def one_cell_changed(client, url: str):
    """The page's form as rendered, with the 实际完成值 of its sixth row changed."""
    from tests.evaluations.pages import PageForm

    form = PageForm(client.get(url).content.decode())
    name = f"{PREFIX}-5-actual"
    value = form.data[name]
    form.data[name] = value[:-1] if value.endswith("次") else value + "次"
    return form


def _filing_state(pk: int) -> dict:
    from django.apps import apps

    from evaluations.models import Filing, FilingCache

    filing = Filing.objects.get(pk=pk)
    cache = FilingCache.objects.filter(filing=filing).first()
    state = {"version": filing.version, "cache_version": cache.version if cache else None}
    try:
        revision = apps.get_model("evaluations", "FilingRevision")
    except LookupError:
        state["revisions"] = None
    else:
        state["revisions"] = revision.objects.filter(filing=filing).count()
    return state


def _scenario(name: str, statements: Statements, before: dict, after: dict) -> dict:
    return {"name": name, "statements": statements, "before": before, "after": after}


def scenarios_run(client, filing_pk: int, rows: int) -> list[dict]:
    from django.core.files.uploadedfile import SimpleUploadedFile
    from django.urls import reverse

    from evaluations.models import Filing
    from evaluations.services.interchange import (
        document_from_bytes,
        filing_export_json,
        filing_import,
    )

    url = reverse("evaluations:filing_part", args=[filing_pk, "scores"])
    total = indicators_extend(client, url, rows)
    assert total == rows, f"附件2 有 {total} 行，不是 {rows} 行"
    results = []

    form = one_cell_changed(client, url)
    before = _filing_state(filing_pk)
    with Statements() as statements:
        response = client.post(url, form.data)
    assert response.status_code == 302, response.status_code
    results.append(
        _scenario("(a) 保存附件2（改一个单元格）", statements, before, _filing_state(filing_pk))
    )

    raw = json.dumps(
        filing_export_json(filing=Filing.objects.get(pk=filing_pk)), ensure_ascii=False
    ).encode()
    before = _filing_state(filing_pk)
    with Statements() as statements:
        filing_import(document=document_from_bytes(raw), replace=True)
    results.append(
        _scenario(
            "(b) 导入未改动的 JSON（filing_import --replace）",
            statements,
            before,
            _filing_state(filing_pk),
        )
    )

    workbook = client.get(reverse("evaluations:filing_export_xlsx", args=[filing_pk]))
    assert workbook.status_code == 200, workbook.status_code
    upload = SimpleUploadedFile(
        "bench.xlsx",
        workbook.content,
        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )
    before = _filing_state(filing_pk)
    with Statements() as uploaded:
        response = client.post(
            reverse("evaluations:filing_import_xlsx", args=[filing_pk]), {"file": upload}
        )
    assert response.status_code == 200, (response.status_code, response.content[:2000])
    token = client.session[f"perfeval.excel_import.{filing_pk}"]["token"]
    results.append(_scenario("(c1) 上传未改动的工作簿（预览）", uploaded, before, before))
    with Statements() as confirmed:
        response = client.post(
            reverse("evaluations:filing_import_xlsx_confirm", args=[filing_pk]), {"token": token}
        )
    assert response.status_code == 302, response.status_code
    results.append(_scenario("(c2) 确认导入该工作簿", confirmed, before, _filing_state(filing_pk)))

    form = one_cell_changed(client, url)
    before = _filing_state(filing_pk)
    with Statements() as statements:
        response = client.post(
            reverse("evaluations:part_preview", args=[filing_pk, "scores"]), form.data
        )
    assert response.status_code == 200 and response.json()["valid"], response.content[:2000]
    results.append(
        _scenario("(d) 实时预览附件2（改一个单元格）", statements, before, _filing_state(filing_pk))
    )
    return results


def _change(before: dict, after: dict, key: str) -> str:
    if before[key] is None or after[key] is None:
        return "—"
    return f"+{after[key] - before[key]}"


def report_lines(results: list[dict]) -> list[str]:
    lines = [
        "| 操作 | " + " | ".join(KINDS) + " | 写入合计 | 版本 | 修订 | 副本版本 = 填报版本 |",
        "|---|" + "---:|" * (len(KINDS) + 3) + "---|",
    ]
    for result in results:
        kinds = result["statements"].kinds()
        after = result["after"]
        cache_current = "是" if after["cache_version"] == after["version"] else "否"
        lines.append(
            f"| {result['name']} | "
            + " | ".join(str(kinds[kind]) for kind in KINDS)
            + f" | {result['statements'].writes()} | {_change(result['before'], after, 'version')}"
            f" | {_change(result['before'], after, 'revisions')} | {cache_current} |"
        )
    lines.append("")
    lines.append("写入的表（语句数）：")
    lines.append("")
    for result in results:
        tables = result["statements"].tables()
        text = "；".join(
            f"{kind} {table} ×{count}" for (kind, table), count in sorted(tables.items())
        )
        lines.append(f"- {result['name']}：{text or '无'}")
    return lines


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=30, help="附件2 的指标行数（3–60）")
    parser.add_argument(
        "--sql", action="store_true", help="另列出各操作的写入与 FOR UPDATE 语句（截断）"
    )
    args = parser.parse_args()
    rows = max(3, min(args.rows, 60))

    import bench_load_data as data
    from benchlib import database_create_if_missing, machine, machine_line

    # As in production and bench_pages.py: DEBUG off, one kept connection.
    os.environ.setdefault("DJANGO_CONN_MAX_AGE", "60")
    os.environ["DJANGO_DEBUG"] = "0"
    os.environ["ALLOWED_HOSTS"] = "testserver"
    database_create_if_missing(data.database_url())
    data.django_setup()
    data.data_ensure()
    import django
    from django.contrib.auth import get_user_model
    from django.test import Client

    import evaluations

    # The second of four officers spread over the departments: not the one
    # bench_pages.py times, nor the one its --preview-rows extends.
    officer = data.officers_pick(4)[1]
    client = Client()
    client.force_login(get_user_model().objects.get(username=officer["username"]))
    results = scenarios_run(client, officer["filing"], rows)
    code = Path(evaluations.__file__).resolve().parent.parent
    lines = [
        f"- 日期：{datetime.datetime.now().astimezone():%Y-%m-%d %H:%M %z}",
        machine_line(machine()),
        f"- 代码：{code}，Python {platform.python_version()}，Django {django.get_version()}",
        f"- 数据：填报 {officer['filing']}（{officer['username']}），附件2 {rows} 行指标",
        "",
        *report_lines(results),
    ]
    if args.sql:
        for result in results:
            lines += ["", result["name"]]
            lines += [
                f"  {sql[:300]}"
                for sql in result["statements"].sql
                if statement_kind(sql) not in ("SELECT", "其他")
                or statement_kind(sql) == "SELECT … FOR UPDATE"
            ]
    print("\n".join(lines))


if __name__ == "__main__":
    main()
