"""The printable sheet of sign-in cards: per person a one-time enrolment link (the code in its fragment) and its QR."""
from __future__ import annotations

import os
from html import escape
from pathlib import Path
from typing import TYPE_CHECKING

import segno

if TYPE_CHECKING:
    from api.setup_apply import Card

ROLE_NAMES = {"commander": ("指挥员", "commander"), "unit": ("责任单位", "unit"), "field": ("现场工作组", "field team"),
              "observer": ("观察员", "observer")}

STYLE = """
body { font-family: "Noto Sans CJK SC", "Source Han Sans SC", sans-serif; margin: 12mm; color: #111; }
h1 { font-size: 16pt; margin: 0 0 4mm; } p.note { font-size: 9pt; margin: 0 0 6mm; }
.cards { display: grid; grid-template-columns: repeat(2, 1fr); gap: 6mm; }
.card { border: 1px solid #444; border-radius: 3mm; padding: 4mm; break-inside: avoid; display: flex; gap: 4mm; }
.card img { width: 38mm; height: 38mm; image-rendering: pixelated; }
.who { font-size: 14pt; font-weight: bold; } .role, .until { font-size: 10pt; margin: 1mm 0; }
.link { font-family: monospace; font-size: 7pt; word-break: break-all; margin-top: 2mm; }
@media print { body { margin: 8mm; } }
"""


def link_of(card: Card, base_url: str) -> str:
    return card.enrolment.link(base_url, phone=True)


def qr_data_uri(link: str) -> str:
    """The link as a QR code (PNG), made by segno."""
    return segno.make(link, error="m").png_data_uri(scale=6, border=4)


def sheet_html(county: str, cards: list[Card], base_url: str) -> str:
    rendered = []
    for card in cards:
        link = link_of(card, base_url)
        zh, en = ROLE_NAMES.get(card.role, (card.role, card.role))
        until = card.enrolment.expires_at.isoformat(timespec="minutes")
        rendered.append(
            f'<section class="card"><img alt="QR: {escape(link)}" src="{qr_data_uri(link)}">'
            f'<div><div class="who">{escape(card.name)}</div>'
            f'<div class="role">{zh} / {en}{" · " + escape(card.unit) if card.unit else ""}</div>'
            f'<div class="until">有效至 valid until {until}（仅可使用一次 / works once）</div>'
            f'<div class="link">{escape(link)}</div></div></section>')
    return (f'<!doctype html><html lang="zh-CN"><head><meta charset="utf-8"><title>{escape(county)} 登录卡</title>'
            f"<style>{STYLE}</style></head><body><h1>{escape(county)} · 联防 Lianfang 登录卡 / sign-in cards</h1>"
            '<p class="note">用手机扫描二维码登录；每张卡只能使用一次，过期作废。Scan with the phone to sign in; each card '
            "works once, until it expires. Hand each card to its person only, and destroy this sheet when done.</p>"
            f'<div class="cards">{"".join(rendered)}</div></body></html>')


def write_sheet(path: Path, county: str, cards: list[Card], base_url: str) -> Path:
    """Written readable by its owner only: the codes on it are one-time keys."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(sheet_html(county, cards, base_url))
    return path
