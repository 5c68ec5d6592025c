"""A QR code of a short link, as SVG (segno: pure Python), sized to be scanned from the back of a room."""

from __future__ import annotations


def qr_svg(text: str, scale: int = 8, border: int = 2) -> str:
    """The QR code of `text` as an SVG document (dark modules on white, `scale` px a module)."""
    import io

    import segno

    out = io.BytesIO()
    segno.make(text, error="m", micro=False).save(out, kind="svg", xmldecl=False, svgns=True, scale=scale,
                                                  border=border, dark="#000", light="#fff")
    return out.getvalue().decode()


def qr_png(text: str, scale: int = 8, border: int = 2) -> bytes:
    """The same code as PNG bytes (what a test decodes)."""
    import io

    import segno

    out = io.BytesIO()
    segno.make(text, error="m", micro=False).save(out, kind="png", scale=scale, border=border)
    return out.getvalue()
