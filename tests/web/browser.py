"""Headless Chromium (Debian's chromium and chromium-driver) driven by Selenium, and axe-core from npm.

Like the PostgreSQL and Synapse tests: in CI (`CI` set) a missing browser or axe-core fails the run;
elsewhere those tests are skipped with the reason. Nothing is downloaded at run time but axe-core, once,
by npm into a cache directory (IDEAROOM_TEST_CACHE, default ~/.cache/idearoom-tests).
"""

from __future__ import annotations

import asyncio
import os
import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

CHROMIUM = ("chromium", "chromium-browser", "google-chrome")
AXE_VERSION = "4"
SERIOUS = {"serious", "critical"}


def unavailable(reason: str) -> None:
    if os.environ.get("CI"):
        pytest.fail(f"{reason}; CI must run the browser tests (.ci/run installs chromium and chromium-driver)")
    pytest.skip(f"{reason} (required, and never skipped, in CI)")


def start_chromium() -> Any:
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    binary = next((path for name in CHROMIUM if (path := shutil.which(name))), None)
    driver = shutil.which("chromedriver")
    if binary is None or driver is None:
        unavailable("headless Chromium or its driver is not installed (apt-get install chromium chromium-driver)")
    options = webdriver.ChromeOptions()
    options.binary_location = binary  # type: ignore[assignment]
    for argument in (
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-dev-shm-usage",
        "--window-size=1280,1000",
        "--lang=ko-KR",
    ):
        options.add_argument(argument)
    return webdriver.Chrome(options=options, service=Service(executable_path=driver))


def axe_source() -> str:
    """axe-core's script, installed by npm into the cache once."""
    cache = Path(os.environ.get("IDEAROOM_TEST_CACHE", Path.home() / ".cache" / "idearoom-tests")) / "axe"
    script = cache / "node_modules" / "axe-core" / "axe.min.js"
    if not script.is_file():
        npm = shutil.which("npm")
        if npm is None:
            unavailable("npm is not installed, so axe-core cannot be installed")
        cache.mkdir(parents=True, exist_ok=True)
        done = subprocess.run(
            [npm, "install", "--no-audit", "--no-fund", "--prefix", str(cache), f"axe-core@{AXE_VERSION}"],
            capture_output=True,
            text=True,
            timeout=300,
        )
        if done.returncode != 0 or not script.is_file():
            unavailable(f"npm could not install axe-core: {done.stderr[-500:]}")
    return script.read_text(encoding="utf-8")


class Chrome:
    """The blocking WebDriver, called from a thread so the bot's server keeps answering in the test's loop."""

    def __init__(self, driver: Any, axe: str, base_url: str = "") -> None:
        self.driver = driver
        self.axe = axe
        self.base_url = base_url

    async def run(self, step: Callable[[Any], Any]) -> Any:
        return await asyncio.to_thread(step, self.driver)

    async def open(self, url: str) -> str:
        """Open a page (a path on the bot's server, or a whole URL); returns its visible text."""
        target = url if url.startswith("http") else self.base_url + url
        await self.run(lambda d: d.get(target))
        return await self.text()

    async def text(self) -> str:
        from selenium.webdriver.common.by import By

        return str(await self.run(lambda d: d.find_element(By.TAG_NAME, "body").text))

    async def click(self, css: str) -> str:
        """Press a form's button (CSS, or XPath from `//`) and wait for the page it leads to; returns its text."""
        from selenium.webdriver.common.by import By
        from selenium.webdriver.support import expected_conditions
        from selenium.webdriver.support.wait import WebDriverWait

        def press(d: Any) -> None:
            old = d.find_element(By.TAG_NAME, "html")
            d.find_element(By.XPATH if css.startswith("//") else By.CSS_SELECTOR, css).click()
            WebDriverWait(d, 60).until(expected_conditions.staleness_of(old))
            WebDriverWait(d, 60).until(lambda d: d.execute_script("return document.readyState") == "complete")

        await self.run(press)
        return await self.text()

    async def fill(self, css: str, value: str) -> None:
        from selenium.webdriver.common.by import By

        def type_in(d: Any) -> None:
            element = d.find_element(By.CSS_SELECTOR, css)
            if element.tag_name == "select":
                from selenium.webdriver.support.select import Select

                Select(element).select_by_visible_text(value)
            else:
                element.clear() if element.get_attribute("type") != "file" else None
                element.send_keys(value)

        await self.run(type_in)

    async def script(self, source: str, *args: Any) -> Any:
        return await self.run(lambda d: d.execute_script(source, *args))

    async def violations(self) -> list[dict[str, Any]]:
        """axe-core's serious and critical violations on the open page (WCAG 2.1 A and AA, as KWCAG 2.2 follows)."""
        await self.script(self.axe)
        result = await self.run(
            lambda d: d.execute_async_script(
                "const done = arguments[arguments.length - 1];"
                "axe.run(document, {runOnly: {type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'best-practice']}})"
                ".then(r => done(r.violations.map(v => ({id: v.id, impact: v.impact, nodes: v.nodes.map(n => n.target.join(' ')).slice(0, 5)}))))"
                ".catch(e => done([{id: 'axe-error', impact: 'critical', nodes: [String(e)]}]));"
            )
        )
        return [v for v in result if v["impact"] in SERIOUS]

    async def screenshot(self, name: str) -> None:
        """Written only when IDEAROOM_WEB_SCREENSHOTS names a folder (the README's pictures: docs/)."""
        folder = os.environ.get("IDEAROOM_WEB_SCREENSHOTS")
        if folder:
            Path(folder).mkdir(parents=True, exist_ok=True)
            await self.run(lambda d: d.save_screenshot(str(Path(folder) / name)))
