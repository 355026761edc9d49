"""Root conftest: makes the fixed cast of test users (tests/cast.py) available to every test."""
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent / "tests"))

pytest_plugins = ["cast"]
