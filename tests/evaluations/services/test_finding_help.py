"""Every finding the validator can report is explained on the 填报说明 page."""

import ast
import inspect

from evaluations.core import validation
from evaluations.core.finding_help import FINDING_HELP, finding_help_rows


def _codes_the_validator_adds() -> set[str]:
    """The code of every `collector.add("code", …)` call in validation.py."""
    tree = ast.parse(inspect.getsource(validation))
    codes = set()
    for node in ast.walk(tree):
        if (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr == "add"
            and node.args
        ):
            first = node.args[0]
            assert isinstance(first, ast.Constant) and isinstance(first.value, str), (
                f"line {node.lineno}: a finding code that is not a literal cannot be checked here"
            )
            codes.add(first.value)
    return codes


def test_every_code_the_validator_adds_is_declared_and_explained():
    added = _codes_the_validator_adds()
    assert "section_missing" in added and "execution_over_100" in added  # the scan works
    assert added <= set(validation.FINDING_CODES)
    assert added <= set(FINDING_HELP)


def test_every_declared_code_is_explained_and_no_entry_is_stale():
    assert set(FINDING_HELP) == set(validation.FINDING_CODES)


def test_the_help_rows_list_errors_first_in_plain_chinese_without_codes():
    rows = finding_help_rows()
    assert len(rows) == len(validation.FINDING_CODES)
    kinds = [row.blocks_submission for row in rows]
    assert kinds == sorted(kinds, reverse=True)
    errors = [code for code, kind in validation.FINDING_CODES.items() if kind == validation.ERROR]
    assert sum(kinds) == len(errors)
    for row in rows:
        text = row.title + row.meaning
        assert not any(code in text for code in validation.FINDING_CODES), text
        assert row.title and row.meaning.endswith("。"), row.title


def test_the_format_documentation_lists_every_finding_code():
    from pathlib import Path

    from evaluations.core.validation import FINDING_CODES

    documentation = (Path(__file__).resolve().parents[3] / "docs" / "filing-format.md").read_text()
    assert [code for code in FINDING_CODES if f"| `{code}` |" not in documentation] == []
