from datetime import date
from pathlib import Path

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand
from django.db import transaction

from departments.models import Department, Jurisdiction, Membership
from evaluations.form_templates import SHIPPED
from evaluations.models import Filing, FiscalYear, ScoringTemplate
from evaluations.services.filings import filing_create
from evaluations.services.form_templates import form_template_assign, form_template_install
from evaluations.services.interchange import (
    DEFAULT_TEMPLATE_NAME,
    document_from_bytes,
    filing_import,
)

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "demo"
BEITA = "邵阳市北塔区"
JUNSHAN = "岳阳市君山区"
# (year, filing deadline)
FISCAL_YEARS = ((2023, date(2024, 5, 31)), (2024, date(2025, 5, 31)))
# The two real filings of spec/examples, imported as drafts.
EXAMPLES = ("beita-2023.json", "junshan-2023.json")
ZENGDU = "随州市曾都区"
HEBEI_DEMO = "保定市示例县"
# Filings on the generic form templates, with the template each jurisdiction
# uses for 2023 (a real 随州 filing, a made-up 保定 one).
TEMPLATE_EXAMPLES = (
    ("zengdu-2023.json", ZENGDU, "hubei-suizhou-overall@2023"),
    ("hebei-demo-2023.json", HEBEI_DEMO, "hebei-baoding-assessment@2023"),
)
# Departments that start with a blank filing for 2023.
BLANK_DEPARTMENTS = ((BEITA, "邵阳市北塔区财政局"), (JUNSHAN, "岳阳市君山区教育局"))
# (username, role, jurisdiction, department); officers have a department,
# reviewers a jurisdiction, the administrator neither.
USERS = (
    ("beita_office", Membership.Role.OFFICER, BEITA, "邵阳市北塔区人民政府办公室"),
    ("beita_finance", Membership.Role.OFFICER, BEITA, "邵阳市北塔区财政局"),
    ("junshan_office", Membership.Role.OFFICER, JUNSHAN, "中共岳阳市君山区委办公室"),
    ("junshan_education", Membership.Role.OFFICER, JUNSHAN, "岳阳市君山区教育局"),
    ("reviewer_beita", Membership.Role.REVIEWER, BEITA, None),
    ("reviewer_junshan", Membership.Role.REVIEWER, JUNSHAN, None),
    ("admin", Membership.Role.ADMIN, None, None),
)


def demo_password(username):
    """Demo passwords are fixed and public (printed by the command, shown in the
    README) so anyone can log in to a demo site; never load the demo into a
    production database."""
    return f"demo-{username}-2024"


class Command(BaseCommand):
    help = (
        "载入演示数据：内置的表式模板，四个行政区划、六个部门、四份示例自评（湖南两份，"
        "随州、保定表式各一份）和各角色的演示账号。可重复运行。"
    )

    @transaction.atomic
    def handle(self, *args, **options):
        template, _ = ScoringTemplate.objects.get_or_create(name=DEFAULT_TEMPLATE_NAME)
        jurisdictions = {
            name: Jurisdiction.objects.get_or_create(name=name)[0] for name in (BEITA, JUNSHAN)
        }
        years = {
            year: FiscalYear.objects.get_or_create(
                year=year,
                defaults={"deadline": deadline, "is_open": True, "default_template": template},
            )[0]
            for year, deadline in FISCAL_YEARS
        }
        installed = {}
        for path in SHIPPED:
            form_template = form_template_install(data=path.read_bytes(), actor=None)
            installed[form_template.identity] = form_template
        for _name, jurisdiction_name, identity in TEMPLATE_EXAMPLES:
            form_template_assign(
                jurisdiction=Jurisdiction.objects.get_or_create(name=jurisdiction_name)[0],
                fiscal_year=years[2023],
                form_template=installed[identity],
            )

        for name in (*EXAMPLES, *(spec[0] for spec in TEMPLATE_EXAMPLES)):
            document = document_from_bytes((FIXTURES / name).read_bytes())
            exists = Filing.objects.filter(
                department__name=document.department.name,
                department__jurisdiction__name=document.department.jurisdiction,
                fiscal_year__year=document.fiscal_year,
            ).exists()
            if exists:
                self.stdout.write(f"示例自评已存在，跳过：{document.department.name}")
            else:
                filing_import(document=document)
                self.stdout.write(f"已导入示例自评：{document.department.name}")

        for jurisdiction_name, name in BLANK_DEPARTMENTS:
            department, _ = Department.objects.get_or_create(
                jurisdiction=jurisdictions[jurisdiction_name], name=name
            )
            if not Filing.objects.filter(department=department, fiscal_year=years[2023]).exists():
                filing_create(department=department, fiscal_year=years[2023])
                self.stdout.write(f"已新建空白自评：{name} 2023年度")

        rows = [self._user(*spec, jurisdictions=jurisdictions) for spec in USERS]
        self.stdout.write("")
        self.stdout.write("演示账号（密码公开，仅供演示，切勿用于生产环境）：")
        self.stdout.write("用户名\t角色\t范围\t密码\t状态")
        for row in rows:
            self.stdout.write("\t".join(row))

    def _user(self, username, role, jurisdiction_name, department_name, *, jurisdictions):
        User = get_user_model()
        user, created = User.objects.get_or_create(username=username)
        if created:
            user.set_password(demo_password(username))
            user.is_staff = user.is_superuser = role == Membership.Role.ADMIN
            user.save()
        department = jurisdiction = None
        if role == Membership.Role.OFFICER:
            department = Department.objects.get(
                jurisdiction=jurisdictions[jurisdiction_name], name=department_name
            )
        elif role == Membership.Role.REVIEWER:
            jurisdiction = jurisdictions[jurisdiction_name]
        Membership.objects.get_or_create(
            user=user, role=role, department=department, jurisdiction=jurisdiction
        )
        scope = department_name or jurisdiction_name or "全局"
        state = "新建" if created else "已存在（密码未重置）"
        return (username, str(role.label), scope, demo_password(username), state)
