"""The data of the load benchmark (scripts/bench_load.py): 2,000 departments
with one officer and one draft filing each, in a dedicated PostgreSQL database.

Filings are imported through the same service as `filing_import`
(`document_from_bytes` + `filing_import`), from the two real examples in
evaluations/fixtures/demo with the department renamed, so every filing has the
examples' full content (附件1 rows, indicators, projects, report texts) and a
stored summary. That takes about 0.1 s per filing, a few minutes for all of
them once; later runs find the departments and import only what is missing.

Run on its own to prepare the database without starting the benchmark:

    .venv/bin/python scripts/bench_load_data.py [--fresh]
"""

import argparse
import json
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "scripts"))
from benchlib import database_create_if_missing  # noqa: E402

DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/perfeval_loadbench"
JURISDICTIONS = ["邵阳市北塔区", "邵阳市双清区", "岳阳市君山区", "岳阳市岳阳楼区", "长沙市天心区"]
DEPARTMENTS = 2000
YEAR = 2023
EXAMPLES = [
    ROOT / "evaluations" / "fixtures" / "demo" / "beita-2023.json",
    ROOT / "evaluations" / "fixtures" / "demo" / "junshan-2023.json",
]
# Known to the load generator; the accounts exist only in the bench database.
OFFICER_PASSWORD = "bench-officer-2023"


def department_name(index: int) -> tuple[str, str]:
    """(jurisdiction, department) of department number `index` (0-based)."""
    jurisdiction = JURISDICTIONS[index % len(JURISDICTIONS)]
    return jurisdiction, f"{jurisdiction}第{index + 1:04d}预算单位"


def officer_username(index: int) -> str:
    return f"bench-officer-{index + 1:04d}"


def database_url() -> str:
    url = os.environ.setdefault("DATABASE_URL", DEFAULT_DATABASE_URL)
    if not url.startswith(("postgres://", "postgresql://")):
        sys.exit("请用 DATABASE_URL 指定一个专用的 PostgreSQL 数据库，例如 …/perfeval_loadbench。")
    return url


def django_setup() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "perfeval.settings")
    os.environ.setdefault("DJANGO_SECRET_KEY", "bench")
    # Static URLs are not rendered here; plain storage needs no collectstatic.
    os.environ.setdefault("PERFEVAL_MANIFEST_STATIC", "0")
    import django

    django.setup()


def data_ensure(*, fresh: bool = False) -> None:
    """Migrate and make sure all DEPARTMENTS departments, their filings and
    officers exist (idempotent: only what is missing is created)."""
    from django.contrib.auth import get_user_model
    from django.contrib.auth.hashers import make_password
    from django.core.management import call_command
    from django.db import connection

    from departments.models import Department, Membership
    from evaluations.services.interchange import document_from_bytes, filing_import

    call_command("migrate", interactive=False, verbosity=0)
    if fresh:
        call_command("flush", interactive=False, verbosity=0)
        print("已清空数据库")

    wanted = [department_name(index) for index in range(DEPARTMENTS)]
    existing = set(
        Department.objects.filter(filings__fiscal_year__year=YEAR).values_list(
            "jurisdiction__name", "name"
        )
    )
    missing = [index for index, key in enumerate(wanted) if key not in existing]
    if missing:
        examples = [json.loads(path.read_bytes()) for path in EXAMPLES]
        started = time.perf_counter()
        for done, index in enumerate(missing, start=1):
            raw = dict(examples[index % len(examples)])
            jurisdiction, name = wanted[index]
            raw["fiscal_year"] = YEAR
            raw["department"] = {
                "name": name,
                "jurisdiction": jurisdiction,
                "code": f"{index + 1:06d}",
            }
            document = document_from_bytes(json.dumps(raw, ensure_ascii=False).encode())
            filing_import(document=document)
            if done % 200 == 0 or done == len(missing):
                elapsed = time.perf_counter() - started
                print(
                    f"  已导入 {done}/{len(missing)} 份填报"
                    f"（{elapsed:.0f} s，每份 {elapsed / done * 1000:.0f} ms）",
                    flush=True,
                )

    User = get_user_model()
    departments = {
        (department.jurisdiction.name, department.name): department
        for department in Department.objects.select_related("jurisdiction")
    }
    usernames = [officer_username(index) for index in range(DEPARTMENTS)]
    have = set(User.objects.filter(username__in=usernames).values_list("username", flat=True))
    if len(have) < len(usernames):
        # One hash for all: the password hasher takes ~0.3 s per call by design.
        password = make_password(OFFICER_PASSWORD)
        User.objects.bulk_create(
            (User(username=name, password=password) for name in usernames if name not in have),
            batch_size=500,
        )
    users = dict(User.objects.filter(username__in=usernames).values_list("username", "pk"))
    members = set(
        Membership.objects.filter(
            role=Membership.Role.OFFICER, user__username__in=usernames
        ).values_list("user_id", flat=True)
    )
    Membership.objects.bulk_create(
        (
            Membership(
                user_id=users[usernames[index]],
                role=Membership.Role.OFFICER,
                department=departments[wanted[index]],
            )
            for index in range(DEPARTMENTS)
            if users[usernames[index]] not in members
        ),
        batch_size=500,
    )
    if missing:
        # Fresh statistics, as autovacuum would have them on a live database.
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
    print(
        f"数据就绪：{DEPARTMENTS} 个部门、{DEPARTMENTS} 名填报人、{YEAR} 年度填报"
        f"（本次新导入 {len(missing)} 份）"
    )


def officers_pick(count: int) -> list[dict]:
    """`count` officers spread evenly over the departments, each with the pk
    of their own (editable) filing, so no two simulated officers share one."""
    from departments.models import Membership
    from evaluations.models import Filing

    step = DEPARTMENTS // count
    picked = []
    for index in range(0, step * count, step):
        jurisdiction, name = department_name(index)
        filing = Filing.objects.get(
            department__jurisdiction__name=jurisdiction,
            department__name=name,
            fiscal_year__year=YEAR,
        )
        if not filing.is_editable:
            sys.exit(f"{name} 的填报不是草稿或已退回，无法保存；请用 --fresh 重建数据。")
        username = officer_username(index)
        assert Membership.objects.filter(
            user__username=username, department=filing.department_id
        ).exists()
        picked.append({"username": username, "password": OFFICER_PASSWORD, "filing": filing.pk})
    return picked


def filing_versions(pks: list[int]) -> dict[int, int]:
    from evaluations.models import Filing

    return dict(Filing.objects.filter(pk__in=pks).values_list("pk", "version"))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--fresh", action="store_true", help="清空数据库后重新生成")
    arguments = parser.parse_args()
    database_create_if_missing(database_url())
    django_setup()
    data_ensure(fresh=arguments.fresh)


if __name__ == "__main__":
    main()
