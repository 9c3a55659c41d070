"""Reading uploads and writing exports safely (formula-safe cells, known encodings)."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Iterator, Sequence
from typing import Any

FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r", "\n", "\x00", "|", "%")


def formula_safe(value: Any) -> Any:
    """Neutralise text a spreadsheet would run as a formula (OWASP CSV injection)."""
    if isinstance(value, str) and value.startswith(FORMULA_PREFIXES):
        # A negative number typed as text is data, not a formula.
        if value.startswith("-") and _is_number(value):
            return value
        return "'" + value
    return value


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def csv_bytes(header: Sequence[str], rows: Iterable[Sequence[Any]]) -> bytes:
    """A UTF-8 (with BOM, for Excel) CSV with every cell made formula-safe."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow([formula_safe(h) for h in header])
    for row in rows:
        writer.writerow(["" if v is None else formula_safe(v) for v in row])
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")


def xlsx_bytes(
    header: Sequence[str], rows: Iterable[Sequence[Any]], title: str = "Sheet1"
) -> bytes:
    """An XLSX workbook with every text cell stored as text, never as a formula."""
    from openpyxl import Workbook
    from openpyxl.cell.cell import TYPE_STRING

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(title=title[:31])
    sheet.append(list(header))
    for row in rows:
        cells = []
        for value in row:
            if isinstance(value, str):
                from openpyxl.cell import WriteOnlyCell

                cell = WriteOnlyCell(sheet, value=formula_safe(value))
                cell.data_type = TYPE_STRING
                cells.append(cell)
            else:
                cells.append(value)
        sheet.append(cells)
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


class UnreadableFile(ValueError):
    """The upload is not text in an encoding we accept."""


def decode_text(data: bytes) -> str:
    """Decode UTF-8 (with or without BOM) or Windows-1252; refuse anything else."""
    if data.startswith(b"\xef\xbb\xbf"):
        return data[3:].decode("utf-8")
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise UnreadableFile("utf16")
    if b"\x00" in data[:4096]:
        raise UnreadableFile("binary")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("cp1252")
    except UnicodeDecodeError as exc:
        raise UnreadableFile("encoding") from exc


# A workbook is a zip: refuse archives that would expand far beyond any real spreadsheet
# (zip bombs) before openpyxl inflates them. zipfile never yields more than a member's
# declared size, so checking the declared sizes is enough.
XLSX_MAX_UNCOMPRESSED_BYTES = 1024 * 1024 * 1024
XLSX_MAX_RATIO = 250
XLSX_RATIO_CHECK_FROM_BYTES = 16 * 1024 * 1024


def check_workbook_archive(source: Any, max_bytes: int | None = None) -> None:
    """Raise UnreadableFile("zip_bomb") for a workbook too large or too compressed to open.

    `source` is a path, bytes or a binary file; a file's position is restored afterwards.
    """
    import zipfile

    if max_bytes is None:
        max_bytes = _configured_max_uncompressed()
    if isinstance(source, bytes | bytearray):
        source = io.BytesIO(source)
    position = source.tell() if hasattr(source, "tell") else None
    try:
        with zipfile.ZipFile(source) as archive:
            total = 0
            for info in archive.infolist():
                total += info.file_size
                too_compressed = (
                    info.file_size > XLSX_RATIO_CHECK_FROM_BYTES
                    and info.file_size > XLSX_MAX_RATIO * max(info.compress_size, 1)
                )
                if total > max_bytes or too_compressed:
                    raise UnreadableFile("zip_bomb")
    except zipfile.BadZipFile as exc:
        raise UnreadableFile("workbook") from exc
    finally:
        if position is not None:
            source.seek(position)


def _configured_max_uncompressed() -> int:
    try:
        from flask import current_app

        return int(current_app.config.get("ENGAGE_MAX_XLSX_UNCOMPRESSED_BYTES",
                                          XLSX_MAX_UNCOMPRESSED_BYTES))
    except RuntimeError:  # outside an app context
        return XLSX_MAX_UNCOMPRESSED_BYTES


def read_csv_rows(data: bytes) -> Iterator[dict[str, str]]:
    """Rows of a CSV upload as dicts keyed by stripped header names."""
    text = decode_text(data)
    reader = csv.DictReader(io.StringIO(text, newline=""))
    if reader.fieldnames is not None:
        reader.fieldnames = [name.strip() for name in reader.fieldnames]
    for row in reader:
        yield {(k or "").strip(): (v.strip() if isinstance(v, str) else "") for k, v in row.items()}
