"""A real headless browser (Debian's chromium, driven by Selenium) against the whole hub.

- the hub is started as `make run` starts it (the e2e ``hub`` fixture: `hub up` on free ports,
  this run's databases and vhost), with the petitions web client registered beforehand the way
  `hub clients create` does it;
- the browser is /usr/bin/chromium through /usr/bin/chromedriver (Debian packages ``chromium``
  and ``chromium-driver``), headless, with a fresh profile; nothing is downloaded;
- accessibility: axe-core from npm (``npm ci --prefix tests/browser``), injected into each page,
  must find no violation of WCAG 2.0/2.1 A and AA.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.conftest import hub  # noqa: F401 - the whole hub, as `make run` starts it

HERE = Path(__file__).resolve().parent
AXE_SCRIPT = HERE / "node_modules" / "axe-core" / "axe.min.js"
CHROMIUM = os.environ.get("HUB_CHROMIUM", "/usr/bin/chromium")
CHROMEDRIVER = os.environ.get("HUB_CHROMEDRIVER", "/usr/bin/chromedriver")
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
CHROMIUM_FLAGS = (
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-extensions",
    "--no-first-run",
    "--no-default-browser-check",
    "--window-size=1280,1024",
)
WAIT_SECONDS = 15


def _require_tools() -> None:
    missing = [p for p in (CHROMIUM, CHROMEDRIVER) if not Path(p).exists()]
    if missing:
        message = f"{', '.join(missing)} not found: apt-get install -y chromium chromium-driver"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    if not AXE_SCRIPT.exists():
        pytest.fail("axe-core is not installed: npm ci --prefix tests/browser")


@pytest.fixture
def hub_settings() -> dict[str, str]:
    """Settings a test adds to its hub's environment: parametrize ``hub_settings`` to add some
    (e.g. ``HUB_PETITION_MIN_SPONSORS``)."""
    return {}


@pytest.fixture
def hub_env(hub_env: dict[str, str], hub_settings: dict[str, str]) -> dict[str, str]:
    """This run's hub environment, with the petitions pages' client registered at identity
    (as `hub clients create` does it) and its credentials for the petitions process."""
    from services.identity.cli import create_client
    from shared.config import load_settings

    pages = hub_env["PETITIONS_PUBLIC_URL"]
    web_client = create_client(
        load_settings(hub_env),
        "Petitions web",
        "service-provider",
        "openid petitions",
        [f"{pages}/auth/callback", f"{pages}/signed-out"],
    )
    return {
        **hub_env,
        **hub_settings,
        "PETITIONS_WEB_CLIENT_ID": web_client["client_id"],
        "PETITIONS_WEB_CLIENT_SECRET": web_client["client_secret"],
    }


@pytest.fixture
def operator_client(settings: Any) -> dict[str, Any]:
    from services.identity.cli import create_client

    return create_client(settings, "Moderation desk", "operator")


@pytest.fixture
def open_browser() -> Iterator[Callable[[], Browser]]:
    """Opens browsers (each with its own fresh profile: its own cookies); quits them after."""
    _require_tools()
    opened: list[Browser] = []

    def open_one() -> Browser:
        browser = Browser.start()
        opened.append(browser)
        return browser

    yield open_one
    for browser in opened:
        browser.quit()


@pytest.fixture
def browser(open_browser: Callable[[], Browser]) -> Browser:
    return open_browser()


class Browser:
    """A thin layer over Selenium for reading tests: go, fill, press, read, check with axe."""

    def __init__(self, driver: Any, profile: tempfile.TemporaryDirectory[str]) -> None:
        self.driver = driver
        self._profile = profile

    @classmethod
    def start(cls) -> Browser:
        from selenium import webdriver
        from selenium.webdriver.chrome.service import Service

        profile = tempfile.TemporaryDirectory(prefix="hub-chromium-")
        options = webdriver.ChromeOptions()
        options.binary_location = CHROMIUM
        for flag in (*CHROMIUM_FLAGS, f"--user-data-dir={profile.name}"):
            options.add_argument(flag)
        # A browser set up in French, as most of the hub's users' are (Accept-Language).
        options.add_argument("--lang=fr-FR")
        options.add_experimental_option("prefs", {"intl.accept_languages": "fr-FR,fr"})
        driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
        driver.set_page_load_timeout(30)
        driver.set_script_timeout(30)
        return cls(driver, profile)

    def quit(self) -> None:
        try:
            self.driver.quit()
        finally:
            self._profile.cleanup()

    # -- moving around ---------------------------------------------------------------------

    def go(self, url: str) -> None:
        self.driver.get(url)
        self.settle(f"no page settled after going to {url}")

    @property
    def url(self) -> str:
        return str(self.driver.current_url)

    def press(self, css: str) -> None:
        """Click and wait until the next page has loaded."""
        old = self.driver.find_element("css selector", "html")
        self.find(css).click()
        self.wait(lambda: self._stale(old), f"no new page after pressing {css}")
        self.settle(f"no page settled after pressing {css}")

    def settle(self, message: str) -> None:
        """Wait for the end of a redirect chain, not its first page: the same address, loaded,
        three polls in a row. A sign-in crosses four origins in 303s; on a busy machine
        chromedriver has answered while the chain was still under way."""
        seen: list[str] = []

        def settled() -> bool:
            seen.append(self._loaded_url())
            return len(seen) >= 3 and seen[-1] != "" and seen[-1] == seen[-2] == seen[-3]

        self.wait(settled, message)

    def wait_for_url(self, condition: Callable[[str], bool], message: str) -> None:
        """Wait until the settled page's address meets ``condition``."""
        self.wait(lambda: condition(self._loaded_url()), f"{message} (at {self.url})")
        self.settle(message)

    def fill(self, css: str, value: str) -> None:
        field = self.find(css)
        field.clear()
        field.send_keys(value)

    def choose(self, css: str) -> None:
        self.find(css).click()

    def select(self, css: str, value: str) -> None:
        from selenium.webdriver.support.ui import Select

        Select(self.find(css)).select_by_value(value)

    # -- reading ---------------------------------------------------------------------------

    def find(self, css: str) -> Any:
        return self.driver.find_element("css selector", css)

    def find_all(self, css: str) -> list[Any]:
        return list(self.driver.find_elements("css selector", css))

    def text(self, css: str = "body") -> str:
        return str(self.find(css).text)

    def lang(self) -> str:
        return str(self.find("html").get_attribute("lang"))

    def title(self) -> str:
        return str(self.driver.title)

    def run(self, script: str, *args: Any) -> Any:
        return self.driver.execute_script(script, *args)

    def wait(
        self, condition: Callable[[], Any], message: str, seconds: float = WAIT_SECONDS
    ) -> Any:
        from selenium.webdriver.support.ui import WebDriverWait

        return WebDriverWait(self.driver, seconds, poll_frequency=0.1).until(
            lambda _driver: condition(), message
        )

    def accessibility_violations(self) -> list[dict[str, Any]]:
        """axe-core's WCAG 2.0/2.1 A and AA violations on the page as it is now."""
        if not self.run("return typeof window.axe === 'object'"):
            # NOTE: injected through WebDriver, which the page's CSP does not govern.
            self.run(AXE_SCRIPT.read_text() + "\n;return true;")
        found = self.driver.execute_async_script(
            """
            const done = arguments[arguments.length - 1];
            axe.run(document, {runOnly: {type: "tag", values: arguments[0]}})
              .then((result) => done(result.violations.map((v) => ({
                id: v.id, impact: v.impact, help: v.help,
                nodes: v.nodes.map((n) => n.target.join(" ")).slice(0, 5),
              }))))
              .catch((error) => done([{id: "axe-error", help: String(error), nodes: []}]));
            """,
            AXE_TAGS,
        )
        return list(found)

    def assert_accessible(self) -> None:
        violations = self.accessibility_violations()
        assert violations == [], f"axe on {self.url}: {violations}"

    def _loaded_url(self) -> str:
        """The address of the page, once loaded; "" while a page is loading."""
        from selenium.common.exceptions import WebDriverException

        try:
            if self.run("return document.readyState") != "complete":
                return ""
            return self.url
        except WebDriverException:  # the page is being replaced
            return ""

    def _stale(self, element: Any) -> bool:
        from selenium.common.exceptions import WebDriverException

        try:
            element.tag_name  # noqa: B018 - touching it tells whether the page was replaced
            return False
        except WebDriverException:
            # StaleElementReference, or Chrome's "node does not belong to the document" while
            # the next page replaces this one: either way the old page is gone.
            try:
                return self.run("return document.readyState") == "complete"
            except WebDriverException:
                return False
