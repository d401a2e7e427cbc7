"""Card content laid out from the Décider Ensemble card settings."""

from __future__ import annotations

from datami_py.cards import build_card, paragraphs_of, steps_of
from datami_py.session import Session
from tests.helpers import REPOSITORY, copy_case

GERS = "Budget Participatif Gersois"


def gers_card(kind):
    session = Session.open(REPOSITORY)
    opened = session.open_table()
    row = opened.table.find_row(GERS)
    return {block.field: block for block in build_card(opened.table, row, opened.resource.settings, kind)}


def test_mini_card_blocks():
    blocks = gers_card("mini")

    assert [block.position for block in blocks.values()] == ["title", "subtitle", "image", "address", "tags", "resume"]
    assert blocks["TITRE DU PROJET"].text == GERS
    assert [(tag.code, tag.label, tag.color) for tag in blocks["CODE THEMATIQUE"].tags] == [("MTH", "Multithématique", "#129461")]
    assert blocks["CODE THEMATIQUE"].title == "Thématique"


def test_detail_card_blocks():
    blocks = gers_card("detail")

    assert [tag.label for tag in blocks["CODE DEMARCHE"].tags] == ["Budget et financement participatif"]
    assert blocks["CODE DEMARCHE"].column == "right"
    steps = blocks["ÉTAPES"].steps
    assert len(steps) == 4
    assert steps[0].title == "Du 02 avril au 30 juin"
    assert steps[0].text == "Dépôt d'idées sur internet et dans les espaces dédiées"
    assert len(blocks["PRÉSENTATION DU PROJET"].paragraphs) == 4
    assert blocks["SITE WEB"].text == "https://www.budgetparticipatif.gers.fr"


def test_codes_with_spaces_read_by_vocabulary():
    session = Session.open(REPOSITORY)
    opened = session.open_table()
    table = opened.table
    row = next(row for row in table.row_ids if table.cell(row, "CODE DEMARCHE") == "DC - PN")

    blocks = {block.field: block for block in build_card(table, row, opened.resource.settings, "detail")}

    assert [tag.code for tag in blocks["CODE DEMARCHE"].tags] == ["DC", "PN"]


def test_bullets_and_steps_split():
    settings = {"longtext": {"paragraphSeparator": "//", "bulletMarker": "- "}}

    assert paragraphs_of("Intro - un - deux // Suite", settings) == [["Intro", "• un", "• deux"], ["Suite"]]
    assert [(step.title, step.text) for step in steps_of("2019 :: A // B", {})] == [("2019", "A"), ("", "B")]


def test_default_card_without_settings(tmp_path):
    folder = copy_case("B06", tmp_path)
    session = Session.open(folder)
    table = session.table()

    blocks = build_card(table, table.find_row("1"), {}, "detail")

    assert blocks[0].position == "title"
    assert blocks[0].text == "1"
    assert {block.field: block.text for block in blocks}["adresse"] == "12 rue des Écoles\nBâtiment B"
