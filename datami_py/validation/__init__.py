"""Validation of tables: schema errors and quality warnings (see :func:`validate_table`)."""

from datami_py.validation.validator import ValidationReport, validate_table

__all__ = ["ValidationReport", "validate_table"]
