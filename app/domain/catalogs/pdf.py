"""What makes an upload a catalog: a PDF whose structure parses, under a safe file name."""

from __future__ import annotations

import io
import logging
import re

from pypdf import PdfReader
from pypdf.errors import PyPdfError

from app.domain.errors import InvalidInput

NOT_A_PDF = "The catalog must be a PDF file (this one could not be read as a PDF)."
MAX_NAME = 200
_UNSAFE = re.compile(r"[^\w.\- ()]+")

# pypdf warns at length about every small defect it repairs; the upload's answer says enough.
logging.getLogger("pypdf").setLevel(logging.ERROR)


def check_pdf(data: bytes) -> int:
    """The number of pages, or `InvalidInput`: the header, the cross-reference table, the
    trailer and the page tree must parse. CPU-bound: call it in a worker thread."""
    if not data.startswith(b"%PDF-"):
        raise InvalidInput(NOT_A_PDF, "file")
    try:
        reader = PdfReader(io.BytesIO(data), strict=False)
        if reader.is_encrypted:
            raise InvalidInput("The catalog is password-protected; leads could not open it.", "file")
        pages = len(reader.pages)
    except InvalidInput:
        raise
    except (PyPdfError, ValueError, KeyError, TypeError, AttributeError, IndexError, RecursionError):
        raise InvalidInput(NOT_A_PDF, "file") from None
    if pages == 0:
        raise InvalidInput("The catalog PDF has no pages.", "file")
    return pages


def safe_pdf_name(filename: str | None) -> str:
    """The file's base name (no folders), with only plain characters, ending in .pdf."""
    base = re.split(r"[\\/]", filename or "")[-1]
    base = _UNSAFE.sub("_", base).strip(" ._") or "catalog"
    stem = base[:-4] if base.lower().endswith(".pdf") else base
    return f"{stem.rstrip(' ._')[: MAX_NAME - 4] or 'catalog'}.pdf"
