"""A logging filter that blanks secrets carried in URLs (an Open311 client's ``api_key=…`` in the
query string) before a log line is written. Framework-free: it rewrites the record's message."""

import logging
import re

SECRET_PARAMS = ("api_key",)
_PATTERN = re.compile(r"(?i)\b(" + "|".join(map(re.escape, SECRET_PARAMS)) + r")=[^&\s\"']*")


def scrub(text: str) -> str:
    return _PATTERN.sub(r"\1=***", text)


class ScrubSecrets(logging.Filter):
    """Replace the values of ``SECRET_PARAMS`` in the message and its string arguments."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.msg, str):
            record.msg = scrub(record.msg)
        if isinstance(record.args, tuple):
            record.args = tuple(scrub(a) if isinstance(a, str) else a for a in record.args)
        elif isinstance(record.args, dict):
            record.args = {k: scrub(v) if isinstance(v, str) else v for k, v in record.args.items()}
        return True
