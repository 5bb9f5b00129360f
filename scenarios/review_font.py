"""The report's own CJK font: Noto Sans SC from a PyPI package, so a report reads on a machine with no CJK font.

The plots keep their words as SVG text; the HTML embeds a WOFF2 subset of the font holding exactly the
characters the report uses, so the browser that opens it draws them whatever fonts that machine has.
"""
from __future__ import annotations

import base64
import io
from functools import cache

import pylopdf_fonts_zh_cn
from fontTools import subset
from fontTools.ttLib import TTFont

FONT_FILE = pylopdf_fonts_zh_cn.sans_path()  # Noto Sans SC Regular (SIL Open Font License 1.1)
FAMILY = "Lianfang Noto Sans SC"  # the embedded face's own name: never a font the machine may have
ALWAYS = "".join(chr(c) for c in range(0x20, 0x7F)) + "—·、，。：；（）「」〔〕×→%"


@cache
def family_name() -> str:
    """The family name the font file gives itself (what matplotlib calls it)."""
    return TTFont(FONT_FILE, lazy=True)["name"].getBestFamilyName()


def woff2_subset(text: str) -> bytes:
    """The font cut down to the characters of `text` (and printable ASCII), as WOFF2."""
    options = subset.Options()
    options.flavor = "woff2"
    options.layout_features = ["*"]
    options.name_IDs = ["*"]
    options.notdef_outline = True
    font = subset.load_font(str(FONT_FILE), options)
    subsetter = subset.Subsetter(options)
    subsetter.populate(text=ALWAYS + "".join(sorted(set(text))))
    subsetter.subset(font)
    out = io.BytesIO()
    subset.save_font(font, out, options)
    return out.getvalue()


def font_face(text: str) -> str:
    """An @font-face rule naming FAMILY, with the subset for `text` inline."""
    data = base64.b64encode(woff2_subset(text)).decode("ascii")
    return (f'@font-face {{ font-family: "{FAMILY}"; font-style: normal; font-weight: 400; '
            f'src: url(data:font/woff2;base64,{data}) format("woff2"); }}')
