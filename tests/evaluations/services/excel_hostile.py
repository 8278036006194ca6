"""Hostile .xlsx files for the workbook reader's tests, crafted by editing the
zip of a real exported workbook so that each file differs from a good one in
exactly one way."""

import io
import posixpath
import re
import struct
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


# What openpyxl expands while loading -------------------------------------------------


def _with_sheet_xml(data: bytes, title: str, edit) -> bytes:
    part = sheet_part(data, title)
    return rewrite(data, replace={part: edit(member(data, part))})


def extra_merged_range(data: bytes, title: str, ref: str) -> bytes:
    """The sheet `title` with one more merged range `ref` declared beside the
    real ones, as in the file that made a worker grow to 5.9 GB."""

    def edit(xml):
        count = int(re.search(rb'<mergeCells count="(\d+)"', xml).group(1))
        xml = xml.replace(
            b'<mergeCells count="%d">' % count, b'<mergeCells count="%d">' % (count + 1)
        )
        return xml.replace(b"</mergeCells>", b'<mergeCell ref="%s"/></mergeCells>' % ref.encode())

    return _with_sheet_xml(data, title, edit)


def hyperlink_over(data: bytes, title: str, ref: str) -> bytes:
    """The sheet `title` with a hyperlink on the range `ref` (openpyxl creates
    every cell of the range to attach the link)."""
    link = b'<hyperlinks><hyperlink ref="%s" location="A1"/></hyperlinks>' % ref.encode()
    return _with_sheet_xml(
        data, title, lambda xml: re.sub(rb"(<pageMargins\b)", link + rb"\1", xml, count=1)
    )


def many_data_validations(data: bytes, title: str, count: int) -> bytes:
    rules = b"".join(
        b'<dataValidation type="list" allowBlank="1" sqref="K%d"><formula1>"a,b"</formula1>'
        b"</dataValidation>" % (row + 1)
        for row in range(count)
    )
    block = b'<dataValidations count="%d">%s</dataValidations>' % (count, rules)

    def edit(xml):
        xml = re.sub(rb"<dataValidations\b.*?</dataValidations>", b"", xml, flags=re.S)
        return re.sub(rb"(<pageMargins\b)", block + rb"\1", xml, count=1)

    return _with_sheet_xml(data, title, edit)


def many_conditional_formats(data: bytes, title: str, count: int) -> bytes:
    formats = b"".join(
        b'<conditionalFormatting sqref="A%d"><cfRule type="expression" priority="%d">'
        b"<formula>TRUE</formula></cfRule></conditionalFormatting>" % (row + 1, row + 1)
        for row in range(count)
    )
    return _with_sheet_xml(
        data,
        title,
        lambda xml: re.sub(
            rb"(<(?:dataValidations|pageMargins)\b)", formats + rb"\1", xml, count=1
        ),
    )


def many_ranges_in_one_validation(data: bytes, title: str, count: int) -> bytes:
    """One data validation whose sqref lists `count` single cells."""
    sqref = b" ".join(b"K%d" % (row + 1) for row in range(count))
    rule = (
        b'<dataValidations count="1"><dataValidation type="list" sqref="%s">'
        b'<formula1>"a,b"</formula1></dataValidation></dataValidations>' % sqref
    )

    def edit(xml):
        xml = re.sub(rb"<dataValidations\b.*?</dataValidations>", b"", xml, flags=re.S)
        return re.sub(rb"(<pageMargins\b)", rule + rb"\1", xml, count=1)

    return _with_sheet_xml(data, title, edit)


def many_defined_names(data: bytes, count: int) -> bytes:
    names = b"".join(
        b'<definedName name="name%d">"x"</definedName>' % number for number in range(count)
    )
    xml = member(data, "xl/workbook.xml").replace(b"</definedNames>", names + b"</definedNames>")
    return rewrite(data, replace={"xl/workbook.xml": xml})


def many_parts(data: bytes, count: int) -> bytes:
    return rewrite(data, add={f"xl/media/part{number}.txt": b"x" for number in range(count)})


def large_styles(data: bytes, size: int) -> bytes:
    """xl/styles.xml padded with a trailing comment to `size` bytes (which
    deflate to almost nothing)."""
    xml = member(data, "xl/styles.xml")
    padding = b"<!--" + b" " * (size - len(xml)) + b"-->"
    return rewrite(data, replace={"xl/styles.xml": xml + padding})


def sheet_referenced_many_times(data: bytes, title: str, times: int) -> bytes:
    """The workbook listing the sheet `title` `times` more times under other
    names: openpyxl reads its part once for each."""
    part = sheet_part(data, title)
    relations = member(data, "xl/_rels/workbook.xml.rels")
    workbook = member(data, "xl/workbook.xml")
    target = part[len("xl/") :].encode()
    rels = b"".join(
        b'<Relationship Id="rIdCopy%d" '
        b'Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" '
        b'Target="/xl/%s"/>' % (number, target)
        for number in range(times)
    )
    sheets = b"".join(
        b'<sheet name="copy%d" sheetId="%d" r:id="rIdCopy%d"/>' % (number, 1000 + number, number)
        for number in range(times)
    )
    return rewrite(
        data,
        replace={
            "xl/_rels/workbook.xml.rels": relations.replace(
                b"</Relationships>", rels + b"</Relationships>"
            ),
            "xl/workbook.xml": workbook.replace(b"</sheets>", sheets + b"</sheets>"),
        },
    )


def sheet_renamed(data: bytes, title: str, new_name: str, rows: int = 0) -> bytes:
    """The sheet `title` moved to the part `new_name` (e.g. ending in .bin),
    its relationship and content type following it, with `rows` empty rows
    appended. openpyxl finds sheets through the relationships, so it still
    reads the part."""
    part = sheet_part(data, title)
    xml = member(data, part)
    if rows:
        start = int(re.findall(rb'<row r="(\d+)"', xml)[-1]) + 1
        extra = b"".join(b'<row r="%d"/>' % number for number in range(start, start + rows))
        xml = xml.replace(b"</sheetData>", extra + b"</sheetData>")
    relations = member(data, "xl/_rels/workbook.xml.rels").replace(
        part[len("xl/") :].encode(), new_name[len("xl/") :].encode()
    )
    types = member(data, "[Content_Types].xml").replace(
        b"/" + part.encode(), b"/" + new_name.encode()
    )
    output = io.BytesIO()
    with (
        zipfile.ZipFile(io.BytesIO(data)) as source,
        zipfile.ZipFile(output, "w", zipfile.ZIP_DEFLATED) as target,
    ):
        for entry in source.infolist():
            if entry.filename == part:
                target.writestr(new_name, xml)
            elif entry.filename == "xl/_rels/workbook.xml.rels":
                target.writestr(entry.filename, relations)
            elif entry.filename == "[Content_Types].xml":
                target.writestr(entry.filename, types)
            else:
                target.writestr(entry.filename, source.read(entry))
    return output.getvalue()


# Damaged zip entries -------------------------------------------------------------------


def _headers(data: bytes, name: str) -> tuple[int, int, int]:
    """Offsets of `name`'s local header, its central directory header and its
    compressed data."""
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        local = archive.getinfo(name).header_offset
        position = archive.start_dir
    name_length, extra_length = struct.unpack("<HH", data[local + 26 : local + 30])
    start = local + 30 + name_length + extra_length
    while data[position : position + 4] == b"PK\x01\x02":
        lengths = struct.unpack("<HHH", data[position + 28 : position + 34])
        if data[position + 46 : position + 46 + lengths[0]] == name.encode():
            return local, position, start
        position += 46 + sum(lengths)
    raise KeyError(name)


def _patched(data: bytes, patches: list[tuple[int, bytes]]) -> bytes:
    buffer = bytearray(data)
    for offset, value in patches:
        buffer[offset : offset + len(value)] = value
    return bytes(buffer)


def encrypted_entry(data: bytes, name: str) -> bytes:
    """`name` flagged as encrypted (general-purpose bit 0), as a zip tool's
    password protection leaves it."""
    local, central, _ = _headers(data, name)
    flags = struct.unpack("<H", data[local + 6 : local + 8])[0] | 0x1
    return _patched(
        data, [(local + 6, struct.pack("<H", flags)), (central + 8, struct.pack("<H", flags))]
    )


def other_compression(data: bytes, name: str) -> bytes:
    """`name` stored with bzip2, which zipfile reads but Excel never writes."""
    output = io.BytesIO()
    with (
        zipfile.ZipFile(io.BytesIO(data)) as source,
        zipfile.ZipFile(output, "w", zipfile.ZIP_DEFLATED) as target,
    ):
        for entry in source.infolist():
            kind = zipfile.ZIP_BZIP2 if entry.filename == name else zipfile.ZIP_DEFLATED
            target.writestr(entry.filename, source.read(entry), compress_type=kind)
    return output.getvalue()


def corrupt_deflate(data: bytes, name: str) -> bytes:
    """`name`'s deflate stream starting with a block of the reserved type 3."""
    _, _, start = _headers(data, name)
    return _patched(data, [(start, b"\xff\xff\xff\xff")])


def bad_crc(data: bytes, name: str) -> bytes:
    local, central, _ = _headers(data, name)
    crc = struct.unpack("<I", data[central + 16 : central + 20])[0] ^ 0xFFFF
    return _patched(
        data, [(local + 14, struct.pack("<I", crc)), (central + 16, struct.pack("<I", crc))]
    )


def lying_size(data: bytes, name: str, delta: int) -> bytes:
    """`name` declaring `delta` more (or fewer) uncompressed bytes than it holds;
    its CRC stays that of the real content."""
    local, central, _ = _headers(data, name)
    size = struct.unpack("<I", data[central + 24 : central + 28])[0] + delta
    return _patched(
        data, [(local + 22, struct.pack("<I", size)), (central + 24, struct.pack("<I", size))]
    )


def page_breaks(data: bytes, title: str, count: int) -> bytes:
    """The sheet `title` with `count` row page breaks, an element openpyxl
    turns into an object each and that no other bound counts."""
    breaks = b'<rowBreaks count="%d" manualBreakCount="%d">%s</rowBreaks>' % (
        count,
        count,
        b'<brk id="1" max="16383" man="1"/>' * count,
    )
    return _with_sheet_xml(
        data, title, lambda xml: re.sub(rb"(</worksheet>)", breaks + rb"\1", xml, count=1)
    )
