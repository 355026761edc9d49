"""Reading a definition: from its dict form (TOML, or the JSON the database stores) or a file.

Apart from definition.py so that the types import neither the reader nor the checks.
"""
from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any

from .definition import Definition
from .serial import build_definition
from .structure import check_definition


def definition_from_dict(data: dict[str, Any]) -> Definition:
    """Build and check a definition from its dict form; `definition_from_dict(definition_to_dict(d)) == d`."""
    defn = build_definition(data)
    check_definition(defn)
    return defn


def load_definition(path: str | Path) -> Definition:
    """Read and check a definition file (TOML)."""
    with open(path, "rb") as fh:
        return definition_from_dict(tomllib.load(fh))
