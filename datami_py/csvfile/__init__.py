"""Byte-faithful CSV reading and writing: see :class:`CsvDocument`."""

from datami_py.csvfile.dialect import Dialect
from datami_py.csvfile.document import CsvChanges, CsvDocument
from datami_py.csvfile.encoding import Encoding

__all__ = ["CsvChanges", "CsvDocument", "Dialect", "Encoding"]
