"""The app as the browser tests serve it: the real app, plus test-only fixture pages.

Run by the e2e conftest as a separate process (``python -m tests.e2e.server``) against a
migrated, demo-loaded SQLite database in a temporary instance folder. The fixture pages exist
only here: ``create_app()`` never registers them, so the production URL map (and the
authorisation sweep built from it) does not see them.
"""

from __future__ import annotations

import argparse
import os
import sys
import threading
import time
from pathlib import Path

from flask import Blueprint, Flask, abort, render_template_string
from werkzeug.serving import make_server

from engage import create_app

FIXTURES = Path(__file__).resolve().parent / "fixtures"
FIXTURE_PREFIX = "/_e2e/fixtures"


def _fixture_names() -> set[str]:
    return {path.stem for path in FIXTURES.glob("*.html")}


def create_test_app() -> Flask:
    """The real app, with tests/e2e/fixtures/<name>.html served at /_e2e/fixtures/<name>."""
    app = create_app()
    fixtures = Blueprint("e2e_fixtures", __name__, url_prefix=FIXTURE_PREFIX)

    @fixtures.get("/<name>")
    def fixture(name: str) -> str:
        # Templates, so a fixture can extend base.html and get the app's real headers and CSP.
        if name not in _fixture_names():
            abort(404)
        return render_template_string((FIXTURES / f"{name}.html").read_text(encoding="utf-8"))

    app.register_blueprint(fixtures)
    return app


def _exit_with(parent: int) -> None:
    """Stop when the test session that started us is gone (killed, not torn down)."""
    while True:
        time.sleep(1)
        if os.getppid() != parent:
            os._exit(0)


def main(argv: list[str] | None = None) -> None:
    """Serve on a free port of the host given; print ``port <n>`` once listening."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    args = parser.parse_args(argv)
    threading.Thread(target=_exit_with, args=(os.getppid(),), daemon=True).start()
    server = make_server(args.host, 0, create_test_app(), threaded=True)
    print(f"port {server.server_port}", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
    sys.exit(0)


if __name__ == "__main__":
    main()
