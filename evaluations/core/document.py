"""The in-memory form of one filing of the Hunan layout: the
`perfeval-filing/2` document (or a `/1` one, which names no form template) as
typed dataclasses.

Scoring and validation work on this form, not on model instances, so the same
rules run on a saved filing, on a JSON file before it is imported and on an
uploaded workbook before it is written (where findings are previewed).
`where` paths of findings are paths into this document.
"""

from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

# The 附件1 rows and the report sections are declared by the Hunan template;
# named here too because the document's fields are named by them.
from .hunan import BASIC_ROW_KEYS as BASIC_ROW_KEYS
from .hunan import HUNAN_TEMPLATE
from .hunan import REPORT_KEYS as REPORT_KEYS

# The form template of a document that names none: every perfeval-filing/1
# file was made on the Hunan forms.
HUNAN_CODE = HUNAN_TEMPLATE.code
HUNAN_VERSION = HUNAN_TEMPLATE.version

TWO_PLACES = Decimal("0.01")

INDICATOR_KEYS = (
    "level1",
    "level2",
    "name",
    "target",
    "actual",
    "weight",
    "score",
    "deviation",
    "applicable",
)


def quantize(value: Decimal | None) -> Decimal | None:
    """Round to 2 places, 四舍五入 (ROUND_HALF_UP); the one rounding rule of perfeval."""
    if value is None:
        return None
    return value.quantize(TWO_PLACES, rounding=ROUND_HALF_UP)


@dataclass
class Department:
    name: str = ""
    jurisdiction: str = ""
    code: str = ""


@dataclass
class Profile:
    organization: str = ""
    functions: str = ""
    goal_setting: str = ""


@dataclass
class Staffing:
    authorized: int | None = None
    actual: int | None = None
    retired: int | None = None
    survivor_subsidy: int | None = None


@dataclass
class FundsBySource:
    general_budget: Decimal | None = None
    government_fund: Decimal | None = None
    special_account: Decimal | None = None
    other: Decimal | None = None


@dataclass
class FundsByNature:
    basic: Decimal | None = None
    project: Decimal | None = None


@dataclass
class BasicDetail:
    personnel: Decimal | None = None
    public: Decimal | None = None


@dataclass
class Funds:
    initial_budget: Decimal | None = None
    full_year_budget: Decimal | None = None
    executed: Decimal | None = None
    weight: Decimal | None = None
    by_source: FundsBySource = field(default_factory=FundsBySource)
    by_nature: FundsByNature = field(default_factory=FundsByNature)
    basic_detail: BasicDetail = field(default_factory=BasicDetail)


@dataclass
class Columns:
    """The three columns of a 附件1 row (万元)."""

    prior_final: Decimal | None = None
    budget: Decimal | None = None
    final: Decimal | None = None


@dataclass
class ProjectItem(Columns):
    name: str = ""


@dataclass
class Building:
    name: str = ""
    approved_area: Decimal | None = None
    actual_area: Decimal | None = None
    budget_investment: Decimal | None = None
    actual_investment: Decimal | None = None


@dataclass
class BasicData:
    rows: dict[str, Columns] = field(
        default_factory=lambda: {key: Columns() for key in BASIC_ROW_KEYS}
    )
    project_items: list[ProjectItem] = field(default_factory=list)
    buildings: list[Building] = field(default_factory=list)
    austerity_measures: str = ""


@dataclass
class Goal:
    expected: str = ""
    actual: str = ""


@dataclass
class Indicator:
    level1: str = ""
    level2: str = ""
    name: str = ""
    target: str = ""
    actual: str = ""
    weight: Decimal | None = None
    score: Decimal | None = None
    deviation: str = ""
    applicable: bool = True


@dataclass
class FundLine:
    """年初预算数 / 全年预算数 / 全年执行数 of one source of a project's funds."""

    initial_budget: Decimal | None = None
    full_year_budget: Decimal | None = None
    executed: Decimal | None = None


@dataclass
class ProjectFunds:
    weight: Decimal | None = None
    total: FundLine | None = None
    current_appropriation: FundLine | None = None
    carryover: FundLine | None = None
    other: FundLine | None = None


@dataclass
class Project:
    name: str = ""
    department_in_charge: str = ""
    implementer: str = ""
    funds: ProjectFunds = field(default_factory=ProjectFunds)
    goal: Goal = field(default_factory=Goal)
    indicators: list[Indicator] = field(default_factory=list)


@dataclass
class Report:
    budget_overview: str = ""
    basic_expenditure: str = ""
    project_expenditure: str = ""
    government_fund: str = ""
    state_capital: str = ""
    social_insurance: str = ""
    performance_conclusion: str = ""
    indicator_analysis: str = ""
    problems: str = ""
    improvements: str = ""
    result_application: str = ""
    other: str = ""


@dataclass
class Contact:
    preparer: str = ""
    phone: str = ""
    date: str = ""  # ISO date "YYYY-MM-DD" or ""
    head: str = ""


@dataclass
class FilingDocument:
    fiscal_year: int
    department: Department = field(default_factory=Department)
    template: str | None = None
    profile: Profile = field(default_factory=Profile)
    staffing: Staffing = field(default_factory=Staffing)
    funds: Funds = field(default_factory=Funds)
    basic_data: BasicData = field(default_factory=BasicData)
    overall_goal: Goal = field(default_factory=Goal)
    indicators: list[Indicator] = field(default_factory=list)
    projects: list[Project] = field(default_factory=list)
    report: Report = field(default_factory=Report)
    contact: Contact = field(default_factory=Contact)
    # The form template (code@version) the document is of, as GenericDocument
    # names its own; `template` above is the scoring template.
    template_code: str = HUNAN_CODE
    template_version: str = HUNAN_VERSION
