"""The ``newform`` login theme: Keycloak's own (``keycloak.v2``) with the project's Chinese web font.

Keycloak's login page names Red Hat's fonts, which hold no Chinese: on a machine without a CJK font (a
kiosk, a government desktop, this one) the zh-CN login page renders as boxes. The theme adds one
stylesheet, ``css/newform.css``: the Noto Sans SC ``@font-face`` rules of the weights the services serve
(``newform_common.fonts``: npm's ``@fontsource/noto-sans-sc``), pointing at the woff2 slices copied
beside it (``fonts/``; each slice covers a ``unicode-range``, so a browser fetches only those holding the
page's characters), and PatternFly's font variables with Noto Sans SC after Red Hat's (Latin keeps
Keycloak's look, Chinese falls to Noto). Nothing is fetched from outside (offline networks).

:func:`install_theme` writes it under a Keycloak home's ``themes/`` (``LocalKeycloak._prepare_home``);
the realm names it (``loginTheme``, keycloak_realm.py). A child theme's ``styles`` replaces its parent's,
so it lists keycloak.v2's ``css/styles.css`` first (resources are looked up through the parents).
Without the font package (no ``npm ci``) the stylesheet only says so: system fonts apply, as before.
"""

from __future__ import annotations

import logging
import os
import re
import shutil
from pathlib import Path

from newform_common.fonts import FAMILY, WEIGHTS, font_dir

log = logging.getLogger(__name__)

THEME = "newform"
PARENT = "keycloak.v2"
STYLESHEET = "css/newform.css"
FONTS = "fonts"
#: A @font-face's sources in the package's CSS: the woff2 (kept) and the woff fallback (dropped).
_SOURCES = re.compile(r"src: url\(\./files/([^)]+\.woff2)\) format\('woff2'\)(, url\([^)]+\) format\('woff'\))?;")
#: PatternFly 5's font variables (keycloak.v2's login page): Red Hat's fonts, then Noto Sans SC for Chinese.
FAMILIES = {
    "text": '"RedHatText"',
    "text--vf": '"RedHatTextVF", "RedHatText"',
    "heading": '"RedHatDisplay"',
    "heading--vf": '"RedHatDisplayVF", "RedHatDisplay"',
}
FALLBACK = f'"{FAMILY}", "PingFang SC", "Microsoft YaHei", helvetica, arial, sans-serif'


def theme_properties() -> str:
    return (
        f"# newform: Keycloak's login theme with the Chinese web font ({FAMILY}); see keycloak_theme.py.\n"
        f"parent={PARENT}\n"
        f"import=common/keycloak\n"
        f"styles=css/styles.css {STYLESHEET}\n"
    )


def font_faces(directory: Path) -> tuple[str, list[str]]:
    """The @font-face rules of the served weights, woff2 only, with URLs relative to css/ → fonts/; and
    the files they name."""
    names: list[str] = []

    def woff2_only(match: re.Match[str]) -> str:
        names.append(match.group(1))
        return f"src: url(../{FONTS}/{match.group(1)}) format('woff2');"

    css = "".join(_SOURCES.sub(woff2_only, (directory / f"{w}.css").read_text()) for w in WEIGHTS)
    return css, names


def stylesheet(faces: str) -> str:
    variables = "".join(f"  --pf-v5-global--FontFamily--{k}: {v}, {FALLBACK};\n" for k, v in FAMILIES.items())
    return (
        f"/* newform: {FAMILY} (SIL Open Font License), served by Keycloak itself; see keycloak_theme.py. */\n"
        f"{faces}\n:root,\n:root body {{\n{variables}}}\n"
        "input, button, select, textarea {\n  font-family: inherit;\n}\n"
    )


def _place(source: Path, target: Path) -> None:
    """A hard link where the folders share a file system (no copy of 7 MB per server), else a copy; an
    unchanged file is left alone. Keycloak serves only files inside the theme's folder (no symlinks out)."""
    if target.exists() and target.stat().st_size == source.stat().st_size:
        return
    target.unlink(missing_ok=True)
    try:
        os.link(source, target)
    except OSError:
        shutil.copyfile(source, target)


def install_theme(themes_dir: Path) -> Path:
    """Write the theme into ``themes_dir/newform/login/`` (idempotent); its folder."""
    login = themes_dir / THEME / "login"
    resources = login / "resources"
    (resources / "css").mkdir(parents=True, exist_ok=True)
    (resources / FONTS).mkdir(parents=True, exist_ok=True)
    (login / "theme.properties").write_text(theme_properties())
    directory = font_dir()
    if directory is None:
        log.warning("%s is not installed (npm ci): Keycloak's login page uses the system's fonts", FAMILY)
        faces = f"/* {FAMILY} is not installed here (npm ci, or NEWFORM_FONT_DIR): system fonts apply */\n"
    else:
        faces, names = font_faces(directory)
        for name in names:
            _place(directory / "files" / name, resources / FONTS / name)
        if (directory / "LICENSE").exists():  # the OFL travels with the font
            _place(directory / "LICENSE", resources / FONTS / "LICENSE")
    (resources / STYLESHEET).write_text(stylesheet(faces))
    return login
