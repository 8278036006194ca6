"""A made-up province's template, written from docs/form-templates.md alone, and
a filing for it: the figures are computed by hand below.

fixtures/new_province_template.json: two tables (绩效指标表 mixed, 管理情况表 fixed),
an execution block of 10 points, normalization by applicable maximum and one
bonus section (改革创新, at most 3 points, after normalization).
fixtures/new_province_filing.json: the filing (other tests import it through Django).

By hand:
- 执行率 = 190 / 200 × 100 = 95.00; 执行率得分 = 10 × 95 / 100 = 9.50.
- 召开专题会议次数 (positive, w 20): A 12, B 10 → 10 / 12 × 20 = 16.67 suggested;
  the officer entered 16 → warning score_differs.
- 成本控制率 (deduct_per_unit, w 10): 103 − 100 = 3 units × 0.5 = 1.5 → 8.50; entered 8.5.
- 社会效益 own row 1 (bands, w 10): 95 ≥ 90 → 10; entered 10. Own row 2: 不适用 (reason given).
- 预算编制 25 of 30; 资产处置 不适用 (reason given).
- 改革创新 entered 5, section max 3 → 3 applied, warning bonus_over_maximum.
- 自评得分合计 = 9.50 + 16 + 8.50 + 10 + 25 = 69.00.
- 适用分值合计 = 10 + 20 + 10 + 10 + 30 = 80.00.
- 换算得分 = 69 / 80 × 100 = 86.25, + 3 = 89.25 → 良 (80 ≤ 89.25 < 90).
"""

import json
from decimal import Decimal
from pathlib import Path

from evaluations.core.generic import (
    generic_document_from_json,
    generic_document_to_json,
    generic_missing_parts,
    generic_score,
    generic_validate,
)
from evaluations.core.template import template_from_bytes, template_to_json

FIXTURES = Path(__file__).parent / "fixtures"


def load():
    template = template_from_bytes((FIXTURES / "new_province_template.json").read_bytes())
    raw = json.loads((FIXTURES / "new_province_filing.json").read_text(encoding="utf-8"))
    return template, generic_document_from_json(raw, template)


def test_template_written_from_the_docs_is_accepted():
    template, _ = load()
    assert template.identity == "test-new-province@2024"
    assert [table.key for table in template.tables] == ["indicators", "management"]
    assert template_to_json(template)["scoring"]["normalization"] == "applicable_maximum"


def test_converted_score_and_grade_match_the_hand_computation():
    template, document = load()
    score = generic_score(document, template)
    assert (score.execution_rate, score.execution_score) == (Decimal("95.00"), Decimal("9.50"))
    assert score.raw_total == Decimal("69.00")
    assert score.applicable_maximum == Decimal("80.00")
    assert [(s.entered, s.applied) for s in score.bonus] == [(Decimal("5.00"), Decimal("3.00"))]
    assert score.normalized == Decimal("89.25")
    assert score.grade == "良"


def test_rules_suggest_the_hand_computed_scores():
    template, document = load()
    score = generic_score(document, template)
    suggestions = [
        (row.label, row.suggestion.score if row.suggestion else None) for row in score.rows
    ]
    assert suggestions == [
        ("召开专题会议次数", Decimal("16.67")),
        ("成本控制率", Decimal("8.50")),
        ("群众满意度", Decimal("10.00")),
        ("宣传覆盖率", None),
        ("预算编制", None),
        ("资产处置", None),
        ("改革创新", None),
    ]


def test_only_the_two_expected_warnings_are_found():
    template, document = load()
    findings = generic_validate(document, template)
    assert [(f.code, f.kind, f.where) for f in findings] == [
        ("score_differs", "warning", "tables.indicators[0]"),
        ("bonus_over_maximum", "warning", "tables.management"),
    ]
    assert generic_missing_parts(document, template, findings) == []


def test_filing_fixture_round_trips():
    template, document = load()
    assert generic_document_from_json(generic_document_to_json(document), template) == document
