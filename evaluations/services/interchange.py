"""The `perfeval-filing/2` interchange format (docs/filing-format.md), and
the `/1` files written before it.

Reading is strict: an unknown key, a wrong type or an impossible value is a
`DocumentError` naming the JSON path of the bad value, because a typo in a file
from another system must never silently drop data. Every bad value of a file
is collected into one DocumentError, so whoever fixes the file fixes it once.
Reading does not judge the filing itself (a missing 实际完成值, scores that do
not add up): such a filing imports as a draft and the validation service points at what is wrong.

Called by the `filing_import`, `filing_export` and `load_demo` commands, and by
anything else that moves a whole filing in or out (an upload view, an archive).
"""

import dataclasses
import json
import re
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from django.db import IntegrityError, transaction

from departments.models import Department, Jurisdiction
from departments.selectors import jurisdictions_reviewed_by, user_is_admin
from evaluations.core import document as doc
from evaluations.core.document import (
    BASIC_ROW_KEYS,
    HUNAN_CODE,
    HUNAN_VERSION,
    REPORT_KEYS,
    FilingDocument,
    quantize,
)
from evaluations.core.generic import DocumentError as GenericDocumentError
from evaluations.core.generic import GenericDocument, generic_document_from_json
from evaluations.core.hunan import SIGNED_BASIC_ROWS
from evaluations.core.limits import (
    MAX_BUILDINGS,
    MAX_INDICATOR_ROWS,
    MAX_PROJECT_ITEMS,
    MAX_PROJECTS,
    count_problem,
    document_check_limits,
    indicator_table,
)
from evaluations.core.scoring import document_score
from evaluations.core.validation import document_validate
from evaluations.models import (
    Building,
    Filing,
    FilingRevision,
    FiscalYear,
    FormTemplate,
    Indicator,
    Project,
    ProjectItem,
    ScoringTemplate,
)
from evaluations.services.form_templates import (
    filing_form_template,
    form_template_for,
    form_template_get,
)
from evaluations.services.persistence import (
    FORMAT,
    FORMAT_1,
    RowKeys,
    decimal_text,
    document_to_dict,
    filing_document,
    filing_document_create,
    filing_document_read,
    filing_document_write,
)
from evaluations.validators import MAX_TEXT_LENGTH, MAX_YEAR, MIN_YEAR

# Kept importable from here, where callers look for the format.
__all__ = [
    "FORMAT",
    "FORMAT_1",
    "DocumentError",
    "Problem",
    "ProblemsError",
    "RowKeys",
    "computed_to_dict",
    "document_from_bytes",
    "document_from_json",
    "document_to_dict",
    "filing_computed",
    "filing_document",
    "filing_document_read",
    "filing_export_json",
    "filing_import",
    "import_rights_check",
    "problems_listed",
    "scoring_template_default",
]

DEFAULT_TEMPLATE_NAME = "默认评分模板"

# DecimalField(max_digits=14, decimal_places=2) leaves 12 digits before the point.
MAX_AMOUNT = Decimal(10) ** 12
# PositiveIntegerField's upper bound on PostgreSQL.
MAX_COUNT = 2_147_483_647

_AMOUNT_PATTERN = re.compile(r"-?\d+(\.\d+)?")
_DATE_PATTERN = re.compile(r"\d{4}-\d{2}-\d{2}")

# The json module's messages are English; the people importing read Chinese.
_JSON_MESSAGES = {
    "Expecting value": "此处应为一个值",
    "Expecting property name enclosed in double quotes": "此处应为用双引号括起的键名",
    "Expecting ':' delimiter": "此处应为冒号 :",
    "Expecting ',' delimiter": "此处应为逗号 ,",
    "Extra data": "JSON 结束后还有多余内容",
    "Unterminated string starting at": "字符串没有结束引号",
    "Invalid control character at": "字符串中有未转义的控制字符",
    "Invalid \\escape": "无效的转义序列",
    "Invalid \\uXXXX escape": "无效的 \\uXXXX 转义序列",
    "Illegal trailing comma before end of object": "对象末尾多了逗号",
    "Illegal trailing comma before end of array": "数组末尾多了逗号",
}


# An import lists this many problems; beyond them it says how many more there
# are. Fifty fill a page and are more than any officer fixes in one sitting.
LISTED_PROBLEMS = 50


def problems_listed(problems: list) -> tuple[list, int]:
    """The problems an import shows, and how many more it leaves unlisted."""
    return problems[:LISTED_PROBLEMS], max(0, len(problems) - LISTED_PROBLEMS)


class ProblemsError(Exception):
    """An import refused for every one of its `problems` (set by the subclass),
    listed the same way whether the file was JSON or a workbook."""

    problems: list

    def listed(self) -> tuple[list, int]:
        """The problems an import shows, and how many more it leaves unlisted."""
        return problems_listed(self.problems)

    def __str__(self):
        if len(self.problems) == 1:
            return str(self.problems[0])
        shown, more = self.listed()
        lines = [f"共 {len(self.problems)} 处问题：", *(str(problem) for problem in shown)]
        if more:
            lines.append(f"另有 {more} 处未列出。")
        return "\n".join(lines)


@dataclass(frozen=True)
class Problem:
    """One bad value: its JSON path and what is wrong, in Chinese."""

    path: str
    message: str

    def __str__(self):
        return f"{self.path}: {self.message}"


class DocumentError(ProblemsError):
    """A filing document that cannot be read or saved.

    `problems` lists every bad value found, in document order, each with its
    path ("indicators[3].weight", "funds.by_source.other", "$" for the whole
    file) and message in Chinese; `path` and `message` are the first one's.
    """

    def __init__(self, path: str, message: str, *, problems: list[Problem] | None = None):
        self.problems = problems or [Problem(path, message)]
        self.path = self.problems[0].path
        self.message = self.problems[0].message
        super().__init__(str(self))

    @classmethod
    def of(cls, problems: list[Problem]) -> "DocumentError":
        return cls(problems[0].path, problems[0].message, problems=problems)


class _Problems:
    """Collects the DocumentErrors of the parts of a value, so one reading
    reports every bad value rather than the first."""

    def __init__(self):
        self.found: list[Problem] = []

    def read(self, read, value, path):
        try:
            return read(value, path)
        except DocumentError as error:
            self.found.extend(error.problems)
            return None

    def add(self, path, message):
        self.found.append(Problem(path, message))

    def raise_any(self):
        if self.found:
            raise DocumentError.of(self.found)


# Reading -----------------------------------------------------------------------


class _Object(dict):
    """A JSON object that remembers keys written twice (the json module keeps
    the last one, which would silently drop the first value)."""

    duplicates: tuple[str, ...] = ()


def _object_pairs(pairs):
    obj = _Object(pairs)
    if len(obj) != len(pairs):
        seen = set()
        duplicates = []
        for key, _ in pairs:
            if key in seen:
                duplicates.append(key)
            seen.add(key)
        obj.duplicates = tuple(duplicates)
    return obj


class _Constant:
    """NaN or Infinity in the file: not a number any field accepts."""

    def __init__(self, name):
        self.name = name


def document_from_bytes(data: bytes) -> FilingDocument | GenericDocument:
    """Parse the raw bytes of a `perfeval-filing/1` or `/2` file
    (`document_from_json` says which dataclass each gives).

    The file must be UTF-8 (a byte-order mark is tolerated) and JSON. JSON
    numbers are read as Decimal from their text, so no float ever touches an
    amount. Raises DocumentError ("$" for undecodable files, else the path of
    the bad value).
    """
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise DocumentError(
            "$", f"文件不是 UTF-8 编码（第 {error.start + 1} 个字节无法解码），请另存为 UTF-8。"
        ) from None
    try:
        raw = json.loads(
            text,
            object_pairs_hook=_object_pairs,
            parse_float=Decimal,
            parse_constant=_Constant,
        )
    except json.JSONDecodeError as error:
        reason = _JSON_MESSAGES.get(error.msg, error.msg)
        raise DocumentError(
            "$", f"不是有效的 JSON：第 {error.lineno} 行第 {error.colno} 列，{reason}。"
        ) from None
    except ValueError:
        # The only other ValueError: an integer beyond Python's digit limit.
        raise DocumentError("$", "不是有效的 JSON：其中的数字过长，无法读取。") from None
    except RecursionError:
        raise DocumentError("$", "JSON 嵌套层次过深。") from None
    return document_from_json(raw)


# A lone UTF-16 surrogate ("\ud800" in a file) cannot be stored as UTF-8 text,
# and PostgreSQL refuses NUL in text and in the audit log's JSON: both would
# fail at the database, long after the file was declared good.
_UNSTORABLE = re.compile("[\x00\ud800-\udfff]")


def _visible(text):
    """`text` with every NUL or lone surrogate written as its \\uXXXX escape,
    so that a message or path quoting it can itself be shown and stored."""
    return _UNSTORABLE.sub(lambda match: f"\\u{ord(match.group()):04x}", text)


def _unstorable_characters(raw, path, problems):
    """Add a problem for every key or string of `raw` holding NUL or a lone
    surrogate, and return `raw` with those characters made visible, so that
    the rest of the reading can still report the file's other problems."""
    if isinstance(raw, str):
        if not _UNSTORABLE.search(raw):
            return raw
        found = sorted({f"\\u{ord(c):04x}" for c in _UNSTORABLE.findall(raw)})
        problems.add(
            path or "$",
            f"文字中有无法保存的字符 {'、'.join(found)}（空字符或不成对的代理项），请删除。",
        )
        return _visible(raw)
    if isinstance(raw, list):
        return [
            _unstorable_characters(item, f"{path}[{index}]", problems)
            for index, item in enumerate(raw)
        ]
    if isinstance(raw, dict):
        pairs = []
        for key, value in raw.items():
            if _UNSTORABLE.search(key):
                shown = _visible(key)
                problems.add(
                    _join(path, shown), "键名中有无法保存的字符（空字符或不成对的代理项）。"
                )
                key = shown
            pairs.append((key, _unstorable_characters(value, _join(path, key), problems)))
        cleaned = _object_pairs(pairs)
        cleaned.duplicates = (*getattr(raw, "duplicates", ()), *cleaned.duplicates)
        return cleaned
    return raw


def document_from_json(raw: dict) -> FilingDocument | GenericDocument:
    """Check a parsed JSON document strictly and return its dataclass form.

    A `perfeval-filing/1` document is of the Hunan forms (hunan-overall@2023)
    and reads as a FilingDocument. A `perfeval-filing/2` one names its form
    template in `form_template` ({"code", "version"}), which must be
    installed ("未安装的表式模板：X@Y" otherwise): of a Hunan-layout template
    it is read as /1 (a FilingDocument naming that template), of a generic
    one against that template (a GenericDocument, core.generic).

    Missing keys and null mean "not filled in"; "" for an amount is null too.
    `computed` (written on export) is ignored. Whether `template` names an
    existing scoring template is checked by `filing_import`, which needs the
    database. Raises DocumentError listing every bad value with its path.
    """
    if isinstance(raw, dict) and raw.get("format") == FORMAT:
        return _document_2_from_json(raw)
    return _hunan_document_from_json(raw)


def _document_2_from_json(original: dict) -> FilingDocument | GenericDocument:
    reference = original.get("form_template")
    code = reference.get("code") if isinstance(reference, dict) else None
    version = reference.get("version") if isinstance(reference, dict) else None
    if not (isinstance(code, str) and isinstance(version, str)):
        raise DocumentError(
            "form_template",
            f"{FORMAT} 文件须以 form_template 写明表式模板，"
            '如 {"code": "hunan-overall", "version": "2023"}。',
        )
    # The default forms need no look-up: they are there whenever a filing is
    # (services.form_templates.form_template_default installs them), and the
    # pages read their stored copy, of this form, on every request.
    if (code, version) == (HUNAN_CODE, HUNAN_VERSION):
        layout = FormTemplate.Layout.HUNAN
        form_template = None
    else:
        form_template = form_template_get(code=code, version=version)
        if form_template is None:
            raise DocumentError(
                "form_template", f"未安装的表式模板：{_visible(code)}@{_visible(version)}"
            )
        layout = form_template.layout
    if layout == FormTemplate.Layout.HUNAN:
        # /1 plus form_template: the Hunan reader reports the rest, the
        # characters it cannot store included (so it reads the file as given).
        pairs = [(key, value) for key, value in original.items() if key != "form_template"]
        hunan = _object_pairs(
            [(key, FORMAT_1 if key == "format" else value) for key, value in pairs]
        )
        hunan.duplicates = getattr(original, "duplicates", ())
        return dataclasses.replace(
            _hunan_document_from_json(hunan), template_code=code, template_version=version
        )
    problems = _Problems()
    raw = _unstorable_characters(original, "", problems)
    _duplicate_keys(raw, "", problems)
    problems.raise_any()
    try:
        return generic_document_from_json(raw, form_template.template())
    except GenericDocumentError as error:
        raise DocumentError.of(
            [Problem(item.path, item.message) for item in error.problems]
        ) from None


def _duplicate_keys(raw, path, problems):
    """Add a problem for every key written twice in an object of `raw`."""
    if isinstance(raw, list):
        for index, item in enumerate(raw):
            _duplicate_keys(item, f"{path}[{index}]", problems)
    elif isinstance(raw, dict):
        for key in dict.fromkeys(getattr(raw, "duplicates", ())):
            problems.add(_join(path, key), "键重复出现。")
        for key, value in raw.items():
            _duplicate_keys(value, _join(path, key), problems)


def _hunan_document_from_json(raw: dict) -> FilingDocument:
    problems = _Problems()
    raw = _unstorable_characters(raw, "", problems)
    obj = _fields(raw, "", _TOP_LEVEL_KEYS, problems)
    if "format" not in obj:
        problems.add("format", f"缺少格式标识，应为 “{FORMAT}”（或旧版 “{FORMAT_1}”）。")
    elif obj["format"] != FORMAT_1:
        problems.add(
            "format",
            f"不支持的格式 {_show(obj['format'])}，应为 “{FORMAT}”（或旧版 “{FORMAT_1}”）。",
        )
    parts = {
        "fiscal_year": _non_null(_year, "缺少年度。"),
        "department": _non_null(_DEPARTMENT, "缺少预算部门。"),
        "template": _template_name,
        "profile": _PROFILE,
        "staffing": _STAFFING,
        "funds": _FUNDS,
        "basic_data": _BASIC_DATA,
        "overall_goal": _GOAL,
        "indicators": _INDICATORS,
        "projects": _PROJECTS,
        "report": _REPORT,
        "contact": _CONTACT,
    }
    values = {key: problems.read(read, obj.get(key), key) for key, read in parts.items()}
    problems.raise_any()
    document = FilingDocument(**values)
    # The bounds only the whole filing shows (rows and table text of all its
    # tables); the same check refuses a page save, so every path agrees.
    too_large = document_check_limits(document)
    if too_large:
        raise DocumentError.of([Problem(problem.path, problem.message) for problem in too_large])
    return document


def _join(path, key):
    return f"{path}.{key}" if path else str(key)


def _type_name(value):
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "布尔值"
    if isinstance(value, int | float | Decimal):
        return "数字"
    if isinstance(value, str):
        return "字符串"
    if isinstance(value, list):
        return "数组"
    if isinstance(value, dict):
        return "对象"
    if isinstance(value, _Constant):
        return value.name
    return type(value).__name__


def _show(value):
    """The offending value, short enough for a one-line message."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return f"“{_shorten(value)}”"
    if isinstance(value, int | float | Decimal):
        return _shorten(str(value))
    return _type_name(value)


def _shorten(text, length=30):
    return f"{text[:length]}…" if len(text) > length else text


def _fields(raw, path, allowed, problems):
    """`raw` must be an object holding only `allowed` keys, each once; every
    unknown or repeated key is added to `problems`."""
    if not isinstance(raw, dict):
        raise DocumentError(path or "$", f"应为对象 {{…}}，实际为{_type_name(raw)}。")
    for key in raw:
        if key not in allowed:
            problems.add(
                _join(path, key), f"未知的键（拼写错误？），此处允许：{'、'.join(allowed)}。"
            )
    for key in dict.fromkeys(getattr(raw, "duplicates", ())):
        problems.add(_join(path, key), "键重复出现。")
    return raw


def _limit(model, name):
    return model._meta.get_field(name).max_length


def _text(limit=MAX_TEXT_LENGTH, *, required=None):
    """A text of at most `limit` characters; null is "". With `required` (the
    message), a missing or blank text is an error."""

    def parse(value, path):
        if value is None:
            value = ""
        if not isinstance(value, str):
            raise DocumentError(path, f"应为文字（字符串）或 null，实际为{_type_name(value)}。")
        if required and not value.strip():
            raise DocumentError(path, required)
        if len(value) > limit:
            raise DocumentError(path, f"文字过长：最多 {limit} 个字符，当前 {len(value)} 个。")
        return value

    return parse


def _amount(value, path, *, allow_negative=False):
    """An amount in 万元 (or a weight, score, area): a decimal string or JSON
    number with at most 2 places and 12 integer digits; null or "" is empty."""
    if value is None:
        return None
    if isinstance(value, str):
        text = value.strip()
        if not text:
            return None
    elif isinstance(value, int | float | Decimal) and not isinstance(value, bool):
        text = str(value)
    else:
        raise DocumentError(path, f"应为金额（如 “1007.30”）或 null，实际为{_type_name(value)}。")
    if not _AMOUNT_PATTERN.fullmatch(text):
        raise DocumentError(path, f"应为金额数字（如 “1007.30”），实际为 {_show(value)}。")
    amount = Decimal(text)
    if amount != quantize(amount):
        raise DocumentError(path, f"金额最多两位小数，实际为 {_shorten(text)}。")
    if abs(amount) >= MAX_AMOUNT:
        raise DocumentError(path, f"金额整数部分最多 12 位，实际为 {_shorten(text)}。")
    if amount < 0 and not allow_negative:
        raise DocumentError(path, f"金额不能为负数，实际为 {text}。")
    # Decimal("-0") would be exported as "-0.00".
    return quantize(abs(amount) if amount == 0 else amount)


def _signed_amount(value, path):
    return _amount(value, path, allow_negative=True)


def _count(value, path):
    """A number of people: a non-negative JSON integer; null or "" is empty."""
    if value is None or value == "":
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        raise DocumentError(
            path, f"应为非负整数（人数），实际为{_type_name(value)} {_show(value)}。"
        )
    if value < 0:
        raise DocumentError(path, f"人数不能为负数，实际为 {value}。")
    if value > MAX_COUNT:
        raise DocumentError(path, f"人数过大：{_show(value)}。")
    return value


def _year(value, path):
    if isinstance(value, bool) or not isinstance(value, int):
        raise DocumentError(
            path, f"年度应为整数（如 2023），实际为{_type_name(value)} {_show(value)}。"
        )
    if not MIN_YEAR <= value <= MAX_YEAR:
        raise DocumentError(
            path, f"年度应在 {MIN_YEAR} 到 {MAX_YEAR} 之间，实际为 {_show(value)}。"
        )
    return value


def _applicable(value, path):
    if value is None:
        return True
    if not isinstance(value, bool):
        raise DocumentError(path, f"应为 true 或 false，实际为{_type_name(value)} {_show(value)}。")
    return value


def _date(value, path):
    """ "YYYY-MM-DD", kept as text in the document; null or "" is empty."""
    if value is None or value == "":
        return ""
    if not isinstance(value, str):
        raise DocumentError(path, f"应为日期文字 “YYYY-MM-DD” 或 null，实际为{_type_name(value)}。")
    if not _DATE_PATTERN.fullmatch(value):
        raise DocumentError(path, f"日期格式应为 YYYY-MM-DD，实际为 {_show(value)}。")
    try:
        date.fromisoformat(value)
    except ValueError:
        raise DocumentError(path, f"不是有效的日期：{_show(value)}。") from None
    return value


def _template_name(value, path):
    if value is None or value == "":
        return None
    return _text(_limit(ScoringTemplate, "name"))(value, path)


def _record(cls, spec, *, nullable=False):
    """A parser for an object whose keys map one to one onto `cls` fields.

    A missing or null object is an empty `cls()`, or None with `nullable`.
    """

    def parse(value, path):
        if value is None:
            return None if nullable else cls()
        problems = _Problems()
        obj = _fields(value, path, tuple(spec), problems)
        values = {
            key: problems.read(read, obj.get(key), _join(path, key)) for key, read in spec.items()
        }
        problems.raise_any()
        return cls(**values)

    return parse


def _rows(read_item, *, limit, what, unit="行"):
    """A parser for an array of at most `limit` rows, each read by `read_item`;
    null is []. `what` names the rows (a text, or a function of the path) in
    the message of a longer array, which is refused before any row is read."""

    def parse(value, path):
        if value is None:
            return []
        if not isinstance(value, list):
            raise DocumentError(path, f"应为数组 […]，实际为{_type_name(value)}。")
        name = what(path) if callable(what) else what
        too_many = count_problem(path, name, len(value), limit, unit)
        if too_many:
            raise DocumentError(too_many.path, too_many.message)
        problems = _Problems()
        rows = [
            problems.read(read_item, item, f"{path}[{index}]") for index, item in enumerate(value)
        ]
        problems.raise_any()
        return rows

    return parse


def _basic_rows(value, path):
    """附件1 rows keyed by BASIC_ROW_KEYS; rows not given stay empty."""
    rows = {key: doc.Columns() for key in BASIC_ROW_KEYS}
    if value is None:
        return rows
    problems = _Problems()
    obj = _fields(value, path, BASIC_ROW_KEYS, problems)
    for key, row in obj.items():
        if key not in rows:
            continue
        read = _signed_amount if key in SIGNED_BASIC_ROWS else _amount
        rows[key] = problems.read(
            _record(doc.Columns, {"prior_final": read, "budget": read, "final": read}),
            row,
            _join(path, key),
        )
    problems.raise_any()
    return rows


def _fund_line(value, path):
    """A project's funds from one source; a line with nothing filled in is null."""
    line = _record(
        doc.FundLine,
        {"initial_budget": _amount, "full_year_budget": _amount, "executed": _amount},
        nullable=True,
    )(value, path)
    return None if _line_is_empty(line) else line


def _line_is_empty(line):
    return line is None or all(
        amount is None for amount in (line.initial_budget, line.full_year_budget, line.executed)
    )


def _indicator(value, path):
    indicator = _INDICATOR_ROW(value, path)
    # A 不适用 row counts neither in 总分 nor in 满分; a number on it would be
    # dropped or misread, so the file must say what it means.
    if not indicator.applicable:
        problems = _Problems()
        for name in ("weight", "score"):
            if getattr(indicator, name) is not None:
                problems.add(
                    _join(path, name),
                    "不适用（applicable: false）的指标不能填写分值或得分，应为 null。",
                )
        problems.raise_any()
    return indicator


def _non_null(read, message):
    def parse(value, path):
        if value is None:
            raise DocumentError(path, message)
        return read(value, path)

    return parse


_TOP_LEVEL_KEYS = (
    "format",
    "fiscal_year",
    "department",
    "template",
    "profile",
    "staffing",
    "funds",
    "basic_data",
    "overall_goal",
    "indicators",
    "projects",
    "report",
    "contact",
    "computed",
)

_DEPARTMENT = _record(
    doc.Department,
    {
        "name": _text(_limit(Department, "name"), required="缺少部门名称。"),
        "jurisdiction": _text(_limit(Jurisdiction, "name"), required="缺少行政区划。"),
        "code": _text(_limit(Department, "code")),
    },
)
_INDICATOR_ROW = _record(
    doc.Indicator,
    {
        "level1": _text(_limit(Indicator, "level1"), required="缺少一级指标。"),
        "level2": _text(_limit(Indicator, "level2")),
        "name": _text(_limit(Indicator, "name")),
        "target": _text(_limit(Indicator, "target")),
        "actual": _text(_limit(Indicator, "actual")),
        "weight": _amount,
        "score": _amount,
        "deviation": _text(_limit(Indicator, "deviation")),
        "applicable": _applicable,
    },
)
_PROFILE = _record(
    doc.Profile, {"organization": _text(), "functions": _text(), "goal_setting": _text()}
)
_STAFFING = _record(
    doc.Staffing,
    {"authorized": _count, "actual": _count, "retired": _count, "survivor_subsidy": _count},
)
_FUNDS = _record(
    doc.Funds,
    {
        "initial_budget": _amount,
        "full_year_budget": _amount,
        "executed": _amount,
        "weight": _amount,
        "by_source": _record(
            doc.FundsBySource,
            {
                "general_budget": _amount,
                "government_fund": _amount,
                "special_account": _amount,
                "other": _amount,
            },
        ),
        "by_nature": _record(doc.FundsByNature, {"basic": _amount, "project": _amount}),
        "basic_detail": _record(doc.BasicDetail, {"personnel": _amount, "public": _amount}),
    },
)
_BASIC_DATA = _record(
    doc.BasicData,
    {
        "rows": _basic_rows,
        "project_items": _rows(
            _non_null(
                _record(
                    doc.ProjectItem,
                    {
                        "name": _text(_limit(ProjectItem, "name"), required="缺少项目名称。"),
                        "prior_final": _amount,
                        "budget": _amount,
                        "final": _amount,
                    },
                ),
                "项目支出明细行不能为 null。",
            ),
            limit=MAX_PROJECT_ITEMS,
            what="附件1 项目支出明细行数",
        ),
        "buildings": _rows(
            _non_null(
                _record(
                    doc.Building,
                    {
                        "name": _text(_limit(Building, "name"), required="缺少楼堂馆所名称。"),
                        "approved_area": _amount,
                        "actual_area": _amount,
                        "budget_investment": _amount,
                        "actual_investment": _amount,
                    },
                ),
                "楼堂馆所行不能为 null。",
            ),
            limit=MAX_BUILDINGS,
            what="附件1 楼堂馆所行数",
        ),
        "austerity_measures": _text(),
    },
)
_GOAL = _record(
    doc.Goal,
    {
        "expected": _text(_limit(Filing, "goal_expected")),
        "actual": _text(_limit(Filing, "goal_actual")),
    },
)
_PROJECT_INDEX = re.compile(r"projects\[(\d+)\]")


def _indicator_rows_name(path):
    match = _PROJECT_INDEX.match(path)
    return f"{indicator_table(int(match.group(1)) if match else None)} 绩效指标行数"


_INDICATORS = _rows(
    _non_null(_indicator, "指标行不能为 null。"),
    limit=MAX_INDICATOR_ROWS,
    what=_indicator_rows_name,
)
_PROJECTS = _rows(
    _non_null(
        _record(
            doc.Project,
            {
                "name": _text(_limit(Project, "name"), required="缺少项目名称。"),
                "department_in_charge": _text(_limit(Project, "department_in_charge")),
                "implementer": _text(_limit(Project, "implementer")),
                "funds": _record(
                    doc.ProjectFunds,
                    {
                        "weight": _amount,
                        "total": _fund_line,
                        "current_appropriation": _fund_line,
                        "carryover": _fund_line,
                        "other": _fund_line,
                    },
                ),
                "goal": _GOAL,
                "indicators": _INDICATORS,
            },
        ),
        "项目表不能为 null。",
    ),
    limit=MAX_PROJECTS,
    what="附件3 项目数",
    unit="个",
)
_REPORT = _record(doc.Report, dict.fromkeys(REPORT_KEYS, _text()))
_CONTACT = _record(
    doc.Contact,
    {
        "preparer": _text(_limit(Filing, "preparer")),
        "phone": _text(_limit(Filing, "phone")),
        "date": _date,
        "head": _text(_limit(Filing, "head")),
    },
)


# Saved filing ↔ document, document → JSON: services/persistence.py, the one
# write path, which stores every version in this JSON form. Re-exported here,
# the module every caller knows for the format.

_TABLE_SCORE_KEYS = (
    "execution_rate",
    "execution_score",
    "total_score",
    "max_score",
    "normalized_score",
)


def _plain(value):
    """An enum member as its value (rule names, grades), anything else as is."""
    return getattr(value, "value", value)


def computed_to_dict(*, score, findings) -> dict:
    """The `computed` key of an exported document (docs/filing-format.md) from a
    `FilingScore` and the validation findings: decimals as strings with 2
    places, one `indicators` entry per 附件2 row, one `projects` entry per
    附件3 table, findings split into `errors` and `warnings`."""

    def table(result):
        return {
            **{key: decimal_text(getattr(result, key)) for key in _TABLE_SCORE_KEYS},
            "grade": _plain(result.grade),
        }

    def finding(item):
        return {"code": item.code, "message": str(item.message), "where": item.where}

    overall = table(score)
    return {
        "execution_rate": overall["execution_rate"],
        "execution_score": overall["execution_score"],
        "indicator_score": decimal_text(score.indicator_score),
        "total_score": overall["total_score"],
        "max_score": overall["max_score"],
        "normalized_score": overall["normalized_score"],
        "grade": overall["grade"],
        "staffing_control_rate": decimal_text(score.staffing_control_rate),
        "indicators": [
            {"suggested_score": decimal_text(result.suggested_score), "rule": _plain(result.rule)}
            for result in score.indicators
        ],
        "projects": [table(project) for project in score.projects],
        "errors": [finding(item) for item in findings if _plain(item.kind) == "error"],
        "warnings": [finding(item) for item in findings if _plain(item.kind) == "warning"],
    }


def filing_computed(*, filing: Filing, document: FilingDocument | None = None) -> dict:
    """Score and validate a saved filing with its scoring template and return
    the `computed` dict. Pass `document` when it has been read already."""
    if document is None:
        document = filing_document(filing=filing)
    template = filing.scoring_template
    score = document_score(document=document, template=template)
    findings = document_validate(document=document, template=template, score=score)
    return computed_to_dict(score=score, findings=findings)


def filing_export_json(*, filing: Filing) -> dict:
    """The exported JSON document of a saved filing, `computed` included.

    The caller checks that the user may see the filing. A filing on a
    generic form template is exported as `perfeval-filing/2`.
    """
    if filing.layout == FormTemplate.Layout.GENERIC:
        from evaluations.services.generic_persistence import generic_filing_export_json

        return generic_filing_export_json(filing=filing)
    document = filing_document(filing=filing)
    return document_to_dict(
        document=document, computed=filing_computed(filing=filing, document=document)
    )


# Document → database -----------------------------------------------------------------


def scoring_template_default() -> ScoringTemplate:
    """The scoring template (默认评分模板) of a fiscal year the server's import
    creates, created when missing. For the import services of both layouts."""
    template, _ = ScoringTemplate.objects.get_or_create(name=DEFAULT_TEMPLATE_NAME)
    return template


@transaction.atomic
def filing_import(
    *,
    document: FilingDocument | GenericDocument,
    replace: bool = False,
    actor=None,
    author=None,
    source: str = FilingRevision.Source.JSON,
) -> Filing:
    """Save `document` (as read by `document_from_json`) as a filing, through
    the one write path (services.persistence), recorded as coming from
    `source` (a FilingRevision.Source).

    A new filing starts as a draft, version 1. An existing filing of the
    department for the year is refused unless `replace`; then what differs
    from the file is written and its version goes up by one, while a file
    equal to the filing writes nothing at all (no version, no revision); its
    status is left alone (only the workflow service changes it).

    `actor` is the signed-in user of a web import (a reviewer or an
    administrator). Such an import stays within a reviewer's rights: only a
    department of a jurisdiction the actor reviews; the jurisdiction,
    department and fiscal year must exist (administrators create them in the
    admin, a file never does); and `replace` overwrites only a returned
    filing (已退回), never one its department may be editing (草稿) or one
    under review. Without `actor` the caller is the server itself (the
    `filing_import` command run by an administrator, `load_demo`, the workbook
    import that checked the officer's rights): it creates the missing
    jurisdiction, department and fiscal year (open, with the default
    template), and `replace` overwrites a draft or a returned filing; the
    revision then names `author` (a command's --actor), or 系统 when None.

    Everything is checked before anything is written, and all of it happens in
    one transaction. Raises DocumentError ("template" for an unknown scoring
    template, "department.jurisdiction", "department.name" or "fiscal_year"
    for what the actor may not use or that is missing, "$" for a refused
    overwrite, or the path of a bound of core/limits.py the document
    exceeds).
    """
    if isinstance(document, GenericDocument):
        from evaluations.services.generic_persistence import generic_filing_import

        return generic_filing_import(
            document=document, replace=replace, actor=actor, author=author, source=source
        )
    # A document built in Python (load_demo, a script) has not been through
    # the reader: the write itself refuses a filing too large to serve.
    too_large = document_check_limits(document)
    if too_large:
        raise DocumentError.of([Problem(problem.path, problem.message) for problem in too_large])
    template_missing = (
        document.template is not None
        and not ScoringTemplate.objects.filter(name=document.template).exists()
    )
    if template_missing:
        raise DocumentError("template", f"评分模板“{document.template}”不存在。")

    label = f"{document.department.name} {document.fiscal_year}年度的自评"
    exists = f"{label}已存在；如需覆盖，请选择覆盖导入（命令行加 --replace）。"
    filing = (
        Filing.objects.select_for_update(of=("self",))
        .filter(
            department__name=document.department.name,
            department__jurisdiction__name=document.department.jurisdiction,
            fiscal_year__year=document.fiscal_year,
        )
        .first()
    )
    if actor is not None:
        import_rights_check(document=document, actor=actor, filing=filing)
    recorded = actor if actor is not None else author
    if filing is not None:
        if not replace:
            raise DocumentError("$", exists)
        if actor is not None and filing.status != Filing.Status.RETURNED:
            raise DocumentError(
                "$",
                f"{label}状态为“{filing.get_status_display()}”：导入只能覆盖已退回的自评；"
                "草稿可能正由部门填写，已报送/已审核/已公开的需先退回。",
            )
        if not filing.is_editable:
            raise DocumentError(
                "$",
                f"{label}状态为“{filing.get_status_display()}”：已报送/已审核/已公开的自评不能覆盖，"
                "需先退回。",
            )
        _check_forms(filing_form_template(filing), document, label)
        return filing_document_write(
            filing=filing,
            document=document,
            actor=recorded,
            expected_version=filing.version,
            source=source,
        ).filing

    if actor is None:
        jurisdiction, _ = Jurisdiction.objects.get_or_create(name=document.department.jurisdiction)
        department, _ = Department.objects.get_or_create(
            jurisdiction=jurisdiction,
            name=document.department.name,
            defaults={"code": document.department.code},
        )
        fiscal_year, _ = FiscalYear.objects.get_or_create(
            year=document.fiscal_year,
            defaults={"is_open": True, "default_template": scoring_template_default()},
        )
    else:
        department = Department.objects.get(
            jurisdiction__name=document.department.jurisdiction,
            name=document.department.name,
        )
        fiscal_year = FiscalYear.objects.get(year=document.fiscal_year)
    form_template = form_template_for(department=department, fiscal_year=fiscal_year)
    _check_forms(form_template, document, label)
    try:
        return filing_document_create(
            department=department,
            fiscal_year=fiscal_year,
            document=document,
            actor=recorded,
            source=source,
            form_template=form_template,
        ).filing
    except IntegrityError:
        # Another import of the same filing committed first.
        raise DocumentError("$", exists) from None


def _check_forms(form_template: FormTemplate, document: FilingDocument, label: str) -> None:
    """Refuse a Hunan document for a filing made on other forms: of another
    layout, or another Hunan template or version than the one it names."""
    identity = f"{document.template_code}@{document.template_version}"
    if form_template.layout != FormTemplate.Layout.HUNAN:
        raise DocumentError(
            "form_template",
            f"{label}使用表式 {form_template.identity}（{form_template.title}），"
            f"文件为湖南表式 {identity}，不能导入。",
        )
    if form_template.identity != identity:
        raise DocumentError(
            "form_template",
            f"{label}使用表式 {form_template.identity}，文件为 {identity}，不能导入。",
        )


def import_rights_check(
    *, document: FilingDocument | GenericDocument, actor, filing: Filing | None
) -> None:
    """Refuse (DocumentError) a web import by `actor` outside the
    jurisdictions it reviews, or one that would create a jurisdiction,
    department or fiscal year (each named at its path). `filing` is the
    existing filing the document would overwrite, or None. For the import
    services of both layouts; the server's own import (no actor) skips it."""
    name = document.department.jurisdiction
    if not jurisdictions_reviewed_by(user=actor).filter(name=name).exists():
        # An administrator reviews every jurisdiction, so it is missing; a
        # reviewer is not told whether another jurisdiction exists.
        if user_is_admin(user=actor):
            raise DocumentError(
                "department.jurisdiction",
                f"行政区划“{name}”不存在；导入不会新建行政区划，请由系统管理员先在后台创建。",
            )
        raise DocumentError(
            "department.jurisdiction",
            f"无权导入“{name}”的填报：只能导入本人审核的行政区划的部门。",
        )
    if filing is not None:
        return
    problems = _Problems()
    if not Department.objects.filter(
        jurisdiction__name=name, name=document.department.name
    ).exists():
        problems.add(
            "department.name",
            f"{name}没有预算部门“{document.department.name}”；导入不会新建部门，"
            "请由系统管理员先在后台创建。",
        )
    if not FiscalYear.objects.filter(year=document.fiscal_year).exists():
        problems.add(
            "fiscal_year",
            f"{document.fiscal_year}年度不存在；导入不会新建年度，请由系统管理员先在后台创建。",
        )
    problems.raise_any()
