"""Keycloak's login page in Chinese renders with the project's web font, served by Keycloak itself: the
realm's ``newform`` login theme (keycloak.v2 plus Noto Sans SC; newform_local/keycloak_theme.py), so a
kiosk or a desktop without a CJK font shows 登录, not boxes (this machine has no CJK font either)."""

from __future__ import annotations

import re
from urllib.parse import urljoin

import httpx
from playwright.async_api import async_playwright

from newform_local.keycloak_theme import install_theme

from ..kit.browser import CHROMIUM, CHROMIUM_ARGS
from ..kit.idp import DEFAULT_REDIRECT, TestKeycloak
from ..kit.workers_app import PHONE, SCREENSHOTS

_FACE = re.compile(r"@font-face\s*{([^}]*)}")


def faces(css: str) -> list[dict[str, str]]:
    """The @font-face rules of a stylesheet, each as its declarations."""
    return [
        {k.strip(): v.strip() for k, v in (d.split(":", 1) for d in body.split(";") if ":" in d)}
        for body in _FACE.findall(css)
    ]


def covers(unicode_range: str, char: str) -> bool:
    for part in unicode_range.split(","):
        low, _, high = part.strip().removeprefix("U+").partition("-")
        if int(low, 16) <= ord(char) <= int(high or low, 16):
            return True
    return False


def test_the_chinese_login_page_links_the_font_and_keycloak_serves_its_faces_and_files(keycloak: TestKeycloak):
    page = keycloak.authorization_page(DEFAULT_REDIRECT)
    assert page.status_code == 200 and 'lang="zh-CN"' in page.text and "登录" in page.text
    links = re.findall(r'<link href="([^"]+)" rel="stylesheet"', page.text)
    ours = [link for link in links if link.endswith("/login/newform/css/newform.css")]
    assert ours, links
    assert any(link.endswith("/login/newform/css/styles.css") for link in links)  # keycloak.v2's own, kept
    css_url = urljoin(page.url.__str__(), ours[0])
    css = httpx.get(css_url, timeout=30)
    assert css.status_code == 200 and css.headers["content-type"].startswith("text/css")
    rules = faces(css.text)
    assert {r["font-family"] for r in rules} == {"'Noto Sans SC'"}
    assert {r["font-weight"] for r in rules} == {"400", "700"}
    assert '--pf-v5-global--FontFamily--text: "RedHatText", "Noto Sans SC"' in css.text
    # Every character of the page's title and button has a regular face, and Keycloak serves its woff2.
    for char in "登录新就业形态劳动者权益服务用户名密码":
        (face,) = [r for r in rules if r["font-weight"] == "400" and covers(r["unicode-range"], char)]
        font_url = urljoin(css_url, re.fullmatch(r"url\(([^)]+)\) format\('woff2'\)", face["src"]).group(1))
        font = httpx.get(font_url, timeout=30)
        assert font.status_code == 200 and font.content[:4] == b"wOF2", (char, font_url)


def test_the_theme_folder_names_keycloak_v2_as_parent_and_keeps_its_styles(tmp_path):
    login = install_theme(tmp_path)
    properties = dict(
        line.split("=", 1) for line in (login / "theme.properties").read_text().splitlines() if "=" in line
    )
    assert properties["parent"] == "keycloak.v2"
    assert properties["styles"].split() == ["css/styles.css", "css/newform.css"]
    names = {
        r["src"].split("../fonts/")[1].split(")")[0] for r in faces((login / "resources/css/newform.css").read_text())
    }
    assert names and all((login / "resources" / "fonts" / n).stat().st_size > 0 for n in names)
    assert install_theme(tmp_path) == login  # a second start over the same home


async def test_a_360px_phone_renders_the_login_page_with_the_served_font(keycloak: TestKeycloak):
    async with async_playwright() as p:
        browser = await p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            page = await browser.new_page(viewport=PHONE, locale="zh-CN", is_mobile=True, has_touch=True)
            await page.goto(str(keycloak.authorization_page(DEFAULT_REDIRECT).url))
            await page.locator("#kc-form-login").wait_for()
            await page.evaluate("document.fonts.ready")
            # The browser fetched a Noto Sans SC face from Keycloak and uses it for the page's Chinese.
            loaded = await page.evaluate(
                "[...document.fonts].filter(f => f.family.includes('Noto Sans SC') && f.status === 'loaded').length"
            )
            assert loaded > 0
            assert await page.evaluate("document.fonts.check('16px \"Noto Sans SC\"', '登录')")
            family = await page.locator("#kc-login").evaluate("e => getComputedStyle(e).fontFamily")
            assert "Noto Sans SC" in family
            SCREENSHOTS.mkdir(parents=True, exist_ok=True)
            await page.screenshot(path=str(SCREENSHOTS / "keycloak-login-360.png"), full_page=True)
        finally:
            await browser.close()
