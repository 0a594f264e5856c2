"""The dashboard renders Chinese on a machine without any CJK font: the gateway serves Noto Sans SC in
unicode-range slices (newform_common.fonts) and the page loads only the slices it uses. Checked in a
real headless Chromium whose fontconfig sees no system CJK font, by comparing screenshots."""

from __future__ import annotations

from pathlib import Path

import httpx
from playwright.async_api import async_playwright

from newform_common.fonts import font_dir
from newform_common.testing import TokenFactory, unique_name
from newform_gateway.main import create_app
from newform_local.ports import free_port

from ..kit.browser import CHROMIUM, CHROMIUM_ARGS
from ..kit.gateway import gateway_settings, migrated_database
from ..kit.loopback import LoopbackServer

SAMPLES = ("总览预警", "平台劳动")  # two different strings: as missing-glyph boxes they would look alike


def latin_only_fontconfig(tmp_path: Path) -> dict[str, str]:
    """An environment whose fontconfig knows only Latin fonts, whatever the machine has installed."""
    conf = tmp_path / "fonts.conf"
    latin = ("/usr/share/fonts/truetype/dejavu", "/usr/share/fonts/truetype/liberation")
    dirs = "".join(f"<dir>{d}</dir>" for d in latin if Path(d).is_dir())
    conf.write_text(
        f'<?xml version="1.0"?><!DOCTYPE fontconfig SYSTEM "fonts.dtd"><fontconfig>{dirs}'
        f"<cachedir>{tmp_path / 'fc-cache'}</cachedir></fontconfig>"
    )
    return {"FONTCONFIG_FILE": str(conf), "HOME": str(tmp_path)}


async def shot(page, family: str, text: str) -> bytes:
    await page.evaluate(
        """([family, text]) => {
        const probe = document.getElementById('probe') || document.body.appendChild(document.createElement('span'));
        probe.id = 'probe'; probe.style.cssText = `font-family: ${family}; font-size: 48px; background: #fff`;
        probe.textContent = text;
    }""",
        [family, text],
    )
    await page.evaluate("document.fonts.ready")
    await page.wait_for_function("document.fonts.status === 'loaded'")
    return await page.locator("#probe").screenshot()


async def test_chinese_renders_with_the_served_font_and_without_system_cjk_fonts(new_database, kafka, tmp_path):
    assert font_dir() is not None, "Noto Sans SC is missing: `make tools` (npm ci) fetches it"
    tokens = TokenFactory.generate()
    prefix = unique_name("gwf").replace("_", "")
    url = await migrated_database(new_database)
    settings = gateway_settings(prefix, url, kafka.bootstrap_servers, tokens.public_pem, run_deliverer=False)
    async with LoopbackServer(create_app(settings), free_port()) as server, async_playwright() as p:
        browser = await p.chromium.launch(
            executable_path=CHROMIUM, args=CHROMIUM_ARGS, env=latin_only_fontconfig(tmp_path)
        )
        try:
            page = await browser.new_page()
            slices: list[str] = []
            page.on("requestfinished", lambda r: slices.append(r.url) if r.url.endswith(".woff2") else None)
            await page.goto(f"{server.url}/signin")
            await page.evaluate("document.fonts.ready")
            await page.screenshot(path=str(tmp_path / "signin.png"))
            assert await page.evaluate("""() => document.fonts.check('16px "Noto Sans SC"', '登录')""")
            for element in ("h1", "#signin-submit"):  # headings and form controls alike
                family = await page.locator(element).evaluate("e => getComputedStyle(e).fontFamily")
                assert family.startswith('"Noto Sans SC"'), (element, family)

            # Without the served font (a family nobody has) Chinese is the same box for every
            # character: the two samples look alike. So no system font can make the next check pass.
            boxes = [await shot(page, "nonexistent-family-xyz", s) for s in SAMPLES]
            assert boxes[0] == boxes[1]
            glyphs = [await shot(page, "'Noto Sans SC'", s) for s in SAMPLES]
            assert glyphs[0] != glyphs[1] and glyphs[0] != boxes[0]
        finally:
            await browser.close()
        async with httpx.AsyncClient(base_url=server.url) as http:
            assert (await http.get("/fonts/noto-sans-sc/400.css")).status_code == 404  # slices only
            woff2 = await http.get(slices[0].removeprefix(server.url))
            assert woff2.headers["content-type"] == "font/woff2" and "immutable" in woff2.headers["cache-control"]
    assert slices and all(f"{server.url}/fonts/noto-sans-sc/" in u for u in slices)
    assert len(set(slices)) < 20  # only the unicode-range slices the page's characters need, of ~100


async def test_every_services_front_page_uses_the_same_served_font(new_database, kafka, tmp_path):
    """The font serving is libs/common's: every service has it, and the front page that sends workers on
    to their app (training's, here) renders its Chinese with it on a machine without a CJK font."""
    from newform_common.testing import migrated_database as migrated
    from newform_training.config import Settings as TrainingSettings
    from newform_training.main import create_app as create_training_app

    tokens = TokenFactory.generate()
    prefix = unique_name("tsf").replace("_", "")
    url = await migrated(new_database, "training")
    settings = TrainingSettings(
        service_name=f"{prefix}-training",
        database_url=url,
        kafka_bootstrap_servers=kafka.bootstrap_servers,
        jwt_public_key=tokens.public_pem,
        consumer_group_prefix=f"{prefix}-training",
        run_consumers=False,
    )
    async with LoopbackServer(create_training_app(settings), free_port()) as server, async_playwright() as p:
        browser = await p.chromium.launch(
            executable_path=CHROMIUM, args=CHROMIUM_ARGS, env=latin_only_fontconfig(tmp_path)
        )
        try:
            page = await browser.new_page()
            slices: list[str] = []
            page.on("requestfinished", lambda r: slices.append(r.url) if r.url.endswith(".woff2") else None)
            await page.goto(f"{server.url}/")
            await page.evaluate("document.fonts.ready")
            await page.screenshot(path=str(tmp_path / "front.png"))
            assert await page.evaluate("""() => document.fonts.check('16px "Noto Sans SC"', '劳动者请进入')""")
            family = await page.locator("#worker-app").evaluate("e => getComputedStyle(e).fontFamily")
            assert family.startswith('"Noto Sans SC"')
        finally:
            await browser.close()
    assert slices and all(u.startswith(f"{server.url}/fonts/noto-sans-sc/") for u in slices)
