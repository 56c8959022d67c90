"""Notebook 04 in a real browser: JupyterLab (headless) + Debian's Chromium driven by Playwright.

The test copies notebook 04 into a temporary root, starts JupyterLab on a free local port with a
random token, opens the notebook in Chromium (the system browser: Playwright downloads nothing), runs
all cells, moves the first weight slider with the keyboard and checks that the ranking rendered by the
widget changed. A screenshot goes to ``build/browser_notebook04.png``.

Without ``/usr/bin/chromium`` the test is skipped, unless ``EMBEDDINGS_REQUIRE_BROWSER=1`` (set by
``.ci/run``), where it fails instead. Every wait has a timeout, and the server and its kernels are
always stopped.
"""
from __future__ import annotations

import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

pytestmark = [pytest.mark.browser, pytest.mark.slow]

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOK = ROOT / "notebooks" / "04_weighting_embeddings.ipynb"
CHROMIUM = os.environ.get("EMBEDDINGS_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run", "--disable-quic"]
SERVER_START_S = 90
RUN_ALL_S = 300          # the notebook itself takes well under 90 s; JupyterLab adds its own start-up
RERANK_S = 30
SCREENSHOT = ROOT / "build" / "browser_notebook04.png"


def _missing(reason: str):
    if os.environ.get("EMBEDDINGS_REQUIRE_BROWSER") == "1":
        pytest.fail(f"{reason} (EMBEDDINGS_REQUIRE_BROWSER=1, so this is an error, not a skip)")
    pytest.skip(f"{reason}; install it with `apt-get install -y chromium` or set EMBEDDINGS_CHROMIUM")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _get(url: str, timeout: float = 5.0):
    with urllib.request.urlopen(url, timeout=timeout) as r:
        return json.loads(r.read().decode())


def _stop(proc: subprocess.Popen, base: str, token: str) -> None:
    """Shut kernels down through the API, then stop the server and anything it started."""
    import psutil

    try:
        for k in _get(f"{base}/api/kernels?token={token}", timeout=3):
            req = urllib.request.Request(f"{base}/api/kernels/{k['id']}?token={token}", method="DELETE")
            urllib.request.urlopen(req, timeout=5).close()
    except Exception:  # noqa: BLE001, S110 - best effort; the process kill below is the guarantee
        pass
    try:
        family = psutil.Process(proc.pid).children(recursive=True)
    except psutil.NoSuchProcess:
        family = []
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=10)
    for child in family:  # kernels run in their own session: kill them by pid
        try:
            child.kill()
        except psutil.NoSuchProcess:
            pass
    psutil.wait_procs(family, timeout=10)


@pytest.fixture
def lab(tmp_path):
    if not Path(CHROMIUM).is_file():
        _missing(f"Chromium not found at {CHROMIUM}")
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        _missing("the Python package playwright is not installed")

    root = tmp_path / "root"
    root.mkdir()
    shutil.copy(NOTEBOOK, root / NOTEBOOK.name)
    config = tmp_path / "jupyter-config"
    (config / "labconfig").mkdir(parents=True)
    # no "get Jupyter news?" toast over the notebook
    (config / "labconfig" / "page_config.json").write_text(
        json.dumps({"disabledExtensions": {"@jupyterlab/apputils-extension:announcements": True}}))
    env = {**os.environ, "JUPYTER_CONFIG_DIR": str(config), "JUPYTER_RUNTIME_DIR": str(tmp_path / "runtime"),
           "IPYTHONDIR": str(tmp_path / "ipython"), "PYTHONPATH": str(ROOT)}
    env.pop("MPLBACKEND", None)  # the kernel draws inline, as for a user
    port, token = _free_port(), secrets.token_hex(16)
    base = f"http://127.0.0.1:{port}"
    log = open(tmp_path / "jupyterlab.log", "w")  # noqa: SIM115 - the server writes to it until the fixture ends
    proc = subprocess.Popen(
        [sys.executable, "-m", "jupyterlab", "--no-browser", "--ip=127.0.0.1", f"--port={port}",
         "--port-retries=0", f"--IdentityProvider.token={token}", f"--ServerApp.root_dir={root}",
         "--LabApp.expose_app_in_browser=True", "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate",
         "--ServerApp.terminals_enabled=False", *(["--allow-root"] if os.geteuid() == 0 else [])],
        cwd=root, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
    )
    try:
        deadline = time.monotonic() + SERVER_START_S
        while True:
            if proc.poll() is not None:
                tail = (tmp_path / "jupyterlab.log").read_text()[-3000:]
                pytest.fail(f"JupyterLab exited with {proc.returncode}:\n{tail}")
            try:
                _get(f"{base}/api/status?token={token}", timeout=2)
                break
            except Exception:  # noqa: BLE001 - not up yet
                if time.monotonic() > deadline:
                    pytest.fail(f"JupyterLab did not answer within {SERVER_START_S} s")
                time.sleep(0.5)
        yield base, token, tmp_path
    finally:
        _stop(proc, base, token)
        log.close()


NOTEBOOK_STATE_JS = """() => {
  const panel = window.jupyterapp && window.jupyterapp.shell.currentWidget;
  if (!panel || !panel.content || !panel.content.model || !panel.sessionContext) return {ready: false};
  const kernel = panel.sessionContext.session && panel.sessionContext.session.kernel;
  const cells = panel.content.model.cells;
  let pending = 0, errors = [];
  for (let i = 0; i < cells.length; i++) {
    const c = cells.get(i);
    if (c.type !== 'code') continue;
    if (c.executionCount === null) pending++;
    for (const o of c.outputs.toJSON()) if (o.output_type === 'error') errors.push(o.ename + ': ' + o.evalue);
  }
  return {ready: true, kernel: kernel ? kernel.status : null, pending, errors};
}"""


def _wait_state(page, predicate, timeout_s: float, what: str) -> dict:
    deadline = time.monotonic() + timeout_s
    state: dict = {}
    while time.monotonic() < deadline:
        state = page.evaluate(NOTEBOOK_STATE_JS)
        if state.get("errors"):
            pytest.fail(f"notebook cell raised: {state['errors'][:3]}")
        if predicate(state):
            return state
        time.sleep(1.0)
    pytest.fail(f"timed out after {timeout_s} s waiting for {what}; last state {state}")


def test_notebook_04_slider_reranks_in_chromium(lab):
    from playwright.sync_api import sync_playwright

    base, token, _tmp = lab
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS, timeout=60_000)
        try:
            page = browser.new_page(viewport={"width": 1600, "height": 1100})
            page.set_default_timeout(60_000)
            page.goto(f"{base}/lab/tree/{NOTEBOOK.name}?token={token}", wait_until="domcontentloaded")
            _wait_state(page, lambda s: s.get("ready") and s.get("kernel") == "idle", 120, "the kernel to start")

            page.evaluate("() => window.jupyterapp.commands.execute('notebook:run-all-cells')")
            _wait_state(page, lambda s: s.get("pending") == 0 and s.get("kernel") == "idle", RUN_ALL_S,
                        "all cells to run")

            ranking = page.locator(".embeddings-ranking").first
            ranking.scroll_into_view_if_needed(timeout=30_000)
            ranking.locator("li").first.wait_for(timeout=30_000)
            page.wait_for_function(  # the last cell's weights are rendered (a loaded machine may lag)
                "sel => { const e = document.querySelector(sel); return e && e.innerText.includes('mean P@5'); }",
                arg=".embeddings-ranking", timeout=RERANK_S * 1000,
            )
            ranking.scroll_into_view_if_needed()  # read in view: once a CI run read "" here (cell scrolled away?)
            before = ranking.inner_text()
            assert "Top 5 for Slim black trousers" in before, before
            assert "P@5 of this query" in before and "mean P@5 over all queries" in before, before
            items_before = ranking.locator("li").all_inner_texts()
            picture = page.locator(".embeddings-explorer img").first
            picture_before = picture.get_attribute("src")

            handle = page.locator(".embeddings-weight").first.locator(".noUi-handle").first
            handle.focus()
            handle.press("Home")  # the text slider to its minimum, 0
            page.wait_for_function(
                "([sel, old]) => { const e = document.querySelector(sel); return e && e.innerText !== old; }",
                arg=[".embeddings-ranking", before], timeout=RERANK_S * 1000,
            )
            ranking.scroll_into_view_if_needed()
            after = ranking.inner_text()
            items_after = ranking.locator("li").all_inner_texts()
            page.wait_for_function(  # the thumbnails and bars are redrawn too (same view, new picture)
                "([sel, old]) => { const e = document.querySelector(sel); return e && e.src !== old && e.complete; }",
                arg=[".embeddings-explorer img", picture_before], timeout=RERANK_S * 1000,
            )
            SCREENSHOT.parent.mkdir(exist_ok=True)
            page.locator(".embeddings-explorer").first.screenshot(path=str(SCREENSHOT))
        finally:
            browser.close()

    assert "weights: photo 1.00" in after, after  # the notebook left text 0.2, photo 0.8, colour 0; text now 0
    assert all("text 0.000" in item for item in items_after), items_after
    assert items_after != items_before, f"ranking did not change:\n{before}\n---\n{after}"
    assert len(items_after) == 5, after
