"""Reading qualification fields from what leads write, in English, Persian, Arabic and Russian."""

from app.domain.extraction.extractor import extract
from app.domain.extraction.result import Extraction, Found

__all__ = ["Extraction", "Found", "extract"]
