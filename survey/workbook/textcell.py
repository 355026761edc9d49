"""Writing text that came from a user into an xlsxwriter worksheet, exactly as typed.

`write_string` already keeps "=…" as text, but xlsxwriter copies any string that starts with
"<r>" and ends with "</r>" into the file as raw rich-text XML (sharedstrings.py and the
constant-memory inline path), so a respondent could inject XML into the ministry's workbook.
Such text is written as a rich string of three runs instead, which xlsxwriter escapes.
"""


def write_text(ws, row: int, col: int, text: str, cell_format=None) -> None:
    """Write `text` as a plain text cell, whatever it contains."""
    if text.startswith("<r>") and text.endswith("</r>"):
        args = [text[:1], text[1:2], text[2:]]  # xlsxwriter wants more than two fragments
        if cell_format is not None:
            args.append(cell_format)
        ws.write_rich_string(row, col, *args)
    else:
        ws.write_string(row, col, text, cell_format)
