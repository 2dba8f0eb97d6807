"""A tiny Chrome DevTools Protocol client over --remote-debugging-pipe: load a page in real headless Chromium and
record what it did (requests, console errors, dialogs), evaluate expressions, take a full-page screenshot.

No port is opened and no driver is downloaded: Chromium reads NUL-terminated JSON messages on fd 3 and writes
its answers on fd 4. Every wait is bounded.
"""

from __future__ import annotations

import base64
import contextlib
import fcntl
import itertools
import json
import os
import select
import shutil
import subprocess
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

WAIT_SECONDS = 30.0
FLAGS = ("--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--disable-extensions", "--disable-default-apps", "--mute-audio", "--no-default-browser-check",
         "--host-resolver-rules=MAP * ~NOTFOUND")  # even if a page asked, no name would resolve


def chromium_path() -> str | None:
    for name in ("chromium", "chromium-browser", "google-chrome"):
        found = shutil.which(name)
        if found:
            return found
    return None


class CdpError(RuntimeError):
    pass


@dataclass(slots=True)
class PageLoad:
    url: str
    requests: list[str] = field(default_factory=list)  # every URL the page asked for, its own included
    console_errors: list[str] = field(default_factory=list)
    dialogs: list[str] = field(default_factory=list)

    def foreign_requests(self) -> list[str]:
        """Requests other than the page itself and data: URLs."""
        return [u for u in self.requests if u.split("#")[0] != self.url and not u.startswith("data:")]


class Chromium:
    """One headless Chromium with a fresh profile; use as a context manager."""

    def __init__(self, executable: str, width: int = 1366, height: int = 900) -> None:
        self.executable, self.width, self.height = executable, width, height
        self._ids = itertools.count(1)
        self._buffer = b""
        self._events: list[dict[str, Any]] = []

    def __enter__(self) -> Chromium:
        self._profile = tempfile.mkdtemp(prefix="odq-chromium-")
        to_browser_r, self._to_browser = os.pipe()
        self._from_browser, from_browser_w = os.pipe()

        def wire() -> None:  # the child's fd 3 reads our commands, fd 4 carries its answers
            high_r = fcntl.fcntl(to_browser_r, fcntl.F_DUPFD, 10)  # above 4, so neither dup2 clobbers the other
            high_w = fcntl.fcntl(from_browser_w, fcntl.F_DUPFD, 10)
            os.dup2(high_r, 3)
            os.dup2(high_w, 4)

        self._process = subprocess.Popen(
            [self.executable, *FLAGS, f"--user-data-dir={self._profile}", "--remote-debugging-pipe",
             f"--window-size={self.width},{self.height}", "about:blank"],
            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
            preexec_fn=wire, close_fds=False,  # only 3 and 4 are inheritable (PEP 446)
        )
        os.close(to_browser_r)
        os.close(from_browser_w)
        return self

    def __exit__(self, *exc: object) -> None:
        with contextlib.suppress(CdpError, OSError):
            self.send("Browser.close", timeout=5)
        try:
            self._process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self._process.kill()
            self._process.wait(timeout=10)
        for fd in (self._to_browser, self._from_browser):
            with contextlib.suppress(OSError):
                os.close(fd)
        shutil.rmtree(self._profile, ignore_errors=True)

    # -- the protocol ---------------------------------------------------------------------------------------
    def _read_message(self, deadline: float) -> dict[str, Any]:
        while b"\0" not in self._buffer:
            left = deadline - time.monotonic()
            if left <= 0:
                raise CdpError("Chromium did not answer in time")
            ready, _, _ = select.select([self._from_browser], [], [], left)
            if ready:
                chunk = os.read(self._from_browser, 1 << 20)
                if not chunk:
                    raise CdpError("Chromium closed the DevTools pipe")
                self._buffer += chunk
        message, self._buffer = self._buffer.split(b"\0", 1)
        return json.loads(message)

    def send(self, method: str, params: dict[str, Any] | None = None, session: str | None = None,
             timeout: float = WAIT_SECONDS) -> dict[str, Any]:
        number = next(self._ids)
        message: dict[str, Any] = {"id": number, "method": method, "params": params or {}}
        if session:
            message["sessionId"] = session
        os.write(self._to_browser, json.dumps(message).encode() + b"\0")
        deadline = time.monotonic() + timeout
        while True:
            answer = self._read_message(deadline)
            if answer.get("id") == number:
                if "error" in answer:
                    raise CdpError(f"{method}: {answer['error']}")
                return answer.get("result", {})
            if "method" in answer:
                self._events.append(answer)

    def _wait_for(self, method: str, session: str, timeout: float = WAIT_SECONDS) -> None:
        deadline = time.monotonic() + timeout
        seen = 0
        while True:
            for event in self._events[seen:]:
                if event.get("method") == method and event.get("sessionId") == session:
                    return
            seen = len(self._events)
            self._events.append(self._read_message(deadline))

    # -- what the tests use ---------------------------------------------------------------------------------
    def load(self, path: Path) -> Page:
        target = self.send("Target.createTarget", {"url": "about:blank"})["targetId"]
        session = self.send("Target.attachToTarget", {"targetId": target, "flatten": True})["sessionId"]
        for domain in ("Page", "Runtime", "Log", "Network"):
            self.send(f"{domain}.enable", session=session)
        self.send("Emulation.setDeviceMetricsOverride",
                  {"width": self.width, "height": self.height, "deviceScaleFactor": 1, "mobile": False},
                  session=session)
        url = path.resolve().as_uri()
        self._events.clear()
        self.send("Page.navigate", {"url": url}, session=session)
        self._wait_for("Page.loadEventFired", session)
        page = Page(self, session, PageLoad(url))
        page.settle()
        return page


@dataclass(slots=True)
class Page:
    browser: Chromium
    session: str
    load: PageLoad

    def settle(self) -> None:
        """Let late events arrive (a second evaluation round-trip), then read every event of this page."""
        self.evaluate("new Promise(r => setTimeout(r, 300))", await_promise=True)
        for event in self.browser._events:
            if event.get("sessionId") != self.session:
                continue
            method, params = event["method"], event.get("params", {})
            if method == "Network.requestWillBeSent":
                self.load.requests.append(params["request"]["url"])
            elif method == "Runtime.consoleAPICalled" and params.get("type") in ("error", "assert"):
                self.load.console_errors.append(" ".join(str(a.get("value", a.get("description")))
                                                         for a in params.get("args", [])))
            elif method == "Runtime.exceptionThrown":
                self.load.console_errors.append(str(params.get("exceptionDetails", {}).get("text")))
            elif method == "Log.entryAdded" and params.get("entry", {}).get("level") == "error":
                self.load.console_errors.append(str(params["entry"].get("text")))
            elif method == "Page.javascriptDialogOpening":
                self.load.dialogs.append(str(params.get("message")))
                self.browser.send("Page.handleJavaScriptDialog", {"accept": False}, session=self.session)

    def evaluate(self, expression: str, await_promise: bool = False) -> Any:
        result = self.browser.send("Runtime.evaluate", {"expression": expression, "returnByValue": True,
                                                        "awaitPromise": await_promise}, session=self.session)
        if "exceptionDetails" in result:
            raise CdpError(f"{expression[:60]}: {result['exceptionDetails'].get('text')}")
        return result.get("result", {}).get("value")

    def screenshot(self, out: Path) -> Path:
        """The whole page at its CSS width, saved as PNG."""
        width = self.evaluate("document.scrollingElement.scrollWidth")
        height = min(int(self.evaluate("document.scrollingElement.scrollHeight")), 16000)
        shot = self.browser.send("Page.captureScreenshot", {
            "format": "png", "captureBeyondViewport": True,
            "clip": {"x": 0, "y": 0, "width": width, "height": height, "scale": 1}}, session=self.session)
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_bytes(base64.b64decode(shot["data"]))
        return out
