"""The built book works offline in a real browser (Debian chromium, headless, via selenium).

Every page in ``_toc.yml`` of the book in ``_build/html`` (or ``$LLMCOST_BOOK_HTML``) is opened
twice, in a chromium that cannot reach anything but loopback and has no flag a reader would
not have (no ``--allow-file-access-from-files``): served over http on 127.0.0.1, and from disk
as ``file://``, the way the README tells a reader to open it. On each page:

* every ``.llmcost-chart`` is drawn interactively (an ``svg`` or ``canvas`` with marks in its
  view), no fallback caption is left, and math, if any, is typeset by the book's own MathJax;
* the browser console has no SEVERE entry (a failed script, a 404, a Vega error);
* no request went to a host other than 127.0.0.1, and no request failed or got a 4xx/5xx;
* every internal ``<a href>`` resolves to a file of the built book (and its ``#fragment`` to an
  element id of that file).

Every chart also shows as its static SVG where the script does not run: with JavaScript off,
in print, and when the chart script is missing.

Without ``/usr/bin/chromium`` the tests skip, except on CI (``CI=true``) where they fail.
To test a book built elsewhere: ``LLMCOST_BOOK_HTML=<dir>/_build/html LLMCOST_BOOK_TOC=<dir>/_toc.yml``.
"""

from __future__ import annotations

import functools
import http.server
import json
import os
import re
import shutil
import threading
import time
from pathlib import Path
from urllib.parse import unquote, urljoin, urlsplit

import pytest
import yaml

from conftest import ROOT, skip_or_fail
from chapter_runs import defaults_of

CHROMIUM = Path("/usr/bin/chromium")
CHROMEDRIVER = Path("/usr/bin/chromedriver")
CHART_TIMEOUT_S = 30
LOOPBACK = "127.0.0.1"


def toc_pages(toc_path: Path | None = None) -> list[str]:
    """Paths (relative to the book's root, ``.html``) of the root page and every ``file:`` in the toc.

    The toc is the repository's ``_toc.yml``, or ``$LLMCOST_BOOK_TOC`` (to test a book built elsewhere).
    """
    toc_path = toc_path or Path(os.environ.get("LLMCOST_BOOK_TOC", ROOT / "_toc.yml"))
    toc = yaml.safe_load(toc_path.read_text(encoding="utf-8"))
    files = [toc["root"]]

    def walk(node):
        if isinstance(node, dict):
            if "file" in node:
                files.append(node["file"])
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for item in node:
                walk(item)

    walk({key: value for key, value in toc.items() if key != "root"})
    return ["index.html"] + [re.sub(r"\.(md|ipynb|rst)$", "", f) + ".html" for f in files]


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format, *args):  # noqa: A002 - signature of the base class
        pass


@pytest.fixture(scope="module")
def server(book_html: Path):
    """Base URL of a loopback HTTP server for the built book, on a free port."""
    handler = functools.partial(_QuietHandler, directory=str(book_html))
    httpd = http.server.ThreadingHTTPServer((LOOPBACK, 0), handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://{LOOPBACK}:{httpd.server_address[1]}/"
    httpd.shutdown()
    httpd.server_close()


@pytest.fixture(scope="module")
def browser(tmp_path_factory):
    """Headless chromium with all non-loopback traffic blocked and console/network logs on."""
    if not (CHROMIUM.exists() and CHROMEDRIVER.exists()):
        skip_or_fail(f"{CHROMIUM} or {CHROMEDRIVER} missing: apt-get install chromium chromium-driver")
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    for flag in (
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-dev-shm-usage",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--disable-default-apps",
        "--disable-extensions",
        f"--user-data-dir={tmp_path_factory.mktemp('chromium-profile')}",
        # Offline: no name resolves except loopback, and everything not on loopback goes to a
        # proxy on a closed port (<-loopback> would send loopback there too; it is not set).
        f"--host-resolver-rules=MAP * ~NOTFOUND , EXCLUDE {LOOPBACK}",
        "--proxy-server=http://127.0.0.1:9",
        "--window-size=1280,2000",
    ):
        options.add_argument(flag)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL", "performance": "ALL"})
    driver = webdriver.Chrome(service=Service(str(CHROMEDRIVER)), options=options)
    driver.set_page_load_timeout(60)
    driver.set_script_timeout(30)
    yield driver
    driver.quit()


def network_events(driver) -> list[dict]:
    """DevTools Network.* events logged since the last call."""
    events = []
    for entry in driver.get_log("performance"):
        message = json.loads(entry["message"])["message"]
        if message["method"].startswith("Network."):
            events.append(message)
    return events


def network_problems(events: list[dict]) -> list[str]:
    """Requests that left loopback, failed, or were answered with an HTTP error."""
    problems = []
    urls = {}
    for event in events:
        params = event["params"]
        if event["method"] == "Network.requestWillBeSent":
            url = params["request"]["url"]
            urls[params["requestId"]] = url
            parts = urlsplit(url)
            if parts.path == "/favicon.ico":
                continue  # asked for by the browser itself, not by the page
            if parts.scheme in ("http", "https", "ws", "wss") and parts.hostname != LOOPBACK:
                problems.append(f"request to a non-loopback host: {url}")
        elif event["method"] == "Network.loadingFailed" and not params.get("canceled") and params["requestId"] in urls:
            # (a failure of a request sent before these events, by the browser itself, is not the page's)
            problems.append(f"failed request {urls.get(params['requestId'], '?')}: {params.get('errorText')}")
        elif (
            event["method"] == "Network.responseReceived"
            and params["response"]["status"] >= 400
            and urlsplit(params["response"]["url"]).path != "/favicon.ico"
        ):
            problems.append(f"HTTP {params['response']['status']} for {params['response']['url']}")
    return problems


def severe_console(driver) -> list[str]:
    """SEVERE browser-console entries since the last call."""
    return [
        entry["message"]
        for entry in driver.get_log("browser")
        if entry["level"] == "SEVERE" and "/favicon.ico - Failed to load resource" not in entry["message"]
    ]


def page_url(mode: str, page: str, book_html: Path, server: str) -> str:
    """URL of ``page`` served over http (``mode="http"``) or opened from disk (``mode="file"``)."""
    return urljoin(server, page) if mode == "http" else (book_html / page).as_uri()


def wait_for_charts(driver, timeout: float = CHART_TIMEOUT_S) -> list[str]:
    """Wait until every ``.llmcost-chart`` is drawn interactively; return those that are not.

    Drawn: the script marked it ``drawn``, its view holds an svg or canvas with marks, and
    neither the fallback caption nor the static SVG is left.
    """
    from selenium.common.exceptions import TimeoutException
    from selenium.webdriver.support.ui import WebDriverWait

    script = """
        return Array.from(document.querySelectorAll('.llmcost-chart'))
            .filter(el => el.getAttribute('data-llmcost-state') !== 'drawn'
                || !el.querySelector('.llmcost-chart-view canvas, .llmcost-chart-view svg g.role-mark > *')
                || el.querySelector('.llmcost-chart-fallback, .llmcost-chart-static'))
            .map(el => el.id + ' [' + (el.getAttribute('data-llmcost-state') || 'untouched') + ']');
    """
    try:
        WebDriverWait(driver, timeout, poll_frequency=0.25).until(lambda d: not d.execute_script(script))
    except TimeoutException:
        pass
    return driver.execute_script(script)


def wait_for_math(driver, timeout: float = CHART_TIMEOUT_S) -> bool:
    """True when the page has no math, or MathJax has typeset it (``mjx-container`` elements)."""
    from selenium.common.exceptions import TimeoutException
    from selenium.webdriver.support.ui import WebDriverWait

    script = """
        const math = document.querySelectorAll('.math').length;
        return math === 0 || document.querySelectorAll('mjx-container').length > 0;
    """
    try:
        WebDriverWait(driver, timeout, poll_frequency=0.25).until(lambda d: d.execute_script(script))
    except TimeoutException:
        return False
    return True


def follow_redirect(driver, url: str, timeout: float = 10) -> None:
    """Wait for a ``<meta http-equiv="refresh">`` page (jupyter-book's index.html) to move on."""
    from selenium.webdriver.support.ui import WebDriverWait

    redirects = driver.execute_script("return !!document.querySelector('meta[http-equiv=refresh i]');")
    if redirects:
        WebDriverWait(driver, timeout).until(lambda d: d.current_url != url)
    WebDriverWait(driver, timeout).until(lambda d: d.execute_script("return document.readyState") == "complete")


def _ids(html_file: Path) -> set[str]:
    return set(re.findall(r'\b(?:id|name)="([^"]+)"', html_file.read_text(encoding="utf-8", errors="replace")))


def broken_internal_links(driver, page_url: str, base_url: str, root: Path) -> list[str]:
    """Internal ``<a href>`` targets of the current page that are not files of the built book."""
    hrefs = driver.execute_script(
        "return Array.from(document.querySelectorAll('a[href]')).map(a => a.getAttribute('href'));"
    )
    broken = []
    for href in hrefs:
        if not href or href.startswith(("mailto:", "javascript:", "tel:", "data:")):
            continue
        url = urljoin(page_url, href)
        parts = urlsplit(url)
        if not url.startswith(base_url):
            continue  # an external link: never requested here
        target = root / unquote(parts.path[len(urlsplit(base_url).path):])
        if parts.path.endswith("/"):
            target = target / "index.html"
        if not target.is_file():
            broken.append(f"{href} -> {target.relative_to(root)} (missing)")
        elif parts.fragment and target.suffix == ".html" and unquote(parts.fragment) not in _ids(target):
            broken.append(f"{href} -> #{parts.fragment} not found in {target.relative_to(root)}")
    return sorted(set(broken))


@pytest.mark.parametrize("mode", ["http", "file"])
@pytest.mark.parametrize("page", toc_pages())
def test_page_works_offline(page: str, mode: str, book_html: Path, server: str, browser) -> None:
    """A page of the book draws its charts, logs no error and requests nothing off loopback."""
    assert (book_html / page).is_file(), f"{page} is in _toc.yml but not in the built book"
    network_events(browser), severe_console(browser)  # drop what earlier pages left
    url = page_url(mode, page, book_html, server)
    browser.get(url)
    follow_redirect(browser, url)
    undrawn = wait_for_charts(browser)
    charts = browser.execute_script("return document.querySelectorAll('.llmcost-chart').length;")
    problems = [f"chart not drawn: {chart}" for chart in undrawn]
    if not wait_for_math(browser):
        problems.append("math not typeset by MathJax")
    problems += [f"console: {message}" for message in severe_console(browser)]
    problems += network_problems(network_events(browser))
    base = server if mode == "http" else book_html.as_uri() + "/"
    problems += [f"broken link: {link}" for link in broken_internal_links(browser, browser.current_url, base, book_html)]
    assert not problems, f"{page} over {mode} ({charts} charts):\n" + "\n".join(problems)


STATIC_CHARTS_SCRIPT = """
    return Array.from(document.querySelectorAll('.llmcost-chart')).map(el => {
        const svg = el.querySelector('.llmcost-chart-static > svg');
        const box = svg ? svg.getBoundingClientRect() : null;
        return {id: el.id, visible: !!box && box.width > 100 && box.height > 50
                && getComputedStyle(svg).visibility !== 'hidden' && svg.querySelectorAll('g.role-mark > *').length > 0};
    });
"""


def static_charts_when_parsed(browser, expected: int, timeout: float = 20.0) -> list[dict]:
    """STATIC_CHARTS_SCRIPT's answer once the page holds its ``expected`` charts, all drawn, or at ``timeout``.

    With scripts disabled, WebDriver may return from ``get`` before a large page (a megabyte of
    inline SVG) is parsed; the answer is read again until the page is complete, so a slow machine
    waits instead of failing, and a chart that never becomes visible still fails.
    """
    deadline = time.monotonic() + timeout
    while True:
        charts = browser.execute_script(STATIC_CHARTS_SCRIPT)
        complete = browser.execute_script("return document.readyState") == "complete"
        if (complete and len(charts) == expected and all(chart["visible"] for chart in charts)) or time.monotonic() > deadline:
            return charts
        time.sleep(0.25)


def pages_with_charts(book_html: Path) -> list[str]:
    """The toc pages whose built HTML holds at least one chart."""
    return [p for p in toc_pages() if 'class="llmcost-chart"' in (book_html / p).read_text(encoding="utf-8")]


def test_charts_show_with_javascript_off(book_html: Path, browser) -> None:
    """From disk with JavaScript disabled, every chart of every page is its visible static SVG."""
    pages = pages_with_charts(book_html)
    assert pages, "no page of the book has a chart"
    browser.execute_cdp_cmd("Emulation.setScriptExecutionDisabled", {"value": True})
    try:
        hidden = []
        for page in pages:
            browser.get((book_html / page).as_uri())
            charts = static_charts_when_parsed(browser, (book_html / page).read_text(encoding="utf-8").count('class="llmcost-chart"'))
            assert charts, f"{page}: no chart found with JavaScript off"
            hidden += [f"{page}: {chart['id']}" for chart in charts if not chart["visible"]]
    finally:
        browser.execute_cdp_cmd("Emulation.setScriptExecutionDisabled", {"value": False})
    assert not hidden, "charts not visible with JavaScript off:\n" + "\n".join(hidden)


def test_charts_show_in_print(book_html: Path, browser) -> None:
    """With print media emulated, every chart of every page keeps a visible svg or canvas."""
    script = """
        return Array.from(document.querySelectorAll('.llmcost-chart'))
            .filter(el => !Array.from(el.querySelectorAll('svg, canvas')).some(g => {
                const box = g.getBoundingClientRect(); return box.width > 100 && box.height > 50; }))
            .map(el => el.id);
    """
    browser.execute_cdp_cmd("Emulation.setEmulatedMedia", {"media": "print"})
    try:
        hidden = []
        for page in pages_with_charts(book_html):
            browser.get((book_html / page).as_uri())
            wait_for_charts(browser)
            hidden += [f"{page}: {chart}" for chart in browser.execute_script(script)]
    finally:
        browser.execute_cdp_cmd("Emulation.setEmulatedMedia", {"media": ""})
        severe_console(browser), network_events(browser)
    assert not hidden, "charts not visible in print:\n" + "\n".join(hidden)


def test_browser_is_offline(server: str, browser) -> None:
    """The browser reaches the loopback server but no outside host, by name or by address."""
    browser.get(urljoin(server, "index.html"))
    script = """
        const done = arguments[arguments.length - 1];
        const probe = (url) => fetch(url, {mode: 'no-cors', cache: 'no-store'}).then(() => 'ok', (e) => 'blocked');
        Promise.all(arguments[0].map(probe)).then(done);
    """
    outside = ["https://cdn.jsdelivr.net/npm/vega@5", "http://example.com/", "http://1.1.1.1/", "https://8.8.8.8/"]
    assert browser.execute_async_script(script, outside) == ["blocked"] * len(outside)
    assert browser.execute_async_script(script, [urljoin(server, "index.html")]) == ["ok"]
    network_events(browser), severe_console(browser)  # the blocked probes are expected here


def test_without_the_chart_script(book_html: Path, tmp_path: Path, browser) -> None:
    """Without the Vega bundle the page test fails (it can fail), yet every chart's static SVG shows."""
    pages = pages_with_charts(book_html)
    assert pages, "no page of the book has a chart"
    broken = tmp_path / "html"
    shutil.copytree(book_html, broken)
    (broken / "_static" / "llmcost-vega.js").unlink()
    handler = functools.partial(_QuietHandler, directory=str(broken))
    httpd = http.server.ThreadingHTTPServer((LOOPBACK, 0), handler)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    try:
        base = f"http://{LOOPBACK}:{httpd.server_address[1]}/"
        for url in (urljoin(base, pages[0]), (broken / pages[0]).as_uri()):
            network_events(browser), severe_console(browser)
            browser.get(url)
            assert wait_for_charts(browser, timeout=5), f"{url}: charts drawn without the Vega bundle"
            assert any("llmcost-vega.js" in m for m in network_problems(network_events(browser))), url
            assert severe_console(browser), url
            charts = browser.execute_script(STATIC_CHARTS_SCRIPT)
            assert charts and all(chart["visible"] for chart in charts), f"{url}: static SVG missing: {charts}"
    finally:
        httpd.shutdown()
        httpd.server_close()


def test_built_pages_hold_each_chart_as_static_svg(book_html: Path) -> None:
    """In the built HTML (no browser), every chart holds its static SVG, titled like its spec."""
    import html as html_module

    from llmcost import charts as llmcost_charts

    found = 0
    for page in pages_with_charts(book_html):
        text = (book_html / page).read_text(encoding="utf-8")
        for chart in re.findall(r'<div class="llmcost-chart" id=.*?</svg></div></div>', text, re.DOTALL):
            found += 1
            spec = json.loads(re.search(r'class="llmcost-chart-spec">(.*?)</script>', chart, re.DOTALL)[1].replace("<\\/", "</"))
            svg = chart[chart.index(f'<div class="{llmcost_charts.STATIC_CLASS}"><svg'):]
            title = spec.get("title")
            title = title.get("text") if isinstance(title, dict) else title
            if title:
                lines = title if isinstance(title, list) else [title]
                assert all(html_module.escape(line, quote=False) in svg for line in lines), f"{page}: title {title!r} not in its SVG"
        assert text.count('class="llmcost-chart"') == text.count(f'<div class="{llmcost_charts.STATIC_CLASS}"><svg'), page
    assert found == sum(p.read_text(encoding="utf-8").count('class="llmcost-chart"') for p in book_html.rglob("*.html")
                        if p.parent.name != "_sources")


@pytest.mark.parametrize("page", ["index.html", "edition.html", "chapters/00_intro.html", "bibliography.html"])
def test_edition_works_from_disk(page: str, edition_html: Path, browser) -> None:
    """A reader's edition (llmcost book), opened from disk like the published book: charts drawn, no error."""
    network_events(browser), severe_console(browser)
    url = (edition_html / page).as_uri()
    browser.get(url)
    follow_redirect(browser, url)
    problems = [f"chart not drawn: {chart}" for chart in wait_for_charts(browser)]
    problems += [f"console: {message}" for message in severe_console(browser)]
    problems += network_problems(network_events(browser))
    problems += [f"broken link: {link}" for link in
                 broken_internal_links(browser, browser.current_url, edition_html.as_uri() + "/", edition_html)]
    banner = browser.execute_script("return document.querySelectorAll('.llmcost-edition').length;")
    if page.startswith("chapters/"):
        problems += [] if banner == 1 else [f"{banner} edition banners"]
    assert not problems, f"edition {page}:\n" + "\n".join(problems)


TABLE_WIDTHS_SCRIPT = """
    return Array.from(document.querySelectorAll('div.cell_output table.dataframe')).map(t => {
        const column = t.closest('article') || document.body;
        const style = getComputedStyle(column);  // the text column is the article's content box
        const text = column.clientWidth - parseFloat(style.paddingLeft) - parseFloat(style.paddingRight);
        return {width: t.getBoundingClientRect().width, column: text,
                head: Array.from(t.querySelectorAll('th')).map(h => h.textContent.trim()).find(text => text)};
    });
"""


BROKEN_NUMBERS_SCRIPT = """
    const cells = Array.from(document.querySelectorAll('table.dataframe td.llmcost-num'));
    const broken = cells.filter(td => {
        const range = document.createRange(); range.selectNodeContents(td);
        const lines = new Set(Array.from(range.getClientRects()).map(r => Math.round(r.top)));
        return lines.size > 1;
    });
    return [cells.length, broken.map(td => td.textContent)];
"""


def test_every_table_fits_the_text_column(book_html: Path, browser) -> None:
    """From disk, at a laptop's window width, no chapter table is wider than the text column, and
    no number in a table is broken over two lines."""
    too_wide, broken, numbers = [], [], 0
    for page in toc_pages():
        browser.get((book_html / page).as_uri())
        for table in browser.execute_script(TABLE_WIDTHS_SCRIPT):
            if table["width"] > table["column"] + 1:
                too_wide.append(f"{page}: table at {table['head']!r} is {table['width']:.0f} px in a {table['column']:.0f} px column")
        count, cut = browser.execute_script(BROKEN_NUMBERS_SCRIPT)
        numbers += count
        broken += [f"{page}: {text!r}" for text in cut]
    assert not too_wide, "tables wider than the text column:\n" + "\n".join(too_wide)
    assert numbers > 500 and not broken, f"{numbers} number cells; broken over lines:\n" + "\n".join(broken[:20])


MOVE_SLIDER_SCRIPT = """
    const [figure, name, value] = arguments;
    const input = document.querySelector('#' + figure + ' input[type=range][name="' + name + '"]');
    if (!input) { return false; }
    input.value = String(value);
    input.dispatchEvent(new Event('input', {bubbles: true}));
    input.dispatchEvent(new Event('change', {bubbles: true}));
    return true;
"""
CHART_TEXT_SCRIPT = ("return Array.from(document.querySelectorAll('#' + arguments[0] + ' .llmcost-chart-view svg text'))"
                     ".map(t => t.textContent);")


def drawn_after(browser, figure: str, moves: dict, expected: list[str], timeout: float = 10.0) -> list[str]:
    """Move each slider of ``figure`` (parameter name -> value), then wait until every ``expected``
    text is drawn in its chart; return the chart's texts (the last ones seen, on a timeout)."""
    from selenium.common.exceptions import TimeoutException
    from selenium.webdriver.support.ui import WebDriverWait

    for name, value in moves.items():
        assert browser.execute_script(MOVE_SLIDER_SCRIPT, figure, name, value), f"{figure}: no slider {name!r}"
    try:
        WebDriverWait(browser, timeout, poll_frequency=0.2).until(
            lambda d: all(text in d.execute_script(CHART_TEXT_SCRIPT, figure) for text in expected))
    except TimeoutException:
        pass
    return browser.execute_script(CHART_TEXT_SCRIPT, figure)


def open_drawn(browser, page: Path) -> None:
    """Open a built page from disk and wait for its charts."""
    browser.get(page.as_uri())
    assert not wait_for_charts(browser), f"{page.name}: charts not drawn"


def chain_texts(p: dict, mfu: float, usd_per_gpu_hour: float, grid_kg_per_kwh: float) -> list[str]:
    """What the intro's chain chart must show for these slider values, computed by llmcost."""
    import llmcost
    from llmcost.book import format_number
    from llmcost.book.chapter_parameters import follow_accelerator

    facts = llmcost.model(p["model"])
    hours = llmcost.gpu_hours(llmcost.training_flops(facts["params_active"], facts["tokens"]),
                              llmcost.peak_flops(p["gpu"], p["precision"]), mfu)
    power_w = follow_accelerator(p["gpu"], power_w=p["power_w"])["power_w"]  # None: the accelerator's TDP
    mwh = llmcost.energy_mwh(hours, power_w, p["pue"])
    return [format_number(hours, "sig3", "GPU-hours"), format_number(llmcost.rental_cost(hours, usd_per_gpu_hour), "sig3", "USD"),
            format_number(mwh, "sig3", "MWh"), format_number(llmcost.co2_tonnes(mwh, grid_kg_per_kwh), "sig3", "t CO2e"),
            f"accelerator time: {llmcost.accelerator(p['gpu'])['name']} at {p['precision']}, {format_number(mfu, '.1%')} MFU",
            f"rental cost: {usd_per_gpu_hour:,.2f} USD per GPU-hour", f"emissions: {grid_kg_per_kwh:.3f} kg CO2e per kWh"]


def test_chain_sliders_recompute_what_llmcost_computes(book_html: Path, browser) -> None:
    """Moving the intro's sliders redraws every stage of the chain as llmcost computes it."""
    import llmcost
    from llmcost.book.chapter_parameters import follow_accelerator

    p = defaults_of("00_intro")
    open_drawn(browser, book_html / "chapters/00_intro.html")
    mfu = llmcost.calibration.planning_utilization(p["gpu"], p["precision"], p["mfu"])["central"]  # None: calibrated
    at_defaults = chain_texts(p, mfu, follow_accelerator(p["gpu"])["usd_per_gpu_hour"], p["grid_kg_per_kwh"])
    drawn = browser.execute_script(CHART_TEXT_SCRIPT, "fig-00-1")
    assert all(text in drawn for text in at_defaults), f"at the defaults: {drawn}"
    raw_values = "return Array.from(document.querySelectorAll('#fig-00-1 .vega-bind input[type=range] + span')).map(s => s.offsetParent !== null);"
    assert browser.execute_script(raw_values) == [False] * 3, "a slider shows its raw value beside the chart's formatted one"
    for moves in ({"mfu": 0.3, "usd_per_gpu_hour": 3.5, "grid_kg_per_kwh": 0.6}, {"mfu": 0.75, "usd_per_gpu_hour": 1.2, "grid_kg_per_kwh": 0.05}):
        expected = chain_texts(p, **moves)
        drawn = drawn_after(browser, "fig-00-1", moves, expected)
        assert all(text in drawn for text in expected), f"after {moves}: expected {expected}, drawn {drawn}"


def test_serving_sliders_read_what_llmcost_computes(book_html: Path, browser) -> None:
    """Chapter 5's serving chart reads, at the sliders' prompt length and batch, the roofline and the
    expected cost llmcost computes, and says when a batch does not fit."""
    import llmcost
    from llmcost.book.pages import gpu_days_cost as ch05

    p = defaults_of("05_gpu_days_cost")
    grid, _ = ch05.serving_grid(p["serving_model"], p["gpu"], p["precision"], llmcost.cost.gpu_hour_price(p["rental_price"]))
    open_drawn(browser, book_html / "chapters/05_gpu_days_cost.html")
    for prompt, batch in ((512, 16), (1280, 40)):
        row = grid[(grid["prompt"] == prompt) & (grid["batch"] == batch)].iloc[0]
        assert min(row[["roofline", "low"]]) >= 1e-4  # where Python's and d3's ".3g" agree
        expected = [f"prompt {prompt:,} + {ch05.SERVING_OUTPUT_TOKENS} tokens, batch {batch}, USD per 1,000 output tokens:",
                    f"roofline {row['roofline']:.3g}, expected {row['central']:.3g} ({row['low']:.3g} to {row['high']:.3g})"]
        drawn = drawn_after(browser, "fig-05-5", {"prompt": prompt, "batch": batch}, expected)
        assert all(text in drawn for text in expected), f"at prompt {prompt} and batch {batch}: expected {expected}, drawn {drawn}"
    largest = int(grid.loc[grid["prompt"] == 1792, "batch"].max())
    expected = [f"prompt 1,792: batch {largest + 1} does not fit; at most {largest}"]
    drawn = drawn_after(browser, "fig-05-5", {"prompt": 1792, "batch": largest + 1}, expected)
    assert expected[0] in drawn, drawn


PHONE = {"width": 390, "height": 844, "deviceScaleFactor": 1, "mobile": True}
"""A phone's screen, as chromium's device emulation sets it (390 px: an iPhone 12 to 15)."""

NARROW_SCRIPT = """
    const width = document.documentElement.clientWidth;
    const charts = Array.from(document.querySelectorAll('.llmcost-chart')).map(el => {
        const svg = el.querySelector('.llmcost-chart-view svg, .llmcost-chart-static svg');
        return svg ? [el.id, svg.getBoundingClientRect().width, el.getBoundingClientRect().width] : [el.id, 0, 0];
    }).filter(([id, drawn, box]) => drawn > box + 1);
    return {width: width, page: document.documentElement.scrollWidth, charts: charts};
"""


def narrow_defects(measured: dict) -> list[str]:
    """What a phone reader would have to scroll sideways for, from :data:`NARROW_SCRIPT`'s measures."""
    found = [f"the page is {measured['page']} px wide on a {measured['width']} px screen"] if measured["page"] > measured["width"] + 1 else []
    return found + [f"chart {chart} is {drawn:.0f} px in a {box:.0f} px box" for chart, drawn, box in measured["charts"]]


def test_narrow_defects_are_found():
    assert narrow_defects({"width": 390, "page": 448, "charts": [["c1", 596, 342]]}) == [
        "the page is 448 px wide on a 390 px screen", "chart c1 is 596 px in a 342 px box"]
    assert narrow_defects({"width": 390, "page": 390, "charts": []}) == []


def test_nothing_scrolls_sideways_on_a_phone(book_html: Path, browser) -> None:
    """Issue 21: at 390 px, from disk, no page is wider than the screen (long inline code and links
    wrap, wide tables scroll inside their own box) and every chart is scaled to its box."""
    browser.execute_cdp_cmd("Emulation.setDeviceMetricsOverride", PHONE)
    try:
        found = []
        for page in toc_pages():
            browser.get((book_html / page).as_uri())
            wait_for_charts(browser)
            found += [f"{page}: {defect}" for defect in narrow_defects(browser.execute_script(NARROW_SCRIPT))]
    finally:
        browser.execute_cdp_cmd("Emulation.clearDeviceMetricsOverride", {})
    assert not found, "\n".join(found)


SEARCH_RESULTS = """
    const items = Array.from(document.querySelectorAll('#search-results li'));
    const status = document.querySelector('#search-results .search-summary');
    const done = status && /found (\\d+) page/.exec(status.innerText);
    return {found: done ? Number(done[1]) : null, results: items.length,
            summaries: items.filter(li => li.querySelector('p.context')).length};
"""


@pytest.mark.parametrize("mode", ["http", "file"])
def test_search_finds_pages_with_their_text(mode: str, book_html: Path, server: str, browser) -> None:
    """Issue 21: search works from disk as over http: results for a word, each with the passage
    around it (from disk the page texts come from _ext/llmcost_search.py), and no console error."""
    network_events(browser), severe_console(browser)
    browser.get(page_url(mode, "search.html", book_html, server) + "?q=utilization")
    deadline = time.monotonic() + 30
    found = browser.execute_script(SEARCH_RESULTS)
    while time.monotonic() < deadline and not (found["found"] and found["summaries"] == found["results"] == found["found"]):
        time.sleep(0.25)
        found = browser.execute_script(SEARCH_RESULTS)
    problems = [f"console: {message}" for message in severe_console(browser)] + network_problems(network_events(browser))
    assert found["found"] and found["found"] >= 5 and found["summaries"] == found["results"] == found["found"] and not problems, \
        (mode, found, problems)
