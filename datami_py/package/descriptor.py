"""Loading a Frictionless data package: its descriptor, resources and Table Schemas.

The descriptor is read as JSON here rather than through frictionless-py, because every
path in it must be checked before any file is opened (see :mod:`.paths`), and because
the editor needs the resource exactly as written to save it back unchanged.
Frictionless stays the reference for validation (see :mod:`datami_py.validation`).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from datami_py.errors import DatamiError, Location
from datami_py.i18n import message
from datami_py.package.paths import resolve_inside

DESCRIPTOR_NAME = "datapackage.json"

PATH_NOT_FOUND = message(
    "package.path-not-found",
    "{path} does not exist. Check its spelling, or give the path of a datapackage.json, of its folder, or of a CSV file.",
)
PACKAGE_NOT_FOUND = message(
    "package.not-found",
    "No data package at {path}: there is no datapackage.json there. "
    "Give the path of a datapackage.json, of its folder, or of a CSV file.",
)
DESCRIPTOR_INVALID_JSON = message(
    "package.invalid-json",
    "datapackage.json is not valid JSON (line {line}, column {column}: {error}). Fix it in a text editor.",
)
SCHEMA_INVALID_JSON = message(
    "package.schema-invalid-json",
    "The Table Schema of resource “{resource}” is not valid JSON (line {line}, column {column}: {error}).",
)
NO_RESOURCES = message("package.no-resources", "The data package has no resources: add one under \"resources\".")
RESOURCE_NOT_FOUND = message(
    "package.resource-not-found",
    "There is no resource named “{resource}”. Resources in this package: {names}.",
)
RESOURCE_FILE_MISSING = message(
    "package.resource-file-missing",
    "The data file {path} of resource “{resource}” does not exist. Check its \"path\" in datapackage.json.",
)
RESOURCE_NOT_TABULAR = message(
    "package.resource-not-csv",
    "Resource “{resource}” is not a CSV file ({path}); only CSV resources can be edited.",
)
RESOURCE_MULTIPART = message(
    "package.resource-multipart",
    "Resource “{resource}” is split across several files; such resources can be read by frictionless but not edited here.",
)
RESOURCE_INLINE = message(
    "package.resource-inline",
    "Resource “{resource}” has inline data and no file; only resources stored in CSV files can be edited.",
)


@dataclass
class Resource:
    """One tabular resource of a package.

    ``path`` is the data file path as written in the descriptor (relative to the package
    folder, with ``/``); ``file`` is its checked absolute location. ``schema`` is the
    Table Schema as a dict, wherever it came from; ``schema_file`` is its file when the
    descriptor names one. ``settings`` contains the Datami view settings (``x-datami``).
    """

    name: str
    path: str
    file: Path
    schema: dict[str, Any]
    schema_file: Path | None = None
    encoding: str | None = None
    delimiter: str | None = None
    descriptor: dict[str, Any] = field(default_factory=dict)

    @property
    def settings(self) -> dict[str, Any]:
        """The resource-level Datami view settings (``x-datami``), empty when absent."""
        return self.descriptor.get("x-datami") or {}


@dataclass
class Package:
    """A data package: its folder, its descriptor and its tabular resources.

    ``descriptor_file`` is None when the package was inferred around a bare CSV file.
    """

    root: Path
    descriptor: dict[str, Any]
    resources: list[Resource]
    descriptor_file: Path | None = None

    @property
    def title(self) -> str:
        """The package title, else its name, else its folder name."""
        return str(self.descriptor.get("title") or self.descriptor.get("name") or self.root.name)

    def resource(self, name: str | None = None) -> Resource:
        """Return the resource called ``name``, or the first one when ``name`` is None.

        Raises:
            DatamiError: ``package.resource-not-found`` listing the names that exist.
        """
        if name is None:
            return self.resources[0]
        for resource in self.resources:
            if resource.name == name:
                return resource
        names = ", ".join(resource.name for resource in self.resources)
        raise DatamiError(RESOURCE_NOT_FOUND, resource=name, names=names)


def _read_json(path: Path, code: str, location: Location, **params: Any) -> Any:
    try:
        text = path.read_text(encoding="utf-8-sig")
        return json.loads(text)
    except json.JSONDecodeError as error:
        raise DatamiError(code, location, line=error.lineno, column=error.colno, error=error.msg, **params) from None


def _load_resource(root: Path, descriptor: dict[str, Any], index: int, descriptor_name: str) -> Resource:
    name = str(descriptor.get("name") or f"resource-{index + 1}")
    location = Location(file=descriptor_name)

    raw_path = descriptor.get("path")
    if raw_path is None:
        raise DatamiError(RESOURCE_INLINE, location, resource=name)
    if isinstance(raw_path, list):
        # Check every part before refusing, so an unsafe part is reported as unsafe.
        for part in raw_path:
            resolve_inside(root, part, name, descriptor_name)
        raise DatamiError(RESOURCE_MULTIPART, location, resource=name)

    file = resolve_inside(root, raw_path, name, descriptor_name)

    schema = descriptor.get("schema") or {}
    schema_file = None
    if isinstance(schema, str):
        schema_file = resolve_inside(root, schema, name, descriptor_name)
        schema = _read_json(schema_file, SCHEMA_INVALID_JSON, Location(file=schema), resource=name)

    dialect = descriptor.get("dialect")
    if isinstance(dialect, str):
        dialect = _read_json(resolve_inside(root, dialect, name, descriptor_name), SCHEMA_INVALID_JSON, Location(file=dialect), resource=name)
    dialect = dialect or {}
    # Table Dialect v2 nests CSV options under "csv"; v1 keeps them at the top.
    delimiter = dialect.get("delimiter", (dialect.get("csv") or {}).get("delimiter"))

    if not file.suffix.lower() in (".csv", ".tsv", ".txt") and descriptor.get("format", "csv") != "csv":
        raise DatamiError(RESOURCE_NOT_TABULAR, location, resource=name, path=raw_path)
    if file.suffix.lower() == ".tsv" and delimiter is None:
        delimiter = "\t"

    return Resource(
        name=name,
        path=raw_path,
        file=file,
        schema=schema,
        schema_file=schema_file,
        encoding=descriptor.get("encoding"),
        delimiter=delimiter,
        descriptor=descriptor,
    )


def load_package(path: Path) -> Package:
    """Load the package at ``path``: a ``datapackage.json``, its folder, or a bare CSV file.

    Every resource path is checked before any data file is read. Around a bare CSV file a
    package with one resource is inferred; its schema is filled in when the table is
    read (see :func:`datami_py.schema.infer.infer_schema`).

    Raises:
        DatamiError: when the descriptor is missing or invalid, or a path is unsafe.
    """
    path = Path(path)
    if path.is_dir():
        path = path / DESCRIPTOR_NAME

    if path.suffix.lower() in (".csv", ".tsv") and path.is_file():
        return _infer_package(path)
    missing = path.parent if path.name == DESCRIPTOR_NAME else path
    if not missing.exists():
        raise DatamiError(PATH_NOT_FOUND, Location(), path=str(missing))
    if not path.is_file():
        folder = path.parent if path.name == DESCRIPTOR_NAME else path
        if folder.name in ("", ".", ".."):
            folder = folder.resolve()  # "." does not tell which folder it was.
        raise DatamiError(PACKAGE_NOT_FOUND, Location(), path=str(folder))

    descriptor = _read_json(path, DESCRIPTOR_INVALID_JSON, Location(file=path.name))
    resources_descriptors = descriptor.get("resources") if isinstance(descriptor, dict) else None
    if not resources_descriptors:
        raise DatamiError(NO_RESOURCES, Location(file=path.name))

    root = path.parent
    resources = [_load_resource(root, item, index, path.name) for index, item in enumerate(resources_descriptors)]
    return Package(root=root, descriptor=descriptor, resources=resources, descriptor_file=path)


def _infer_package(csv_path: Path) -> Package:
    name = csv_path.stem.lower().replace(" ", "-")
    resource_descriptor = {"name": name, "path": csv_path.name}
    resource = Resource(
        name=name,
        path=csv_path.name,
        file=csv_path,
        schema={},
        delimiter="\t" if csv_path.suffix.lower() == ".tsv" else None,
        descriptor=resource_descriptor,
    )
    descriptor = {"name": name, "resources": [resource_descriptor]}
    return Package(root=csv_path.parent, descriptor=descriptor, resources=[resource])
