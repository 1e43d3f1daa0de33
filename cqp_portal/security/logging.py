"""Defence in depth for the logs: e-mail addresses are masked in every record a handler writes,
including exception texts (an IntegrityError's DETAIL quotes the duplicate value)."""

import logging
import re

EMAIL = re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}")
MASK = "[e-mail]"


def redact(text: str) -> str:
    return EMAIL.sub(MASK, text)


class RedactPersonalData(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        try:
            record.msg = redact(record.getMessage())
            record.args = None
            if record.exc_info and not record.exc_text:
                record.exc_text = redact(logging.Formatter().formatException(record.exc_info))
            elif record.exc_text:
                record.exc_text = redact(record.exc_text)
        except Exception:  # noqa: S110 (never lose a log line because of the filter)
            pass
        return True
