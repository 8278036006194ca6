"""Opening our workbooks and PDFs as users' programs do, for the print and
round-trip tests: Debian's LibreOffice Calc (`soffice --headless`, installed
by `scripts/bootstrap --test`), poppler's pdftotext and pdffonts, and
pdfminer.six for the size every character is printed at.

LibreOffice runs with a fresh profile per call (two calls never share one,
so tests may run side by side) and in a Chinese locale, as on a finance
officer's machine: that is what makes it map 宋体's Latin name SimSun to a
Chinese serif font (Noto Serif CJK on Debian)."""

import shutil
import subprocess
import tempfile
from pathlib import Path

import pytest

SOFFICE = "/usr/bin/soffice"
# A cold LibreOffice start with a new profile takes a few seconds; a loaded
# machine may take several times that.
TIMEOUT = 300

needs_soffice = pytest.mark.skipif(
    shutil.which(SOFFICE) is None, reason="LibreOffice（libreoffice-calc-nogui）未安装"
)


def soffice_convert(data: bytes, *, suffix: str = "xlsx", to: str = "pdf") -> bytes:
    """`data` (a file of type `suffix`) converted by LibreOffice to `to`
    (`pdf`, or `xlsx` for a save as Excel 2007-365 by LibreOffice)."""
    target = {"pdf": "pdf", "xlsx": "xlsx:Calc MS Excel 2007 XML"}[to]
    with tempfile.TemporaryDirectory(prefix="perfeval-soffice-") as folder:
        folder = Path(folder)
        source = folder / "in" / f"workbook.{suffix}"
        source.parent.mkdir()
        source.write_bytes(data)
        out = folder / "out"
        result = subprocess.run(
            [
                SOFFICE,
                f"-env:UserInstallation=file://{folder / 'profile'}",
                "--headless",
                "--norestore",
                "--convert-to",
                target,
                "--outdir",
                str(out),
                str(source),
            ],
            capture_output=True,
            timeout=TIMEOUT,
            env={"LANG": "zh_CN.UTF-8", "HOME": str(folder), "PATH": "/usr/bin:/bin"},
            stdin=subprocess.DEVNULL,
            check=False,
        )
        converted = out / f"workbook.{to}"
        if not converted.exists():
            raise AssertionError(
                f"LibreOffice did not convert the file (exit {result.returncode}): "
                f"{result.stdout.decode(errors='replace')} {result.stderr.decode(errors='replace')}"
            )
        return converted.read_bytes()


def _poppler(command: list[str], pdf: bytes) -> str:
    with tempfile.NamedTemporaryFile(suffix=".pdf") as file:
        file.write(pdf)
        file.flush()
        return subprocess.run(
            [*command, file.name, *([] if command[0] == "pdffonts" else ["-"])],
            capture_output=True,
            check=True,
            timeout=60,
        ).stdout.decode()


def pdf_pages_text(pdf: bytes) -> list[str]:
    """The text of each page (pdftotext in reading order), in page order."""
    pages = _poppler(["pdftotext", "-enc", "UTF-8"], pdf).split("\f")
    return pages[:-1] if pages and not pages[-1].strip() else pages


def pdf_font_names(pdf: bytes) -> list[str]:
    """The base names of the fonts the PDF uses (pdffonts), subset prefix cut."""
    lines = _poppler(["pdffonts"], pdf).splitlines()[2:]
    return sorted({line.split()[0].split("+")[-1] for line in lines if line.strip()})


def pdf_printed_sizes(pdf: bytes) -> list[tuple[float, str]]:
    """Per page, the smallest size (pt) any character is printed at, and a
    piece of the text printed at that size."""
    from io import BytesIO

    from pdfminer.high_level import extract_pages
    from pdfminer.layout import LTChar, LTTextContainer

    result = []
    for page in extract_pages(BytesIO(pdf)):
        smallest = (float("inf"), "")
        for element in page:
            if not isinstance(element, LTTextContainer):
                continue
            for line in element:
                for char in getattr(line, "_objs", []):
                    printed = isinstance(char, LTChar) and char.get_text().strip()
                    if printed and char.size < smallest[0]:
                        smallest = (round(char.size, 2), line.get_text().strip()[:40])
        result.append(smallest)
    return result
