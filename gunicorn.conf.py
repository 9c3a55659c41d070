"""gunicorn settings for Engage, from the environment only.

    gunicorn -c gunicorn.conf.py "engage:create_app()"

ENGAGE_BIND (or PORT)        where to listen; default 127.0.0.1:8000 (0.0.0.0:$PORT if PORT is set)
WEB_CONCURRENCY              worker processes; default 2 × CPUs + 1 (at most 8)
GUNICORN_THREADS             threads per worker (gthread); default 4
GUNICORN_TIMEOUT             seconds before a stuck worker is restarted; default 30
GUNICORN_MAX_REQUESTS        recycle a worker after this many requests (0 = never); default 2000
FORWARDED_ALLOW_IPS          proxies trusted for X-Forwarded-Proto; default 127.0.0.1
ENGAGE_LOG_FORMAT            json (default outside development) or text

The app is not preloaded: each worker builds its own app and database pool after the fork, so
no connection is ever shared between processes. Sessions are signed cookies, so any worker on
any host can serve any request.
"""

from __future__ import annotations

import multiprocessing
import os


def _int(name: str, default: int) -> int:
    value = os.environ.get(name, "").strip()
    return int(value) if value else default


_port = os.environ.get("PORT")
bind = [os.environ.get("ENGAGE_BIND") or (f"0.0.0.0:{_port}" if _port else "127.0.0.1:8000")]
workers = _int("WEB_CONCURRENCY", min(2 * multiprocessing.cpu_count() + 1, 8))
threads = _int("GUNICORN_THREADS", 4)
worker_class = "gthread" if threads > 1 else "sync"
timeout = _int("GUNICORN_TIMEOUT", 30)
graceful_timeout = _int("GUNICORN_GRACEFUL_TIMEOUT", 30)
keepalive = _int("GUNICORN_KEEPALIVE", 5)
max_requests = _int("GUNICORN_MAX_REQUESTS", 2000)
max_requests_jitter = max_requests // 10
preload_app = False
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1")
proc_name = os.environ.get("GUNICORN_PROC_NAME", "engage")

accesslog = "-"
errorlog = "-"
loglevel = os.environ.get("ENGAGE_LOG_LEVEL", "info").lower()
if (
    os.environ.get(
        "ENGAGE_LOG_FORMAT", "text" if os.environ.get("ENGAGE_ENV") == "development" else "json"
    )
    == "json"
):
    logger_class = "engage.core.gunicorn_logger.JsonLogger"
