"""The form templates perfeval ships, one `perfeval-form-template/1` JSON file
each, named `<code>@<version>.json` (docs/form-templates.md).

Pure: reads files next to this module and nothing else, so the loader
command, the demo data and tests find the same bytes.
"""

from pathlib import Path

FOLDER = Path(__file__).resolve().parent

# In the order an administrator meets them: the Hunan family perfeval began
# with, then the generic ones.
SHIPPED = (
    FOLDER / "hunan-overall@2023.json",
    FOLDER / "hubei-suizhou-overall@2023.json",
    FOLDER / "hebei-baoding-assessment@2023.json",
)


def shipped_template_bytes(identity: str) -> bytes:
    """The file of the shipped template `identity` ("code@version"), as bytes.

    Raises KeyError (naming the identity) when no shipped template has it.
    """
    for path in SHIPPED:
        if path.stem == identity:
            return path.read_bytes()
    raise KeyError(f"没有内置的表单模板“{identity}”。")
