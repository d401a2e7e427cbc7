"""Pilot tests of the geocoding review screen, against the local address API emulator."""

from __future__ import annotations

from textual.widgets import DataTable, Static

from datami_py.ui.app import DatamiApp
from datami_py.ui.screens.geocode_review import GeocodeReviewScreen
from datami_py.ui.screens.main import MainScreen
from tests.test_geocode import ban, places  # noqa: F401 - fixtures
from tests.test_ui import SIZE, wait_for_main

CSV = "data/lieux.csv"


async def open_review(app: DatamiApp, pilot) -> GeocodeReviewScreen:
    """Press G on the main screen and wait for the worker to open the review screen."""
    await pilot.press("G")
    for _ in range(200):
        await pilot.pause(0.05)
        if isinstance(app.screen, GeocodeReviewScreen):
            await pilot.pause()
            return app.screen
    raise AssertionError(f"the review screen did not open; screen is {app.screen!r}")


def cells(review: GeocodeReviewScreen) -> list[list[str]]:
    table = review.query_one(DataTable)
    return [[str(value) for value in table.get_row_at(index)] for index in range(table.row_count)]


async def test_review_accept_apply_undo(places):
    before = (places / CSV).read_bytes()
    app = DatamiApp(places, "en")
    async with app.run_test(size=SIZE) as pilot:
        main = await wait_for_main(app, pilot)
        review = await open_review(app, pilot)

        # Every row that needs geocoding is listed; applicable rows start refused.
        assert cells(review) == [
            ["2", "L2", "", "no position", "48.935, 2.354", "0.90", "1 Place de la Mairie 93200 Saint-Denis", "refused"],
            ["3", "L3", "latitude and longitude swapped", "2.3088, 48.8497", "48.8497, 2.3088", "0.90", "20 Avenue de Ségur 75007 Paris", "refused"],
            ["4", "L4", "outside France", "40.0, -30.0", "", "", "5 Rue Inconnue 69001 Lyon", "not found"],
            ["5", "L5", "in département 34 but code_postal gives 93", "43.6, 3.9", "48.9362, 2.3574", "0.90", "10 Rue de la Paix 93200 Saint-Denis", "refused"],
            ["6", "L6", "", "no position", "43.3, 5.37", "0.30", "Quai du Port 13002 Marseille", "score too low"],
        ]

        # Space accepts the first row; on the not-found row it changes nothing.
        await pilot.press("space")
        await pilot.press("down", "down", "space")
        assert [row[7] for row in cells(review)] == ["accepted", "refused", "not found", "refused", "score too low"]

        # Enter applies the accepted row only, as two journaled edits.
        await pilot.press("enter")
        await pilot.pause()
        assert isinstance(app.screen, MainScreen)
        table = main.table
        assert table.record(table.row_at(2))["latitude"] == "48.935"
        assert table.record(table.row_at(2))["longitude"] == "2.354"
        assert table.record(table.row_at(3))["latitude"] == "2.3088"
        assert len(table.history) == 2

        # Ctrl+Z undoes both cells.
        await pilot.press("ctrl+z", "ctrl+z")
        assert not table.is_dirty
    assert (places / CSV).read_bytes() == before


async def test_review_accept_all_then_cancel(places):
    before = (places / CSV).read_bytes()
    app = DatamiApp(places, "en")
    async with app.run_test(size=SIZE) as pilot:
        main = await wait_for_main(app, pilot)
        review = await open_review(app, pilot)

        await pilot.press("a")
        assert [row[7] for row in cells(review)] == ["accepted", "accepted", "not found", "accepted", "score too low"]

        # Escape cancels: nothing is applied.
        await pilot.press("escape")
        await pilot.pause()
        assert isinstance(app.screen, MainScreen)
        assert not main.table.is_dirty
    assert (places / CSV).read_bytes() == before


async def test_review_accept_all_applies_three_rows(places):
    app = DatamiApp(places, "en")
    async with app.run_test(size=SIZE) as pilot:
        main = await wait_for_main(app, pilot)
        await open_review(app, pilot)

        await pilot.press("a", "enter")
        await pilot.pause()
        table = main.table
        assert len(table.history) == 6
        assert [table.record(table.row_at(number))["latitude"] for number in (2, 3, 4, 5, 6)] == ["48.935", "48.8497", "40.0", "48.9362", ""]


async def test_review_in_french(places):
    app = DatamiApp(places, "fr")
    async with app.run_test(size=SIZE) as pilot:
        await wait_for_main(app, pilot)
        review = await open_review(app, pilot)

        title = review.query_one(".title", Static)
        assert str(title.render()) == "Géocodage : 5 résultat(s) à examiner"
        assert cells(review)[0] == ["2", "L2", "", "aucune position", "48.935, 2.354", "0.90", "1 Place de la Mairie 93200 Saint-Denis", "refusée"]
        assert cells(review)[2][2] == "hors de France"
        assert cells(review)[2][7] == "introuvable"
        assert cells(review)[3][2] == "dans le département 34, mais code_postal indique 93"
        assert cells(review)[4][7] == "score trop bas"
        headers = [str(column.label) for column in review.query_one(DataTable).columns.values()]
        assert headers == ["Ligne", "Clé", "Problème", "Avant", "Après", "Score", "Adresse trouvée", "Décision"]


async def test_unreachable_api_notifies(places, monkeypatch):
    monkeypatch.setenv("DATAMI_BAN_URL", "http://127.0.0.1:9")
    app = DatamiApp(places, "en")
    async with app.run_test(size=SIZE) as pilot:
        main = await wait_for_main(app, pilot)

        await pilot.press("G")
        for _ in range(200):
            await pilot.pause(0.05)
            if any("Cannot reach the address service" in notice.message for notice in app._notifications):
                break
        messages = [notice.message for notice in app._notifications]
        assert any(message.startswith("Cannot reach the address service at http://127.0.0.1:9 (Connection refused).") for message in messages)
        assert isinstance(app.screen, MainScreen)
        assert not main.table.is_dirty


async def test_palette_entry_opens_review(places):
    app = DatamiApp(places, "fr")
    async with app.run_test(size=SIZE) as pilot:
        await wait_for_main(app, pilot)

        # Ctrl+P opens the command palette; the French name of the action finds it.
        await pilot.press("ctrl+p")
        await pilot.pause(0.2)
        await pilot.press(*"Géocoder les adresses")
        await pilot.pause(0.5)
        await pilot.press("enter")
        for _ in range(200):
            await pilot.pause(0.05)
            if isinstance(app.screen, GeocodeReviewScreen):
                break
        assert isinstance(app.screen, GeocodeReviewScreen)
        assert len(app.screen.results) == 5


async def test_nothing_to_geocode_notice(places, ban):
    (places / CSV).write_bytes(b"id,adresse,code_postal,commune,latitude,longitude\r\nL1,8 Boulevard du Port,80000,Amiens,49.8941,2.2958\r\n")
    app = DatamiApp(places, "en")
    async with app.run_test(size=SIZE) as pilot:
        main = await wait_for_main(app, pilot)

        await pilot.press("G")
        await app.workers.wait_for_complete()
        await pilot.pause()

        messages = [notice.message for notice in app._notifications]
        assert "No row needs geocoding: every position is filled in and in its département." in messages
        assert isinstance(app.screen, MainScreen)
        assert not main.table.is_dirty
        assert ban.requests == []


async def test_second_g_stops_geocoding(places, ban):
    before = (places / CSV).read_bytes()
    ban.pause = 1.0
    app = DatamiApp(places, "fr")
    async with app.run_test(size=SIZE) as pilot:
        main = await wait_for_main(app, pilot)

        await pilot.press("G")
        await pilot.pause(0.3)
        await pilot.press("G")
        await app.workers.wait_for_complete()
        await pilot.pause()

        messages = [notice.message for notice in app._notifications]
        assert "Le géocodage s’arrête après la requête en cours ; rien ne sera modifié." in messages
        assert "Géocodage arrêté à votre demande après 5 adresse(s) sur 5 ; aucune position n’a été modifiée." in messages
        assert isinstance(app.screen, MainScreen)
        assert not main.table.is_dirty
        assert len(ban.requests) == 1

        # Once stopped, G starts a new geocoding that opens the review.
        ban.pause = 0.0
        review = await open_review(app, pilot)
        assert len(review.results) == 5
    assert (places / CSV).read_bytes() == before
