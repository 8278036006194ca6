"""Hostile .xlsx files for the workbook reader's tests, crafted by editing the
zip of a real exported workbook so that each file differs from a good one in
exactly one way."""

import io
import posixpath
import re
import zipfile

import defusedxml.ElementTree as SafeElementTree

MAIN = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
RELATIONSHIP_ID = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}id"


def rewrite(data: bytes, *, replace: dict[str, bytes] | None = None, add=None) -> bytes:
    """A copy of the zip `data` with some members replaced and some added."""
    replace = replace or {}
    output = io.BytesIO()
    with (
        zipfile.ZipFile(io.BytesIO(data)) as source,
        zipfile.ZipFile(output, "w", zipfile.ZIP_DEFLATED) as target,
    ):
        for entry in source.infolist():
            target.writestr(entry.filename, replace.get(entry.filename, source.read(entry)))
        for name, payload in (add or {}).items():
            target.writestr(name, payload)
    return output.getvalue()


def member(data: bytes, name: str) -> bytes:
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        return archive.read(name)


def sheet_part(data: bytes, title: str) -> str:
    """The zip member holding the sheet called `title`."""
    workbook = SafeElementTree.fromstring(member(data, "xl/workbook.xml"))
    relations = SafeElementTree.fromstring(member(data, "xl/_rels/workbook.xml.rels"))
    targets = {rel.get("Id"): rel.get("Target") for rel in relations}
    for sheet in workbook.iter(f"{MAIN}sheet"):
        if sheet.get("name") == title:
            target = targets[sheet.get(RELATIONSHIP_ID)]
            if target.startswith("/"):
                return target.lstrip("/")
            return posixpath.normpath(posixpath.join("xl", target))
    raise KeyError(title)


def xls_bytes() -> bytes:
    """The start of an Excel 97-2003 (OLE2 compound document) file."""
    return b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 504


def as_xlsm(data: bytes) -> bytes:
    """`data` turned into a macro-enabled workbook: a VBA project and the
    macroEnabled content type."""
    types = member(data, "[Content_Types].xml").replace(
        b"application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml",
        b"application/vnd.ms-excel.sheet.macroEnabled.main+xml",
    )
    return rewrite(
        data,
        replace={"[Content_Types].xml": types},
        add={"xl/vbaProject.bin": b"\xd0\xcf\x11\xe0" + b"Attribute VB_Name" * 8},
    )


def zip_bomb(data: bytes, size: int = 60 * 1024 * 1024) -> bytes:
    """`data` with an extra member of `size` zero bytes, which deflates to
    about a thousandth of that."""
    output = io.BytesIO(rewrite(data))
    block = b"\x00" * (1024 * 1024)
    with (
        zipfile.ZipFile(output, "a", zipfile.ZIP_DEFLATED, compresslevel=9) as archive,
        archive.open("xl/media/padding.bin", "w") as stream,
    ):
        for _ in range(size // len(block)):
            stream.write(block)
    return output.getvalue()


BILLION_LAUGHS = (
    b'<?xml version="1.0"?>\n'
    b"<!DOCTYPE lolz [\n"
    b' <!ENTITY lol "lol">\n'
    + b"".join(
        b' <!ENTITY lol%d "%s">\n'
        % (level, (b"&lol%d;" % (level - 1) if level > 1 else b"&lol;") * 10)
        for level in range(1, 10)
    )
    + b"]>\n"
)


def billion_laughs(data: bytes, title: str) -> bytes:
    """The sheet `title` given a DOCTYPE whose entities expand to a billion
    "lol"s, one of them used in a cell."""
    part = sheet_part(data, title)
    xml = member(data, part)
    xml = re.sub(rb"^<\?xml[^>]*\?>\s*", b"", xml)
    xml = re.sub(rb"<t>[^<]*</t>", b"<t>&lol9;</t>", xml, count=1)
    return rewrite(data, replace={part: BILLION_LAUGHS + xml})


def million_rows(data: bytes, title: str, rows: int = 1_000_000) -> bytes:
    """The sheet `title` claiming `rows` rows in its <dimension> and holding a
    cell in the last one, without writing the rows in between."""
    part = sheet_part(data, title)
    xml = member(data, part)
    xml = re.sub(rb'<dimension ref="[^"]*"', b'<dimension ref="A1:K%d"' % rows, xml)
    last = b'<row r="%d"><c r="A%d" t="inlineStr"><is><t>x</t></is></c></row>' % (rows, rows)
    xml = xml.replace(b"</sheetData>", last + b"</sheetData>")
    return rewrite(data, replace={part: xml})


def huge_row_count_without_dimension(data: bytes, title: str, rows: int) -> bytes:
    """The sheet `title` with its <dimension> removed and `rows` real (empty)
    rows appended: the row count must be read from the rows themselves."""
    part = sheet_part(data, title)
    xml = member(data, part)
    xml = re.sub(rb"<dimension [^>]*/>", b"", xml)
    start = int(re.findall(rb'<row r="(\d+)"', xml)[-1]) + 1
    extra = b"".join(b'<row r="%d"/>' % number for number in range(start, start + rows))
    xml = xml.replace(b"</sheetData>", extra + b"</sheetData>")
    return rewrite(data, replace={part: xml})
