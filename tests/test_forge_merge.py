"""Three-way merge by primary key: upstream bytes kept, local edits replayed, conflicts reported."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from datami_py.csvfile import CsvDocument
from datami_py.forge.merge import Conflict, merge_table, resolutions_for
from tests.helpers import CASES

B20 = CASES / "B20"
SCHEMA = {
    "fields": [{"name": "code_insee", "type": "string"}, {"name": "nom", "type": "string"}, {"name": "horaires", "type": "string"}],
    "primaryKey": ["code_insee"],
}
BASE = (B20 / "base.csv").read_bytes()
LOCAL = (B20 / "local-edit.csv").read_bytes()
TOURS_CONFLICT = Conflict("37261", 2, "horaires", "9h-17h", "9h-18h", "9h-17h30")


def merge(base: bytes, ours: bytes, theirs: bytes, schema=SCHEMA, **options) -> object:
    return merge_table(base, ours, theirs, schema=schema, delimiter=None, encoding=None, **options)


def test_case_edits_on_different_rows_merge_exactly():
    result = merge(BASE, LOCAL, (B20 / "upstream.csv").read_bytes())

    assert result.conflicts == []
    assert result.content == (B20 / "expected-merged.csv").read_bytes()


def test_case_same_cell_changed_is_one_conflict():
    result = merge(BASE, LOCAL, (B20 / "upstream-conflict.csv").read_bytes())

    assert result.content is None
    assert result.conflicts == [TOURS_CONFLICT]


def test_conflict_resolved_for_either_side():
    upstream = (B20 / "upstream-conflict.csv").read_bytes()

    ours = merge(BASE, LOCAL, upstream, resolutions=resolutions_for([TOURS_CONFLICT], "ours"))
    theirs = merge(BASE, LOCAL, upstream, resolutions=resolutions_for([TOURS_CONFLICT], "theirs"))
    typed = merge(BASE, LOCAL, upstream, resolutions={("37261", "horaires"): "9h-19h"})

    assert ours.content == LOCAL
    assert ours.conflicts == [TOURS_CONFLICT]
    assert theirs.content == upstream
    assert typed.content == upstream.replace(b"9h-17h30", b"9h-19h")


def test_one_side_unchanged_returns_other_bytes():
    upstream = (B20 / "upstream.csv").read_bytes()

    assert merge(BASE, BASE, upstream).content == upstream
    assert merge(BASE, LOCAL, BASE).content == LOCAL
    assert merge(BASE, LOCAL, LOCAL).content == LOCAL


def test_same_edit_on_both_sides_is_no_conflict():
    upstream = LOCAL.replace(b"8h-16h30", b"8h-17h")

    result = merge(BASE, LOCAL, upstream)

    assert result.conflicts == []
    assert result.content == upstream


def test_upstream_bytes_kept_outside_edited_record():
    # Upstream uses CRLF, quotes a name and has no final newline: only the edited record changes.
    base = b'code_insee,nom,horaires\r\n1,"A",8h\r\n2,B,9h\r\n3,C,10h'
    ours = b'code_insee,nom,horaires\r\n1,"A",8h\r\n2,B,9h30\r\n3,C,10h'
    theirs = b'code_insee,nom,horaires\r\n1,"A, centre",8h\r\n2,B,9h\r\n3,C,10h'

    result = merge(base, ours, theirs)

    assert result.content == b'code_insee,nom,horaires\r\n1,"A, centre",8h\r\n2,B,9h30\r\n3,C,10h'


def test_rows_matched_by_key_when_upstream_moved_them():
    base = b"code_insee,nom,horaires\n1,A,8h\n2,B,9h\n"
    ours = b"code_insee,nom,horaires\n1,A,8h30\n2,B,9h\n"
    theirs = b"code_insee,nom,horaires\n0,Z,7h\n2,B,9h\n1,A,8h\n"

    result = merge(base, ours, theirs)

    assert result.content == b"code_insee,nom,horaires\n0,Z,7h\n2,B,9h\n1,A,8h30\n"


def test_cells_matched_by_field_when_upstream_added_column():
    base = b"code_insee,nom,horaires\n1,A,8h\n2,B,9h\n"
    ours = b"code_insee,nom,horaires\n1,A,8h30\n2,B,9h\n3,C,10h\n"
    theirs = b"code_insee,telephone,nom,horaires\n1,01,A,8h\n2,02,B,9h\n"

    result = merge(base, ours, theirs)

    assert result.content == b"code_insee,telephone,nom,horaires\n1,01,A,8h30\n2,02,B,9h\n3,,C,10h\n"


def test_added_and_deleted_rows_replayed():
    base = b"code_insee,nom,horaires\n1,A,8h\n2,B,9h\n3,C,10h\n"
    ours = b"code_insee,nom,horaires\n1,A,8h\n3,C,10h\n4,D,11h\n"
    theirs = b"code_insee,nom,horaires\n1,A,8h15\n2,B,9h\n3,C,10h\n5,E,12h\n"

    result = merge(base, ours, theirs)

    assert result.conflicts == []
    assert result.content == b"code_insee,nom,horaires\n1,A,8h15\n3,C,10h\n5,E,12h\n4,D,11h\n"


def test_deleted_here_changed_upstream_is_conflict():
    base = b"code_insee,nom,horaires\n1,A,8h\n2,B,9h\n"
    ours = b"code_insee,nom,horaires\n1,A,8h\n"
    theirs = b"code_insee,nom,horaires\n1,A,8h\n2,B,9h30\n"
    conflict = Conflict("2", 2, "horaires", "9h", None, "9h30")

    result = merge(base, ours, theirs)

    assert result.content is None
    assert result.conflicts == [conflict]
    assert merge(base, ours, theirs, resolutions=resolutions_for([conflict], "ours")).content == ours
    assert merge(base, ours, theirs, resolutions=resolutions_for([conflict], "theirs")).content == theirs


def test_edited_here_deleted_upstream_is_conflict():
    base = b"code_insee,nom,horaires\n1,A,8h\n2,B,9h\n"
    ours = b"code_insee,nom,horaires\n1,A,8h\n2,B,9h30\n"
    theirs = b"code_insee,nom,horaires\n1,A,8h\n"
    conflict = Conflict("2", 2, "horaires", "9h", "9h30", None)

    result = merge(base, ours, theirs)

    assert result.conflicts == [conflict]
    assert result.content is None
    assert merge(base, ours, theirs, resolutions=resolutions_for([conflict], "ours")).content == ours
    assert merge(base, ours, theirs, resolutions=resolutions_for([conflict], "theirs")).content == theirs


def test_same_key_added_on_both_sides():
    base = b"code_insee,nom,horaires\n1,A,8h\n"
    ours = b"code_insee,nom,horaires\n1,A,8h\n2,B,9h\n"
    same = merge(base, ours, ours.replace(b"1,A,8h", b"1,A,8h30"))
    different = merge(base, ours, b"code_insee,nom,horaires\n1,A,8h\n2,B,10h\n")

    assert same.content == b"code_insee,nom,horaires\n1,A,8h30\n2,B,9h\n"
    assert different.conflicts == [Conflict("2", 2, "horaires", None, "9h", "10h")]
    assert different.content is None


def test_key_edit_stays_in_place():
    base = b"code_insee,nom,horaires\n1,A,8h\n2,B,9h\n3,C,10h\n"
    ours = b"code_insee,nom,horaires\n1,A,8h\n22,B,9h\n3,C,10h\n"
    theirs = b"code_insee,nom,horaires\n1,A,8h\n2,B,9h\n3,C,10h30\n"

    result = merge(base, ours, theirs)

    assert result.content == b"code_insee,nom,horaires\n1,A,8h\n22,B,9h\n3,C,10h30\n"


def test_table_without_key_merges_only_one_sided_changes():
    schema = {"fields": [{"name": "a"}, {"name": "b"}]}
    base, ours, theirs = b"a,b\n1,2\n", b"a,b\n1,3\n", b"a,b\n0,2\n"

    result = merge(base, ours, theirs, schema=schema)
    whole = Conflict(None, None, None, None, None, None)

    assert merge(base, ours, base, schema=schema).content == ours
    assert result.content is None
    assert result.conflicts == [whole]
    assert merge(base, ours, theirs, schema=schema, resolutions=resolutions_for([whole], "ours")).content == ours
    assert merge(base, ours, theirs, schema=schema, resolutions=resolutions_for([whole], "theirs")).content == theirs


def test_duplicate_key_upstream_is_whole_file_conflict():
    base = b"code_insee,nom,horaires\n1,A,8h\n2,B,9h\n"
    ours = b"code_insee,nom,horaires\n1,A,8h30\n2,B,9h\n"
    theirs = b"code_insee,nom,horaires\n1,A,8h\n1,B,9h\n"

    result = merge(base, ours, theirs)

    assert result.content is None
    assert result.conflicts[0].whole_file


# Property: edits to disjoint cells always merge, and the merge has both.

FIELDS = ["id", "a", "b", "c"]
PROPERTY_SCHEMA = {"fields": [{"name": name} for name in FIELDS], "primaryKey": "id"}
cell_text = st.text(alphabet=st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=6)


def write_csv(rows: list[list[str]]) -> bytes:
    # The csv module leaves a lone carriage return unquoted when the line terminator is "\n".
    def quote(text: str) -> str:
        return '"' + text.replace('"', '""') + '"' if any(character in text for character in ',"\r\n') else text

    lines = [",".join(quote(text) for text in row) + "\n" for row in [FIELDS, *rows]]
    return "".join(lines).encode("utf-8")


@st.composite
def disjoint_edits(draw):
    row_count = draw(st.integers(min_value=1, max_value=6))
    base = [[f"k{row}", *draw(st.lists(cell_text, min_size=3, max_size=3))] for row in range(row_count)]
    cells = [(row, column) for row in range(row_count) for column in (1, 2, 3)]
    chosen = draw(st.lists(st.sampled_from(cells), unique=True, max_size=len(cells)))
    split = draw(st.integers(min_value=0, max_value=len(chosen)))

    ours, theirs = [list(row) for row in base], [list(row) for row in base]
    for side, targets in ((ours, chosen[:split]), (theirs, chosen[split:])):
        for row, column in targets:
            side[row][column] = draw(cell_text.filter(lambda text, old=base[row][column]: text != old))
    return base, ours, theirs


@settings(max_examples=80, deadline=None)
@given(disjoint_edits())
def test_disjoint_cell_edits_always_merge(versions):
    base, ours, theirs = versions

    result = merge(write_csv(base), write_csv(ours), write_csv(theirs), schema=PROPERTY_SCHEMA)

    assert result.conflicts == []
    merged = CsvDocument.parse(result.content, encoding="utf-8", delimiter=",").rows
    for row, (old, mine, upstream) in enumerate(zip(base, ours, theirs)):
        expected = [mine[column] if mine[column] != old[column] else upstream[column] for column in range(len(FIELDS))]
        assert merged[row] == expected
