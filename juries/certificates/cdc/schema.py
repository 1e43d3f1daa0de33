"""The CDC schema (``schemas/cdc-accrochage-1.1.2.xsd``) and the streaming validation of a flux."""

import io
from functools import lru_cache
from pathlib import Path

from lxml import etree

SCHEMA_PATH = Path(__file__).resolve().parent.parent / "schemas" / "cdc-accrochage-1.1.2.xsd"
NS = "urn:cdc:cpf:pc5:schema:1.0.0"
XSI = "http://www.w3.org/2001/XMLSchema-instance"
PASSAGE_TAG = f"{{{NS}}}passageCertification"


@lru_cache(maxsize=1)
def schema() -> etree.XMLSchema:
    return etree.XMLSchema(etree.parse(str(SCHEMA_PATH)))


def validation_errors(source) -> list[str]:
    """Schema errors of a flux given as bytes or a binary file, read incrementally: each
    passage is dropped once validated, so a 20 MB flux does not become a 200 MB tree."""
    xsd = schema()
    stream = io.BytesIO(source) if isinstance(source, bytes | bytearray) else source
    line = 0
    # lxml keeps a per-thread log of past parse errors: start this validation with an empty one.
    etree.clear_error_log()
    try:
        # Events for the passages only: the other 20 elements of each are parsed in C.
        for _event, element in etree.iterparse(stream, events=("end",), tag=PASSAGE_TAG, schema=xsd):
            line = element.sourceline or line
            element.clear()
            while element.getprevious() is not None:
                del element.getparent()[0]
    except etree.XMLSyntaxError as exc:
        # The streaming validator does not know line numbers: the last passage read gives one.
        messages = [e.message for e in exc.error_log] or [str(exc)]
        return [f"line {line}: {message}" for message in messages]
    return []
