"""Logs and crash reports that never hold a child's data or a token.

The rule for every log call in ascms-tui: counts, record types, ids and
exception *types* only; never a field value, a name, a note, a case number or
an error message (messages quote what was typed). Two nets catch what slips:
the formatter drops every exception's message and local variables, and it
masks anything shaped like a token, an email address or a phone number, and
the query part of URLs (a SOQL query can name a student).

Logs go to `ascms-tui.log` in the user log folder ($ASCMS_TUI_LOG_DIR
overrides it), rotated at 1 MB, private to the user. Crash reports go beside
them: the exception's type and where in the code it happened, nothing more.
"""

from __future__ import annotations

import logging
import logging.handlers
import os
import platform
import re
import sys
import traceback
from datetime import UTC, datetime
from pathlib import Path

from .permissions import FILE_MODE, private_dir

LOG_DIR_ENV = "ASCMS_TUI_LOG_DIR"
LOG_NAME = "ascms-tui.log"
LOGGER = "ascms_tui"

# Pattern texts, compiled on first use by re.sub (and cached by re): logging is set up before the first paint.
_REDACTIONS = [
    (r"(?i)\b(bearer|oauth)\s+[A-Za-z0-9._~+/=!-]+", r"\1 [token]"),
    (r"(?i)([\"']?(?:access_token|refresh_token|id_token|client_secret|password|passphrase|code|"
     r"device_code|sid|token)[\"']?\s*[:=]\s*[\"']?)[^\s\"'&,}]+", r"\1[redacted]"),
    (r"\b00D[A-Za-z0-9]{12,15}![A-Za-z0-9._]+", "[session id]"),  # a Salesforce session id
    (r"(https?://[^\s?#]+)\?[^\s#]*", r"\1?[query]"),
    (r"[^@\s<>()\"']+@[^@\s<>()\"']+\.[A-Za-z]{2,}", "[email]"),
    (r"(?<!\d)(?:\+?64|0)[\s-]?\d{1,2}[\s-]?\d{3}[\s-]?\d{3,4}(?!\d)", "[phone]"),
]


def log_dir() -> Path:
    if os.environ.get(LOG_DIR_ENV):
        return Path(os.environ[LOG_DIR_ENV]).expanduser()
    from platformdirs import user_log_path

    return user_log_path("ascms-tui", appauthor=False)


def redact(text: str) -> str:
    for pattern, replacement in _REDACTIONS:
        text = re.sub(pattern, replacement, text)
    return text


def describe_exception(error: BaseException) -> str:
    """The exception's type and the code path to it: file, line and function only, never values."""
    lines = [f"{type(error).__module__}.{type(error).__qualname__}"]
    for frame in traceback.extract_tb(error.__traceback__):
        lines.append(f"  at {_short_path(frame.filename)}:{frame.lineno} in {frame.name}")
    cause = error.__cause__ or (None if error.__suppress_context__ else error.__context__)
    if cause is not None and cause is not error:
        lines.append("caused by " + describe_exception(cause))
    return "\n".join(lines)


def _short_path(filename: str) -> str:
    # Keep the package-relative part: the user's home folder names the user.
    parts = Path(filename).parts
    for anchor in ("ascms_tui", "screens", "widgets", "site-packages"):
        if anchor in parts:
            return "/".join(parts[parts.index(anchor):])
    return Path(filename).name


class SafeFormatter(logging.Formatter):
    def formatException(self, ei) -> str:
        return describe_exception(ei[1]) if ei and ei[1] is not None else ""

    def formatStack(self, stack_info: str) -> str:
        return ""

    def format(self, record: logging.LogRecord) -> str:
        return redact(super().format(record))


class _PrivateRotatingHandler(logging.handlers.RotatingFileHandler):
    def _open(self):
        # Created 0600 from the first byte, rotated files too.
        descriptor = os.open(self.baseFilename, os.O_WRONLY | os.O_CREAT | os.O_APPEND, FILE_MODE)
        return os.fdopen(descriptor, self.mode.replace("w", "a"), encoding=self.encoding, errors=self.errors)


def setup_logging(level: int = logging.INFO) -> Path:
    """Log ascms-tui's own messages to the private log file (idempotent). Returns the file."""
    folder = private_dir(log_dir())
    path = folder / LOG_NAME
    logger = logging.getLogger(LOGGER)
    for handler in logger.handlers:
        if isinstance(handler, _PrivateRotatingHandler) and Path(handler.baseFilename) == path:
            return path
        # Another log folder (tests switch it): the old handler goes.
    for handler in list(logger.handlers):
        if isinstance(handler, _PrivateRotatingHandler):
            logger.removeHandler(handler)
            handler.close()
    handler = _PrivateRotatingHandler(path, maxBytes=1_000_000, backupCount=3, encoding="utf-8")
    handler.setFormatter(SafeFormatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    logger.addHandler(handler)
    logger.setLevel(level)
    logger.propagate = False  # nothing of ours reaches a root handler someone else set up
    return path


def write_crash_report(error: BaseException) -> Path:
    """A crash report with no record contents: versions, the exception's type, and where it happened."""
    from importlib.metadata import PackageNotFoundError, version

    try:
        ours = version("ascms-tui")
    except PackageNotFoundError:
        ours = "unknown"
    folder = private_dir(log_dir())
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S%fZ")
    path = folder / f"crash-{stamp}.txt"
    text = (
        f"ascms-tui {ours} crashed at {stamp}\n"
        f"Python {platform.python_version()} on {platform.system()} {platform.machine()}\n"
        "The exception's message and the program's data are left out on purpose: they may hold a child's details.\n\n"
        + describe_exception(error) + "\n"
    )
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, FILE_MODE)
    with os.fdopen(descriptor, "w", encoding="utf-8") as out:
        out.write(text)
    logging.getLogger(LOGGER).error("crashed (%s); report %s", type(error).__name__, path.name)
    return path


def install_crash_handler() -> None:
    """Uncaught exceptions in the batch commands write a crash report instead of a traceback with values."""
    def hook(kind, error, tb):
        if issubclass(kind, KeyboardInterrupt):
            sys.__excepthook__(kind, error, tb)
            return
        try:
            path = write_crash_report(error)
            print(f"ascms-tui stopped unexpectedly ({kind.__name__}). A report without any case data "
                  f"is in {path}", file=sys.stderr)
        except OSError:
            print(f"ascms-tui stopped unexpectedly ({kind.__name__}).", file=sys.stderr)

    sys.excepthook = hook
