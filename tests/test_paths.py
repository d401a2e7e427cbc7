"""Unsafe resource and schema paths are refused before any file is opened."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

from datami_py.errors import DatamiError, describe
from datami_py.session import Session
from tests.helpers import copy_case

DESCRIPTORS = [
    ("datapackage.json", "../../etc/passwd"),
    ("datapackage-absolute.json", "/etc/passwd"),
    ("datapackage-hidden-dotdot.json", "data/../../../etc/passwd"),
    ("datapackage-windows.json", "C:\\Windows\\win.ini"),
    ("datapackage-file-url.json", "file:///etc/passwd"),
    ("datapackage-multipart.json", "../../etc/passwd"),
    ("datapackage-schema-path.json", "../../etc/passwd"),
    ("datapackage-encoded.json", "%2e%2e/%2e%2e/etc/passwd"),
]

_opened: list[str] = []


def _record_open(event: str, arguments: tuple) -> None:
    if event == "open" and arguments and isinstance(arguments[0], (str, Path)):
        _opened.append(str(arguments[0]))


sys.addaudithook(_record_open)


def open_all_tables(descriptor: Path) -> None:
    session = Session.open(descriptor)
    for resource in session.package.resources:
        session.table(resource.name)


@pytest.mark.parametrize("descriptor_name, unsafe_path", DESCRIPTORS)
def test_unsafe_path_refused_unread(tmp_path, descriptor_name, unsafe_path):
    folder = copy_case("B17", tmp_path / "sandbox" / "package")
    outside = tmp_path / "sandbox" / "etc"
    outside.mkdir()
    (outside / "passwd").write_text("sentinel\n")
    _opened.clear()

    with pytest.raises(DatamiError) as raised:
        open_all_tables(folder / descriptor_name)

    assert raised.value.code == "package.unsafe-path"
    assert raised.value.params["path"] == unsafe_path
    assert not [path for path in _opened if "passwd" in path or "win.ini" in path]


def test_windows_forms_all_refused(tmp_path):
    folder = copy_case("B17", tmp_path)
    descriptor = json.loads((folder / "datapackage-windows.json").read_text())
    paths = [resource["path"] for resource in descriptor["resources"]]
    assert len(paths) == 4

    for path in paths:
        single = {"resources": [{"name": "r", "path": path}]}
        (folder / "single.json").write_text(json.dumps(single))
        with pytest.raises(DatamiError) as raised:
            Session.open(folder / "single.json")
        assert raised.value.code == "package.unsafe-path", path


def test_symlink_leaving_folder_refused(tmp_path):
    folder = tmp_path / "package"
    folder.mkdir()
    secret = tmp_path / "secret.csv"
    secret.write_text("a,b\n1,2\n")
    (folder / "communes.csv").symlink_to(secret)
    (folder / "datapackage.json").write_text(json.dumps({"resources": [{"name": "communes", "path": "communes.csv"}]}))
    _opened.clear()

    with pytest.raises(DatamiError) as raised:
        open_all_tables(folder)

    assert raised.value.code == "package.unsafe-path"
    assert str(secret) not in _opened


def test_unsafe_path_message_in_french(tmp_path):
    folder = copy_case("B17", tmp_path)

    with pytest.raises(DatamiError) as raised:
        Session.open(folder / "datapackage-absolute.json")

    text = describe(raised.value, "fr")
    assert "/etc/passwd" in text
    assert "chemin absolu" in text
