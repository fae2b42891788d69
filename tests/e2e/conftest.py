"""Browser tests against the real app: `jiebang serve --demo` on a fresh SQLite database with
the demo data, driven by Playwright in Debian's Chromium (no browser download)."""

import json
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
DIST_INDEX = ROOT / "frontend" / "dist" / "index.html"
SCREENSHOTS = ROOT / "test-output" / "screenshots"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
PASSWORD = "Jiebang@2026"
DESKTOP = {"width": 1366, "height": 768}
PHONE = {"width": 375, "height": 812}


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "e2e: browser tests against the built web app")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


CJK_FONT = "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc"


def _ensure_chromium() -> None:
    """Debian's chromium, and a Chinese font so the screenshots show text, not boxes."""
    missing = [
        package
        for package, path in (("chromium", CHROMIUM), ("fonts-wqy-microhei", CJK_FONT))
        if not Path(path).exists()
    ]
    if not missing:
        return
    if shutil.which("apt-get") is None or os.geteuid() != 0:
        if not Path(CHROMIUM).exists():
            pytest.fail(f"{CHROMIUM} is missing; install Debian's chromium package (as root)")
        return  # the font only makes screenshots readable
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    subprocess.run(["apt-get", "update", "-qq"], check=True, env=env)
    subprocess.run(["apt-get", "install", "-y", "-qq", *missing], check=True, env=env)


@pytest.fixture(scope="session")
def app_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The real app on a free port, fresh SQLite database, demo data loaded."""
    # The real app, matching engine included (the unit tests' conftest turns it off for them).
    yield from _serve(tmp_path_factory, {"JIEBANG_ENGINE_BACKGROUND": "1"})


CAPPED_COUNT = 5  # the list count cap of `capped_app_url`: the demo lists hold more


@pytest.fixture(scope="session")
def capped_app_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A second app whose lists stop counting at CAPPED_COUNT rows (`JIEBANG_LIST_COUNT_CAP`),
    without the matching engine (its tests read lists only)."""
    yield from _serve(
        tmp_path_factory,
        {"JIEBANG_ENGINE_BACKGROUND": "0", "JIEBANG_LIST_COUNT_CAP": str(CAPPED_COUNT)},
    )


def _serve(tmp_path_factory: pytest.TempPathFactory, settings: dict[str, str]) -> Iterator[str]:
    """`jiebang serve --demo` with `settings` on a free port and a fresh SQLite database, until
    the caller is done."""
    if not DIST_INDEX.exists():
        pytest.skip("frontend/dist/index.html is missing: run scripts/build_frontend.sh first")
    var_dir = tmp_path_factory.mktemp("e2e-var")
    port = _free_port()
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in ("JIEBANG_DATABASE_URL", "JIEBANG_TEST_DATABASE_URL")
    }
    env |= {"JIEBANG_VAR_DIR": str(var_dir), "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1"}
    env |= settings
    log = (var_dir / "server.log").open("w")
    proc = subprocess.Popen(
        [sys.executable, "-m", "service.cli", "serve", "--demo", "--port", str(port)],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 300
        while True:
            if proc.poll() is not None:
                pytest.fail(f"server exited ({proc.returncode}):\n{_tail(var_dir / 'server.log')}")
            try:
                with urllib.request.urlopen(f"{url}/healthz", timeout=2) as r:
                    if r.status == 200:
                        break
            except OSError:
                pass
            if time.monotonic() > deadline:
                pytest.fail(f"server not healthy in 300 s:\n{_tail(var_dir / 'server.log')}")
            time.sleep(0.5)
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        log.close()


def _tail(path: Path, lines: int = 40) -> str:
    return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])


@pytest.fixture(scope="session")
def engine_ready(app_url: str) -> str:
    """Wait until the engine has embedded every demo posting (it starts with the server), so
    engine candidates stop changing under a test."""
    body = f"username=admin&password={PASSWORD}".encode()
    with urllib.request.urlopen(f"{app_url}/api/v1/auth/token", body, timeout=10) as r:
        token = json.load(r)["access_token"]
    request = urllib.request.Request(
        f"{app_url}/api/v1/engine/status", headers={"Authorization": f"Bearer {token}"}
    )
    deadline = time.monotonic() + 400
    while True:
        with urllib.request.urlopen(request, timeout=60) as r:  # a busy 2-core machine
            status = json.load(r)
        if all(status[side]["missing"] == 0 for side in ("needs", "capabilities")):
            time.sleep(2)  # candidates are written just after the last embedding
            return app_url
        if time.monotonic() > deadline:
            pytest.fail(f"engine still embedding after 400 s: {status}")
        time.sleep(2)


@pytest.fixture(scope="session")
def browser() -> Iterator[object]:
    _ensure_chromium()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        yield b
        b.close()


@dataclass
class Console:
    """Console errors and uncaught exceptions seen by one page."""

    errors: list[str] = field(default_factory=list)

    def unexpected(self, *allowed: str) -> list[str]:
        return [e for e in self.errors if not any(a in e for a in allowed)]


@dataclass
class Pages:
    """Opens pages in fresh contexts (a fresh localStorage, so a fresh login) and watches them."""

    browser: object
    base_url: str
    consoles: list[Console] = field(default_factory=list)
    contexts: list[object] = field(default_factory=list)

    def new(self, viewport: dict[str, int] | None = None):  # noqa: ANN201 - playwright Page
        ctx = self.browser.new_context(  # type: ignore[attr-defined]
            base_url=self.base_url, viewport=viewport or DESKTOP, locale="zh-CN"
        )
        ctx.set_default_timeout(15_000)
        self.contexts.append(ctx)
        page = ctx.new_page()
        console = Console()
        page.on(
            "console",
            lambda m: (
                console.errors.append(f"console.{m.type}: {m.text}") if m.type == "error" else None
            ),
        )
        page.on("pageerror", lambda e: console.errors.append(f"pageerror: {e}"))
        page.console = console
        self.consoles.append(console)
        return page

    def login(self, username: str, viewport: dict[str, int] | None = None):  # noqa: ANN201
        page = self.new(viewport)
        page.goto("/login")
        page.get_by_test_id("login-username").fill(username)
        page.get_by_test_id("login-password").fill(PASSWORD)
        page.get_by_test_id("login-submit").click()
        page.wait_for_url(lambda u: "/login" not in u)
        return page


@pytest.fixture
def pages(browser: object, engine_ready: str) -> Iterator[Pages]:
    # After the demo's first embedding: while the engine embeds a batch, a request that needs
    # the model (a draft's duplicate or clarity check) waits for it, longer than a test's wait.
    opened = Pages(browser, engine_ready)
    yield opened
    for ctx in opened.contexts:
        ctx.close()  # type: ignore[attr-defined]


def shot(page: object, name: str) -> Path:
    """Save a screenshot under test-output/screenshots/ (for a person to look at)."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    page.wait_for_timeout(300)  # type: ignore[attr-defined]  # let transitions settle
    # Toasts are transient and cover the header: leave them out of the picture.
    page.evaluate("document.querySelectorAll('.el-message').forEach((m) => m.remove())")  # type: ignore[attr-defined]
    page.screenshot(path=str(path))  # type: ignore[attr-defined]
    return path
