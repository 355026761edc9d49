"""XML parts parsed with expat under defusedxml's rules (no DTD, no entities), stopping early."""

from __future__ import annotations

from xml.parsers import expat

from defusedxml import DefusedXmlException, DTDForbidden, EntitiesForbidden, ExternalReferenceForbidden

from .limits import CORRUPT, XML_FORBIDDEN, _reject


def _forbid_dtd(name, sysid, pubid, has_internal_subset):
    raise DTDForbidden(name, sysid, pubid)


def _forbid_entity(name, *args):
    raise EntitiesForbidden(name, None, None, None, None, None)


def _forbid_external(context, base, sysid, pubid):
    raise ExternalReferenceForbidden(context, base, sysid, pubid)


def defused_expat(start=None, end=None) -> expat.XMLParserType:
    """An expat parser that refuses DTDs, entity declarations and external references, as
    defusedxml's parsers do, calling `start(name, attrs)` straight from C (names as
    "namespace}local")."""
    parser = expat.ParserCreate(namespace_separator="}")
    parser.SetParamEntityParsing(expat.XML_PARAM_ENTITY_PARSING_NEVER)
    parser.StartDoctypeDeclHandler = _forbid_dtd
    parser.EntityDeclHandler = _forbid_entity
    parser.UnparsedEntityDeclHandler = _forbid_entity
    parser.ExternalEntityRefHandler = _forbid_external
    if start is not None:
        parser.StartElementHandler = start
    if end is not None:
        parser.EndElementHandler = end
    return parser


def _scan_part(chunks, scanner, *, keep: int = 0, per_element: bool = True) -> tuple[int, bytes | None]:
    """Consume the part's chunks (counting them); feed XML parts to their scanner.

    Returns (size, the part's bytes when `keep` > 0 and it is no larger, else None). With
    `per_element=False` the part is parsed whole under the same rules (no DTD, well-formed) but
    without calling the scanner per element: the caller scans the kept bytes itself.
    """
    size, kept = 0, [] if keep > 0 else None
    parser = None
    if scanner is not None:
        parser = defused_expat(scanner.start, getattr(scanner, "end", None)) if per_element else defused_expat(None)
    stopped = parser is None
    for chunk in chunks:
        size += len(chunk)
        if kept is not None:
            if size <= keep:
                kept.append(chunk)
            else:
                kept = None
        if stopped:
            continue
        try:
            parser.Parse(chunk, False)
        except _Stop:
            stopped = True
        except DefusedXmlException:
            raise _reject("xml_forbidden", XML_FORBIDDEN) from None
        except (expat.ExpatError, ValueError):
            raise _reject("corrupt", CORRUPT.format(detail="XMLの形式が正しくありません")) from None
    if not stopped:
        try:
            parser.Parse(b"", True)
        except _Stop:
            pass
        except (expat.ExpatError, ValueError):
            raise _reject("corrupt", CORRUPT.format(detail="XMLの形式が正しくありません")) from None
    return size, None if kept is None else b"".join(kept)


class _Stop(Exception):
    """Raised by a scanner that has seen enough."""


class _Prolog:
    """Stops at the root element: a DTD (the only place entities are declared) comes first.

    Why that is as strong as parsing the whole part, for what this scan is for (refusing DTDs,
    entity declarations and external references): XML 1.0 §2.8 allows the document type
    declaration only in the prolog, `prolog ::= XMLDecl? Misc* (doctypedecl Misc*)?`, before the
    root element; entities are declared only inside a DTD (§4.2), so a part whose prolog has no
    DTD declares none, and a reference to an undeclared entity can expand to nothing. expat reads
    the prolog as it comes, whatever its encoding (UTF-8, a BOM, UTF-16: it decodes before it
    tokenises), and calls the DOCTYPE handler (which refuses) as soon as it sees one, before any
    element; comments, processing instructions and whitespace before it change nothing, and a
    part that is all prolog has its DTD seen the same way (and is malformed without a root). A
    `<!DOCTYPE` after the root's start tag is not a DTD to any parser (expat calls it a syntax
    error; calamine's quick-xml declares no entities from it). tests/workbook/test_prolog_scan.py
    crafts these parts. The rest of the part is still decompressed and counted (zip bombs);
    worksheets and content.xml are parsed whole, as their cell scans need well-formed parts.
    """

    def start(self, tag, attrib):
        raise _Stop

    def area(self) -> int:
        return 0

    def cells(self) -> int:
        return 0

    def sheets(self) -> int:
        return 0

    def close(self):
        return None


class _SheetList(_Prolog):
    """The sheets xl/workbook.xml names: what calamine will try to open, parts or not."""

    def __init__(self):
        self.count = 0

    def start(self, tag, attrib):
        if tag.endswith("}sheet") or tag == "sheet":
            self.count += 1

    def sheets(self) -> int:
        return self.count


