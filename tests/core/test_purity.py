"""The pure core imports nothing from Django, models or services (STYLE.md 12)."""

import json
import os
import pkgutil
import subprocess
import sys
from pathlib import Path

import evaluations.core

ROOT = Path(__file__).resolve().parents[2]

PROBE = """
import importlib, json, sys
for name in sys.argv[1:]:
    importlib.import_module(name)
print(json.dumps(sorted(sys.modules)))
"""


def core_modules() -> list[str]:
    return sorted(
        f"evaluations.core.{module.name}"
        for module in pkgutil.iter_modules(evaluations.core.__path__)
    )


def test_every_core_module_imports_without_django():
    modules = core_modules()
    assert {"evaluations.core.template", "evaluations.core.generic"} <= set(modules)
    environment = {k: v for k, v in os.environ.items() if k != "DJANGO_SETTINGS_MODULE"}
    result = subprocess.run(
        [sys.executable, "-c", PROBE, *modules],
        cwd=ROOT,
        env=environment,
        capture_output=True,
        text=True,
        check=True,
    )
    imported = json.loads(result.stdout)
    forbidden = [
        name
        for name in imported
        if name.split(".")[0] == "django"
        or name.startswith(("evaluations.models", "evaluations.services"))
    ]
    assert forbidden == []
    assert set(modules) <= set(imported)
