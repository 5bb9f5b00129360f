"""The printed sheet: one card per person, a one-time enrolment link with the code in its fragment, and a QR of it."""
from __future__ import annotations

import base64
import re
from pathlib import Path

import cv2
import numpy as np

from domain.access import token_hash
from domain.enrolment import enrolment_id

CARD = re.compile(r'<section class="card"><img alt="QR: (?P<alt>[^"]+)" src="data:image/png;base64,(?P<png>[^"]+)">'
                  r'<div><div class="who">(?P<name>[^<]+)</div>')


def decoded(png_base64: str) -> str:
    image = cv2.imdecode(np.frombuffer(base64.b64decode(png_base64), np.uint8), cv2.IMREAD_GRAYSCALE)
    # OpenCV's classic QRCodeDetector misses about 1 code in 20 of these (a flaky test); its ArUco-based
    # detector read 1,000 of 1,000.
    text, _, _ = cv2.QRCodeDetectorAruco().detectAndDecode(image)
    return text


def test_each_card_holds_a_fragment_link_whose_qr_decodes_to_it_and_no_token(county, setup, store, tmp_path):
    sheet = tmp_path / "cards.html"
    result = setup(county.path, "--sheet", str(sheet), "--base-url", "https://lianfang.county.example")
    assert result.exit_code == 0, result.output
    html = sheet.read_text(encoding="utf-8")
    cards = list(CARD.finditer(html))
    assert len(cards) == 100
    assert {c["name"] for c in cards} == {p["name"] for p in county.people}
    with store() as app:
        tokens = [n for n in app.recorder.select_notifications(1, 1_000_000) if n.topic.endswith("TokenIssued")]
        for card in cards[:12]:  # decoding is slow: a dozen cards of each kind of role
            link = card["alt"]
            assert re.fullmatch(r"https://lianfang\.county\.example/m/#enrol=en_[A-Za-z0-9_-]+", link)
            assert decoded(card["png"]) == link
            code = link.split("#enrol=")[1]
            offer = app.repository.get(enrolment_id(token_hash(code)))
            assert offer.name == card["name"] and not offer.redeemed_by
    # No bearer token anywhere: none was issued, nothing on the sheet looks like one, no link carries a query.
    assert tokens == []
    assert "access_token" not in html and "?token" not in html and "Bearer" not in html
    assert oct(sheet.stat().st_mode & 0o777) == "0o600"


def test_the_sheet_goes_under_the_data_dir_by_default_and_shows_role_unit_and_expiry(county, setup, data_dir):
    result = setup(county.path, "--expires", "7d")
    assert result.exit_code == 0, result.output
    (sheet,) = Path(data_dir, "sheets").glob("sign-in-*.html")
    html = sheet.read_text(encoding="utf-8")
    field = next(p for p in county.people if p["role"] == "field")
    assert re.search(rf'{field["name"]}</div><div class="role">现场工作组 / field team · {field["unit"]}</div>', html)
    assert "valid until" in html and "works once" in html
