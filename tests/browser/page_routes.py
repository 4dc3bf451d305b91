"""Every page route is opened by a browser test, or excluded here with the reason why not.

A page route is a route of the app that answers GET, outside the API (/api/) and the static files
(`page_endpoints`). The live server (conftest.py) records the endpoint of every GET request made to it that
answered 200 with HTML (`record_visits`): a redirect, an error page or a file download does not count as a visit.

After a run that included the whole of tests/browser, with every browser test passed, the page routes that no
browser test opened and EXCLUDED does not name fail the run as one more failed test, `CHECK` (reported from
pytest_sessionfinish, on xdist's controller: each worker sends its visits, its collection and its routes in
workeroutput, and the controller checks their union). An exclusion of a route that no longer exists, or that a
browser test opens after all, fails it too.

"The whole of tests/browser" means: every tests/browser/test_*.py file is named by a command-line argument (or
the directory holding it, as `pytest` alone does through testpaths) without a ::node id, has tests collected, and
none of its tests was deselected (-k, -m, --deselect, --lf). A run of part of it, or one where a browser test
failed or was skipped (no Chromium: the visits are then incomplete), checks nothing and says so in its summary.
`make test` and .ci/run run `pytest` alone: the check runs there."""
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from flask import request, request_finished

BROWSER_DIR = Path(__file__).resolve().parent
LIVE = "yiyang.live_server"  # the WSGI environ key the live server sets on each of its requests
CHECK = "tests/browser/page_routes.py::every page route is visited"

# Page routes no browser test opens, each with the reason. Anything else a new page adds must be visited.
EXCLUDED = {
    "provider_pages.document": "a file download (a document sent with a provider's application, as an attachment), "
                               "not a page: tests/security/test_access_matrix.py checks who gets it, "
                               "tests/providers/test_documents_and_caregivers.py the file (through the API)",
    "report_pages.download_page": "a file download (a report as CSV or XLSX), not a page: "
                                  "tests/reports/test_pages.py checks it",
    "settlement_pages.download": "a file download (a statement as CSV or XLSX), not a page: "
                                 "tests/settlement/test_pages.py and test_commands_and_exports.py check it",
}


def page_endpoints(app) -> dict[str, str]:
    """Endpoint -> URL rule of every route that answers GET, other than the API's and the static files'."""
    return {rule.endpoint: rule.rule for rule in app.url_map.iter_rules()
            if "GET" in rule.methods and not rule.rule.startswith("/api/")
            and rule.endpoint.rsplit(".", 1)[-1] != "static"}


def record_visits(app, visited: set):
    """Add to `visited` the endpoint of every live-server GET that answers 200 with HTML; returns the undo."""
    def on_finished(sender, response, **extra):
        if (request.environ.get(LIVE) and request.method == "GET" and request.url_rule is not None
                and response.status_code == 200 and response.mimetype == "text/html"):
            visited.add(request.url_rule.endpoint)

    request_finished.connect(on_finished, app, weak=False)
    return lambda: request_finished.disconnect(on_finished, app)


def problems(routes: dict[str, str], visited: set, excluded: dict[str, str]) -> list[str]:
    """What the check reports: routes neither visited nor excluded, and exclusions that are wrong."""
    found = [f"{endpoint} ({routes[endpoint]}): no browser test opens it; visit it in one (with an axe check), "
             f"or add it to EXCLUDED in {CHECK.split('::')[0]} with the reason"
             for endpoint in sorted(set(routes) - visited - set(excluded))]
    found += [f"{endpoint}: excluded, but no such page route (any more)"
              for endpoint in sorted(set(excluded) - set(routes))]
    found += [f"{endpoint}: excluded, but a browser test opens it: drop the exclusion"
              for endpoint in sorted(set(excluded) & visited)]
    found += [f"{endpoint}: excluded without a reason" for endpoint, why in sorted(excluded.items()) if not why.strip()]
    return found


@dataclass(eq=False)  # a plugin is hashed: compared by identity
class RouteCoverage:
    """One per pytest process. A worker (or a run without xdist) records; the process that is not a worker checks."""
    config: object
    visited: set = field(default_factory=set)
    routes: dict = field(default_factory=dict)  # endpoint -> rule, once a live server started
    collected: set = field(default_factory=set)  # node ids of the browser tests collected
    deselected: bool = False  # some browser test was deselected
    whole: bool = False  # the whole of tests/browser was selected (see the module's docstring)
    passed: set = field(default_factory=set)
    not_passed: set = field(default_factory=set)
    nodes_whole: list = field(default_factory=list)  # on xdist's controller: each worker's `whole`
    summary: str = ""

    def _browser(self, nodeid: str) -> bool:
        return nodeid.startswith(BROWSER_DIR.relative_to(self.config.rootpath).as_posix() + "/")

    def _named_whole(self) -> bool:
        """Every browser test file is named, by itself or a directory above it, by an argument without ::."""
        base = self.config.invocation_params.dir
        named = [(base / arg).resolve() for arg in self.config.args if "::" not in arg]
        files = sorted(BROWSER_DIR.glob("test_*.py"))
        return bool(files) and all(any(p == f or p in f.parents for p in named) for f in files)

    # Collection, on a worker or a run without xdist (xdist's controller collects nothing).
    def pytest_deselected(self, items):
        self.deselected = self.deselected or any(self._browser(item.nodeid) for item in items)

    def pytest_collection_finish(self, session):
        browser = [item for item in session.items if self._browser(item.nodeid)]
        self.collected = {item.nodeid for item in browser}
        files_collected = {Path(item.path).resolve() for item in browser}
        self.whole = (self._named_whole() and not self.deselected
                      and set(BROWSER_DIR.glob("test_*.py")) <= files_collected)

    # Outcomes: on xdist's controller the workers' reports arrive here too.
    def pytest_runtest_logreport(self, report):
        if not self._browser(report.nodeid) or report.nodeid == CHECK:
            return
        if report.when == "call" and report.passed:
            self.passed.add(report.nodeid)
        elif not report.passed:
            self.not_passed.add(report.nodeid)

    @pytest.hookimpl(optionalhook=True)
    def pytest_testnodedown(self, node, error):
        """xdist's controller: one worker's records."""
        out = getattr(node, "workeroutput", {}).get("yiyang_page_routes")
        if out is None or error:
            self.nodes_whole.append(False)
            return
        self.nodes_whole.append(out["whole"])
        self.visited.update(out["visited"])
        self.collected.update(out["collected"])
        self.routes.update(out["routes"])

    @pytest.hookimpl(tryfirst=True)
    def pytest_sessionfinish(self, session):
        if hasattr(self.config, "workerinput"):  # a worker: hand the records to the controller
            self.config.workeroutput["yiyang_page_routes"] = dict(
                whole=self.whole, visited=sorted(self.visited), collected=sorted(self.collected),
                routes=self.routes)
            return
        whole = all(self.nodes_whole) if self.nodes_whole else self.whole
        if whole and not self.config.option.collectonly:  # else not all of tests/browser ran: nothing to say
            self.summary = self._check(session)

    def _check(self, session) -> str:
        incomplete = (self.collected - self.passed) | self.not_passed
        if incomplete or not self.collected:
            return (f"page routes not checked: {len(incomplete)} of {len(self.collected)} browser tests did not "
                    "pass, so their visits are incomplete")
        if not self.routes:
            return "page routes not checked: no live server started"
        found = problems(self.routes, self.visited, EXCLUDED)
        report = pytest.TestReport(
            nodeid=CHECK, location=(CHECK.split("::")[0], 0, "every page route is visited"), keywords={},
            outcome="failed" if found else "passed", when="call",
            longrepr=("Page routes:\n" + "\n".join(f"  {line}" for line in found)) if found else None)
        session.testscollected += 1  # one more test, for the progress shown
        self.config.hook.pytest_runtest_logreport(report=report)
        if found and session.exitstatus == pytest.ExitCode.OK:  # the hook above counted it in testsfailed
            session.exitstatus = pytest.ExitCode.TESTS_FAILED
        return (f"page routes: {len(self.routes)} in all, {len(EXCLUDED)} excluded, "
                f"{len(set(self.routes) & self.visited)} visited by browser tests"
                + (f"; {len(found)} to put right (see {CHECK})" if found else ""))

    def pytest_terminal_summary(self, terminalreporter):
        if self.summary:
            terminalreporter.write_sep("-", self.summary)


KEY = pytest.StashKey[RouteCoverage]()


def register(config):
    """Called from tests/conftest.py's pytest_configure: the plugin of this process."""
    plugin = RouteCoverage(config)
    config.stash[KEY] = plugin
    config.pluginmanager.register(plugin, "yiyang-page-routes")
