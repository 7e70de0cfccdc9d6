"""``check`` opens every picture a letter may print, so that a broken one is found before a
batch goes out, never as alt text in a sent PDF.

Raster files are decoded with Pillow; SVG files are parsed (without network or entities), and
the images they embed (``data:`` URIs or files beside them) are decoded in turn. Font files
that a workspace or club names are opened too.
"""

from __future__ import annotations

import base64
import binascii
import io
import warnings
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

from lxml import etree
from PIL import Image, UnidentifiedImageError

from lettersmith.confine import MAX_ASSET, LinkedFileError, RefusedFileError, check_size
from lettersmith.errors import relative
from lettersmith.model import Workspace
from lettersmith.translate import N_, _

IMAGE_SUFFIXES = {".png", ".jpg", ".jpeg", ".gif", ".bmp", ".webp", ".tif", ".tiff", ".svg"}
MAX_PIXELS = 50_000_000  # a logo or signature is far smaller; more is a decompression bomb
_XLINK = "{http://www.w3.org/1999/xlink}href"


def image_problems(views: Iterable[Workspace]) -> list[str]:
    """``FILE: cannot read this image: <reason>`` for each unreadable picture or font that
    the workspace and its clubs name or keep in their assets folders."""
    views = list(views)
    root = views[0].root
    files: dict[Path, str] = {}  # path -> "image" or "font"
    for view in views:
        org = view.organisation
        for path in (org.logo, *(s.signature for s in view.signatories.values())):
            if path is not None:
                files.setdefault(path, N_("image"))
                if path.suffix.lower() == ".svg" and path.with_suffix(".png").is_file():
                    files.setdefault(path.with_suffix(".png"), N_("image"))  # the DOCX's copy
        if org.font is not None:
            files.setdefault(org.font, N_("font"))
    for folder in (root / "assets", *sorted((root / "clubs").glob("*/assets"))):
        for path in _files(folder):
            if path.suffix.lower() in IMAGE_SUFFIXES:
                files.setdefault(path, N_("image"))
    problems = []
    for path, kind in sorted(files.items()):
        try:  # a club's file with a second name (a hard link): build and send refuse it
            check_size(path, MAX_ASSET, relative(path, root), kind, root=root)
        except LinkedFileError as error:
            problems.append(str(error))
            continue
        except (OSError, RefusedFileError):
            pass  # too large or unreadable: told where it is used, or just below
        reason = _font_problem(path) if kind == "font" else _image_problem(path)
        if reason:
            problems.append(
                _("{path}: cannot read this {kind}: {reason}").format(
                    path=relative(path, root), kind=kind, reason=reason
                )
            )
    return problems


def _files(folder: Path) -> Iterator[Path]:
    if folder.is_dir():
        yield from (path for path in sorted(folder.rglob("*")) if path.is_file())


def _image_problem(path: Path) -> str | None:
    try:
        data = path.read_bytes()
    except OSError as err:
        return err.strerror or str(err)
    if path.suffix.lower() == ".svg" or data.lstrip()[:5] in (b"<?xml", b"<svg ", b"<svg>"):
        return _svg_problem(data, path.parent)
    return _raster_problem(data)


def _raster_problem(data: bytes) -> str | None:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data)) as image:
                if image.width * image.height > MAX_PIXELS:
                    return _("{width} x {height} pixels is too large; save it smaller").format(
                        width=image.width, height=image.height
                    )
                image.load()
    except UnidentifiedImageError:
        return _("not a picture format lettersmith knows; save it as PNG or JPEG")
    except (OSError, ValueError, SyntaxError, Image.DecompressionBombWarning,
            Image.DecompressionBombError) as err:  # fmt: skip
        return _("{err}; save it again as PNG or JPEG").format(err=err)
    return None


def _svg_problem(data: bytes, folder: Path) -> str | None:
    parser = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=False)
    try:
        svg = etree.fromstring(data, parser)
    except etree.XMLSyntaxError as err:
        return _("not a valid SVG file ({err})").format(err=err)
    if etree.QName(svg).localname != "svg":
        return _("not an SVG file (its first element is not <svg>)")
    for element in svg.iter("{*}image"):
        href = element.get("href") or element.get(_XLINK) or ""
        reason = _embedded_problem(href, folder)
        if reason:
            return _("its image {image}: {reason}").format(image=_short(href), reason=reason)
    return None


def svg_files(path: Path) -> list[Path]:
    """The files an SVG picture shows from beside it (its ``<image>`` and ``<use>``
    elements), as the PDF draws them; none when it cannot be read."""
    parser = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=False)
    try:
        svg = etree.fromstring(path.read_bytes(), parser)
    except (OSError, etree.XMLSyntaxError):
        return []
    found = []
    for element in (*svg.iter("{*}image"), *svg.iter("{*}use")):
        href = element.get("href") or element.get(_XLINK) or ""
        parts = urlsplit(href)
        if parts.path and not (href.startswith("data:") or parts.scheme or parts.netloc):
            found.append((path.parent / unquote(parts.path)).resolve())
    return sorted(set(found))


def _embedded_problem(href: str, folder: Path) -> str | None:
    if href.startswith("data:"):
        header, _comma, payload = href.partition(",")
        try:
            data = (
                base64.b64decode(payload, validate=False)
                if header.endswith(";base64")
                else unquote(payload).encode()
            )
        except (binascii.Error, ValueError) as err:
            return _("cannot be decoded ({err})").format(err=err)
        return _raster_problem(data) if not header.startswith("data:image/svg") else None
    parts = urlsplit(href)
    if parts.scheme or parts.netloc:
        return _("not a file beside the SVG; lettersmith reads no other files")
    target = (folder / unquote(parts.path)).resolve()
    if not target.is_file():
        return _("the file is missing")
    return _image_problem(target)


def _short(href: str) -> str:
    return f"'{href[:40]}...'" if len(href) > 40 else f"'{href}'"


# The letters a font must draw as letters: a font whose "e" is blank or a speck shows the
# statement's words in its text layer while a reader sees gaps. (A font that draws another
# letter's shape under a letter cannot be told from an ordinary design: it is left alone.)
LETTERS = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
MIN_LETTER = 0.2  # of the em: the least height of a letter's shape (an "x" is about a half)


def _font_problem(path: Path) -> str | None:
    from fontTools.ttLib import TTFont, TTLibError  # noqa: PLC0415 -- only for a named font

    try:
        with TTFont(path, lazy=True) as font:
            font["name"].getBestFamilyName()
            return unreadable_letters(font)
    except (OSError, TTLibError, KeyError, AssertionError, ValueError) as err:
        return _("{err}; use a .ttf or .otf file").format(err=err or _("not a font file"))


def unreadable_letters(font: Any) -> str | None:
    """Why a reader could not read the letters a font (a fontTools ``TTFont``) draws, if so:
    some are blank or a speck. Build refuses such a font too (``render.style``)."""
    from fontTools.pens.boundsPen import BoundsPen  # noqa: PLC0415 -- only for a named font

    cmap = font["cmap"].getBestCmap()
    glyphs, em = font.getGlyphSet(), font["head"].unitsPerEm
    blank = []
    for letter in LETTERS:
        if ord(letter) not in cmap:
            continue  # another font draws it
        pen = BoundsPen(glyphs)
        glyphs[cmap[ord(letter)]].draw(pen)
        if pen.bounds is None or pen.bounds[3] - pen.bounds[1] < MIN_LETTER * em:
            blank.append(letter)
    if not blank:
        return None
    return _(
        "it draws the letters {names} blank or too small to read, so a reader "
        "would not see the words the letter holds; use the font as its maker "
        "made it"
    ).format(names=" ".join(blank[:10]))
