"""An independent corpus of returned answer sheets, generated at test time (see build.py)."""
