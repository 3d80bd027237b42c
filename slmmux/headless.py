"""A minimal headless Chromium driver: the DevTools protocol over a pipe, standard library only.

The explorer's browser test and benchmark use it to open pages offline in Debian's Chromium, evaluate
JavaScript in a page (or in one of its frames) and read the results. Chromium runs with a fresh
profile, no network services and no sandbox (tests run as root in containers)::

    with Chromium() as browser:
        page = browser.open(Path("explorer.html").as_uri())
        page.wait_for("document.body.dataset.ready === 'true'")
        print(page.evaluate("document.title"))
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

CANDIDATES = ("chromium", "chromium-browser", "google-chrome")
FLAGS = ("--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
         "--disable-component-update", "--no-first-run", "--disable-sync", "--disable-extensions",
         "--disable-dev-shm-usage", "--remote-debugging-pipe")


class BrowserError(RuntimeError):
    """Chromium is missing, died, or a protocol command failed or timed out."""


def find_chromium() -> str | None:
    """Path of a Chromium binary on PATH (Debian's package installs /usr/bin/chromium), else None."""
    for name in CANDIDATES:
        path = shutil.which(name)
        if path:
            return path
    return None


class Page:
    """One tab, driven through a flattened DevTools session."""

    def __init__(self, browser: "Chromium", session: str):
        self.browser, self.session = browser, session

    def send(self, method: str, params: dict | None = None, timeout: float = 30) -> dict:
        return self.browser.send(method, params, session=self.session, timeout=timeout)

    def evaluate(self, expression: str, context: int | None = None, timeout: float = 30):
        """Value of a JavaScript expression (promises awaited); raises BrowserError on an exception."""
        params = {"expression": expression, "awaitPromise": True, "returnByValue": True}
        if context is not None:
            params["contextId"] = context
        res = self.send("Runtime.evaluate", params, timeout=timeout)
        if "exceptionDetails" in res:
            raise BrowserError(f"JavaScript error in {expression[:80]!r}: {json.dumps(res['exceptionDetails'])[:800]}")
        return res["result"].get("value")

    def wait_for(self, expression: str, timeout: float = 60, context: int | None = None):
        """Poll until the expression is truthy; returns its value."""
        end = time.monotonic() + timeout
        while True:
            try:
                value = self.evaluate(expression, context=context)
            except BrowserError:
                value = None
            if value:
                return value
            if time.monotonic() > end:
                raise BrowserError(f"timed out after {timeout}s waiting for {expression!r}")
            time.sleep(0.05)

    def frame_context(self, url_prefix: str, timeout: float = 30) -> int:
        """An execution context in the first child frame whose URL starts with ``url_prefix``."""
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            tree = self.send("Page.getFrameTree")["frameTree"]
            for child in tree.get("childFrames", []):
                if child["frame"]["url"].startswith(url_prefix):
                    world = self.send("Page.createIsolatedWorld", {"frameId": child["frame"]["id"]})
                    return world["executionContextId"]
            time.sleep(0.05)
        raise BrowserError(f"no frame with a URL starting {url_prefix[:40]!r}")


class Chromium:
    """A headless Chromium process with a fresh profile, spoken to over --remote-debugging-pipe."""

    def __init__(self, binary: str | None = None, extra_flags: tuple[str, ...] = ()):
        self.binary = binary or find_chromium()
        if self.binary is None:
            raise BrowserError("Chromium not found (Debian: apt-get install chromium)")
        self.extra_flags = extra_flags
        self._id = 0
        self._buf = b""

    def __enter__(self) -> "Chromium":
        self._profile = tempfile.mkdtemp(prefix="chromium-profile-")
        to_child_r, self._to_child = os.pipe()
        self._from_child, from_child_w = os.pipe()

        def wire():  # the protocol pipe is fd 3 (browser reads) and fd 4 (browser writes)
            os.dup2(to_child_r, 3)
            os.dup2(from_child_w, 4)

        self.proc = subprocess.Popen(
            [self.binary, *FLAGS, *self.extra_flags, f"--user-data-dir={self._profile}", "about:blank"],
            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
            preexec_fn=wire, pass_fds=(3, 4))  # kept open past preexec_fn's dup2
        os.close(to_child_r)
        os.close(from_child_w)
        os.set_blocking(self._from_child, False)
        return self

    def __exit__(self, *exc) -> None:
        try:
            self.send("Browser.close", timeout=5)
        except (BrowserError, OSError):
            pass
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        for fd in (self._to_child, self._from_child):
            try:
                os.close(fd)
            except OSError:
                pass
        if self.proc.stderr:
            self.proc.stderr.close()
        shutil.rmtree(self._profile, ignore_errors=True)

    def _read_message(self, deadline: float) -> dict:
        while b"\0" not in self._buf:
            if self.proc.poll() is not None:
                err = self.proc.stderr.read().decode(errors="replace")[-2000:] if self.proc.stderr else ""
                raise BrowserError(f"Chromium exited with {self.proc.returncode}: {err}")
            if time.monotonic() > deadline:
                raise BrowserError("timed out waiting for Chromium")
            try:
                chunk = os.read(self._from_child, 1 << 20)
            except BlockingIOError:
                time.sleep(0.01)
                continue
            if not chunk:
                time.sleep(0.01)
            self._buf += chunk
        msg, self._buf = self._buf.split(b"\0", 1)
        return json.loads(msg)

    def send(self, method: str, params: dict | None = None, session: str | None = None, timeout: float = 30) -> dict:
        self._id += 1
        cmd = {"id": self._id, "method": method, "params": params or {}}
        if session:
            cmd["sessionId"] = session
        data = json.dumps(cmd).encode() + b"\0"
        while data:
            data = data[os.write(self._to_child, data):]
        deadline = time.monotonic() + timeout
        while True:
            msg = self._read_message(deadline)
            if msg.get("id") == self._id:
                if "error" in msg:
                    raise BrowserError(f"{method}: {msg['error']}")
                return msg.get("result", {})

    def open(self, url: str) -> Page:
        """A new tab at ``url``."""
        target = self.send("Target.createTarget", {"url": "about:blank"})["targetId"]
        session = self.send("Target.attachToTarget", {"targetId": target, "flatten": True})["sessionId"]
        page = Page(self, session)
        page.send("Page.enable")
        page.send("Runtime.enable")
        page.send("Page.navigate", {"url": url}, timeout=120)
        page.wait_for("document.readyState === 'complete'", timeout=120)
        return page
