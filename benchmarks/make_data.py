"""Generate the benchmark data packages under benchmarks/out/.

Every synthetic table has the 34 columns of the Décider Ensemble geocoded resource file,
which lists 101 participatory-democracy projects in France. Cells are category labels
with codes such as ``DC-PN``, French titles and paragraphs, and addresses in communes
such as Saint-Étienne, Évry-Courcouronnes or Orléans. Postcodes may start with a zero,
and web links and coordinates point into France. Each table gets a ``datapackage.json``
and a Table Schema file under ``schemas/`` beside it.

Packages written (each in its own folder):

- ``real``: the real file, copied byte for byte, with the same schema, when the shared
  data folder is present;
- ``rows-10k``, ``rows-20k``, ``rows-100k`` and ``rows-1m``: 10,000 to 1,000,000 rows
  of shorter text (about 770 bytes a row);
- ``size-100mb``: rows as long as the real ones (about 3.6 KB, with commas, quotes and a
  few line breaks inside quoted cells) until the file reaches 100,000,000 bytes.

Every row whose number is a multiple of ``--defect-every`` (1,000 by default) breaks one
rule of the schema, in six ways taken in turn. These are a decimal comma in a longitude,
a latitude out of range, a postcode that lost its leading zero (as in the real file), a
web link without a scheme (also in the real file), a repeated primary key and an empty
required title. Output is deterministic for a given ``--seed``.

Usage: python benchmarks/make_data.py [--only NAME ...] [--seed N] [--defect-every N]
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import random
import re
import shutil
import sys
import time
import unicodedata
from collections.abc import Callable, Iterator
from pathlib import Path

OUT = Path(__file__).resolve().parent / "out"
REAL_CSV = Path("/work/shared/data/decider-ensemble/csv/geocoding/decider-ensemble-ressources-geocoded.csv")
RESOURCE_NAME = "ressources"
DATA_FILE = "ressources.csv"
SCHEMA_FILE = "schemas/ressources.schema.json"

COLUMNS = [
    "FILTRE 1 - TYPE DE PORTEUR DE PROJET",
    "CODE PORTEUR DE PROJET",
    "FILTRE 2 - TYPE DE DEMARCHE",
    "CODE DEMARCHE",
    "FILTRE 3 - THÉMATIQUE PRINCIPALE",
    "CODE THEMATIQUE",
    "TITRE DU PROJET",
    "PORTEUR DE PROJET - EXTENSIF",
    "NOM DU PORTEUR + ADRESSE POSTALE",
    "NOM_PORTEUR_PROJET",
    "ADRESSE_RUE",
    "CODE_POSTAL",
    "COMMUNE",
    "SOURCE",
    "SITE WEB",
    "À RETENIR",
    "PRÉSENTATION DU PROJET",
    "AUTRES ACTEURS IMPLIQUÉS DANS LA DÉMARCHE",
    "TITRE ÉTAPES",
    "ÉTAPES",
    "LOGO FILE",
    "LIEN PDF PROTEGE",
    "adresse_postale",
    "lat",
    "lon",
    "LOGO URL",
    "PDF FILE NAME",
    "BAN_latitude",
    "BAN_longitude",
    "BAN_adress",
    "BAN_adress_full",
    "BAN_city",
    "BAN_postcode",
    "BAN_depcode",
]

POSTCODE_PATTERN = "[0-9]{5}"


def build_schema() -> dict:
    """Return the Table Schema used for the real file and every synthetic one.

    Patterns are grouped where they alternate, because frictionless 5.21 compiles a
    pattern as ``^pattern$``, which anchors only the first and last alternatives.
    """
    fields = [{"name": name, "type": "string"} for name in COLUMNS]
    by_name = {item["name"]: item for item in fields}

    by_name["CODE PORTEUR DE PROJET"]["constraints"] = {"required": True, "pattern": "[A-Z]{2,3}"}
    by_name["CODE DEMARCHE"]["constraints"] = {"required": True, "pattern": "[A-Z]{2,3}(?: ?- ?[A-Z]{2,3})*"}
    by_name["CODE THEMATIQUE"]["constraints"] = {"required": True, "pattern": "[A-Z]{3}(?:-[A-Z]{3})*"}
    by_name["TITRE DU PROJET"]["constraints"] = {"required": True, "maxLength": 200}
    by_name["CODE_POSTAL"]["constraints"] = {"pattern": POSTCODE_PATTERN}
    by_name["BAN_postcode"]["constraints"] = {"pattern": POSTCODE_PATTERN}
    by_name["BAN_depcode"]["constraints"] = {"pattern": "(?:[0-9]{2}|2A|2B|97[1-6]?)"}
    for name in ("SITE WEB", "LIEN PDF PROTEGE", "LOGO URL"):
        by_name[name]["format"] = "uri"
    by_name["PDF FILE NAME"]["constraints"] = {"required": True}
    for name in ("lat", "BAN_latitude"):
        by_name[name].update(type="number", constraints={"minimum": -90, "maximum": 90})
    for name in ("lon", "BAN_longitude"):
        by_name[name].update(type="number", constraints={"minimum": -180, "maximum": 180})
    return {"fields": fields, "primaryKey": ["PDF FILE NAME"], "missingValues": [""]}


def write_package(folder: Path, title: str) -> None:
    """Write ``datapackage.json`` and the schema file for the table ``folder/ressources.csv``."""
    (folder / "schemas").mkdir(parents=True, exist_ok=True)
    (folder / SCHEMA_FILE).write_text(json.dumps(build_schema(), ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    descriptor = {
        "name": folder.name,
        "title": title,
        "resources": [
            {
                "name": RESOURCE_NAME,
                "path": DATA_FILE,
                "format": "csv",
                "encoding": "utf-8",
                "schema": SCHEMA_FILE,
            }
        ],
    }
    (folder / "datapackage.json").write_text(json.dumps(descriptor, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")


# Vocabularies. Labels keep the real file's habits: double spaces where commas were
# removed, and some trailing spaces.

PORTEURS = [
    ("DÉPARTEMENT", "DEP"),
    ("RÉGION", "RG"),
    ("PETITE VILLE OU EPCI ", "PV"),
    ("VILLE MOYENNE OU EPCI ", "VM"),
    ("GRANDE VILLE  COMMUNAUTÉ URBAINE  MÉTROPOLE", "GV"),
    ("ASSOCIATION OU COLLECTIF CITOYEN", "AC"),
    ("ENTREPRISE ", "ENT"),
    ("AUTRE", "AUT"),
]
DEMARCHES = [
    ("DISPOSITIF DE CONSULTATION", "DC"),
    ("DISPOSITIF DE CONSULTATION ", "DC"),
    ("BUDGET ET FINANCEMENT PARTICIPATIF", "BP"),
    ("INSTANCE DE PARTICIPATION ", "IP"),
    ("PARTICIPATION EN LIGNE", "PN"),
    ("DIALOGUE PARTIES PRENANTES", "DPP"),
    ("DISPOSITIF DE CONSULTATION   PARTICIPATION EN LIGNE ", "DC-PN"),
    ("DISPOSITIF DE CONSULTATION  PARTICIPATION EN LIGNE", "DC - PN"),
    ("PARTICIPATION EN LIGNE  BUDGET ET FINANCEMENT PARTICIPATIF ", "PN - BP"),
]
THEMATIQUES = [
    ("MULTITHÉMATIQUE", "MTH"),
    ("URBANISME ET AMÉNAGEMENT", "URB"),
    ("URBANISME ET AMENAGEMENT ", "URB"),
    ("ENVIRONNEMENT", "ENV"),
    ("JEUNESSE  ÉDUCATION ET CULTURE", "JEU"),
    ("SANTÉ ET SOLIDARITÉS", "SAN"),
    ("ACTION PUBLIQUE", "ACT"),
    ("URBANISME ET AMÉNAGEMENT  ENVIRONNEMENT", "URB-ENV"),
]

# (name, postcode, latitude, longitude); the department code is derived from the postcode.
COMMUNES = [
    ("Saint-Étienne", "42000", 45.4397, 4.3872),
    ("Évry-Courcouronnes", "91000", 48.6290, 2.4410),
    ("Orléans", "45000", 47.9029, 1.9093),
    ("Besançon", "25000", 47.2378, 6.0241),
    ("Nîmes", "30000", 43.8367, 4.3601),
    ("Bourg-en-Bresse", "01000", 46.2052, 5.2255),
    ("Saint-Quentin", "02100", 49.8465, 3.2876),
    ("Moulins", "03000", 46.5646, 3.3326),
    ("Digne-les-Bains", "04000", 44.0925, 6.2356),
    ("Gap", "05000", 44.5594, 6.0786),
    ("Nice", "06000", 43.7102, 7.2620),
    ("Privas", "07000", 44.7353, 4.5992),
    ("Charleville-Mézières", "08000", 49.7621, 4.7263),
    ("Foix", "09000", 42.9653, 1.6069),
    ("Ajaccio", "20000", 41.9192, 8.7386),
    ("Bastia", "20200", 42.6976, 9.4509),
    ("Châlons-en-Champagne", "51000", 48.9566, 4.3631),
    ("Angoulême", "16000", 45.6484, 0.1562),
    ("Mâcon", "71000", 46.3069, 4.8287),
    ("Périgueux", "24000", 45.1841, 0.7211),
    ("Béziers", "34500", 43.3442, 3.2158),
    ("Créteil", "94000", 48.7904, 2.4556),
    ("Nanterre", "92000", 48.8924, 2.2069),
    ("Saint-Denis", "93200", 48.9362, 2.3574),
    ("Vénissieux", "69200", 45.6975, 4.8867),
    ("Grenoble", "38000", 45.1885, 5.7245),
    ("Rennes", "35000", 48.1173, -1.6778),
    ("Brest", "29200", 48.3904, -4.4861),
    ("Quimper", "29000", 47.9960, -4.1020),
    ("Lille", "59000", 50.6292, 3.0573),
    ("Villeneuve-d'Ascq", "59650", 50.6233, 3.1450),
    ("Strasbourg", "67000", 48.5734, 7.7521),
    ("Mulhouse", "68100", 47.7508, 7.3359),
    ("Bordeaux", "33000", 44.8378, -0.5792),
    ("Toulouse", "31000", 43.6047, 1.4442),
    ("Montréjeau", "31210", 43.0858, 0.5697),
    ("Marseille", "13001", 43.2965, 5.3698),
    ("Aix-en-Provence", "13100", 43.5297, 5.4474),
    ("Nantes", "44000", 47.2184, -1.5536),
    ("Saint-Nazaire", "44600", 47.2735, -2.2138),
    ("Poitiers", "86000", 46.5802, 0.3404),
    ("Clermont-Ferrand", "63000", 45.7772, 3.0870),
    ("Le Puy-en-Velay", "43000", 45.0434, 3.8858),
    ("Épinal", "88000", 48.1725, 6.4499),
    ("Sète", "34200", 43.4028, 3.6928),
    ("Vitré", "35500", 48.1236, -1.2085),
    ("Forbach", "57600", 49.1880, 6.8960),
    ("Lons-le-Saunier", "39000", 46.6744, 5.5550),
    ("Paris", "75011", 48.8590, 2.3790),
    ("Paris", "75019", 48.8871, 2.3848),
]

STREETS = [
    "rue de la République", "place de l'Hôtel de Ville", "avenue Jean-Jaurès", "rue des Écoles",
    "boulevard Gambetta", "place du Général-de-Gaulle", "rue Pasteur", "chemin des Prés",
    "allée des Tilleuls", "rue Émile-Zola", "quai de la Loire", "cours Victor-Hugo",
    "place de l'Église", "rue du Maréchal-Foch", "impasse des Lilas", "rue de la Mairie",
]
ACTIONS = [
    "Budget participatif", "Conseil citoyen", "Concertation", "Assemblée de quartier",
    "Atelier participatif", "Convention citoyenne", "Jury citoyen", "Consultation en ligne",
    "Marche exploratoire", "Plateforme de démocratie locale", "Forum ouvert",
]
OBJECTS = [
    "du centre-ville", "des jeunes", "pour la transition écologique", "des aînés",
    "sur la rénovation du quartier", "pour les mobilités douces", "de la forêt communale",
    "sur l'alimentation", "des écoles", "pour un éclairage sobre", "sur le plan local d'urbanisme",
    "des bords de Loire", "pour l'accès aux soins", "sur la sécurité routière",
]
PHRASES = [
    "Les habitants ont été invités à proposer des idées", "un comité de suivi réunit élus et citoyens",
    "les projets retenus sont votés en ligne et dans les mairies annexes",
    "la démarche s'appuie sur des ateliers ouverts à tous", "un bilan public est présenté chaque année",
    "les associations du quartier ont co-animé les réunions", "des permanences ont lieu au marché",
    "les lycéens ont participé à l'élaboration du règlement", "le budget alloué est de 500 000 €",
    "une charte de la participation a été adoptée", "l'évaluation est confiée à un laboratoire universitaire",
    "les propositions ont été analysées par les services techniques",
    "la concertation a associé « experts d'usage » et agents", "chaque étape est restituée sur le site de la ville",
]
STEPS = [
    "Diagnostic partagé", "Appel à idées", "Analyse de faisabilité", "Vote des habitants",
    "Réalisation des projets", "Évaluation", "Restitution publique", "Ateliers de co-construction",
]
ACTORS = [
    "le conseil de développement", "l'université", "les centres sociaux", "la préfecture",
    "le Département", "la Région", "les bailleurs sociaux", "les conseils de quartier",
    "une agence spécialisée en concertation",
]


def _slug(text: str) -> str:
    """Return ``text`` in lower-case ASCII with hyphens, as in a host name: "Évry" gives "evry"."""
    letters = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    return re.sub(r"[^a-z0-9]+", "-", letters.lower()).strip("-")


def _department(postcode: str) -> str:
    if postcode.startswith("20"):
        return "2A" if int(postcode) < 20200 else "2B"
    return postcode[:2]


class RowMaker:
    """Deterministic rows of the 34 columns; ``long_text`` gives the real file's cell sizes."""

    def __init__(self, seed: int, long_text: bool, defect_every: int) -> None:
        self.random = random.Random(seed)
        self.long_text = long_text
        self.defect_every = defect_every
        self.defect_counts: dict[str, int] = {}
        self.previous_key = ""
        self.rows_made = 0
        self.defects: list[Callable[[list[str], int], None]] = [
            self._defect_decimal_comma,
            self._defect_latitude_range,
            self._defect_postcode_zero,
            self._defect_link_scheme,
            self._defect_repeated_key,
            self._defect_missing_title,
        ]

    def _sentences(self, count: int) -> str:
        pick = self.random.choice
        parts = []
        for _ in range(count):
            sentence = pick(PHRASES)
            if self.long_text and self.random.random() < 0.3:
                sentence += ", " + pick(PHRASES)
            parts.append(sentence[0].upper() + sentence[1:] + ".")
        return " ".join(parts)

    def _paragraphs(self, count: int, per_paragraph: int) -> str:
        text = " //  ".join(self._sentences(per_paragraph) for _ in range(count))
        if self.long_text and self.random.random() < 0.002:
            text = text.replace(" //  ", "\n", 1)
        if self.long_text and self.random.random() < 0.01:
            text += ' Le projet s\'intitule "Ma ville demain".'
        return text

    def row(self, index: int) -> list[str]:
        """Return data row ``index`` (0-based) as 34 cell texts."""
        pick = self.random.choice
        number = index + 1
        porteur, porteur_code = pick(PORTEURS)
        demarche, demarche_code = pick(DEMARCHES)
        theme, theme_code = pick(THEMATIQUES)
        commune, postcode, latitude, longitude = pick(COMMUNES)
        street = pick(STREETS)
        house = str(self.random.randint(1, 180))
        year = str(self.random.randint(2016, 2023))
        slug = _slug(commune)
        title = f"{pick(ACTIONS)} {pick(OBJECTS)} à {commune}"
        holder = f"Commune de {commune}" if porteur_code in ("PV", "VM", "GV") else f"{porteur.strip().capitalize()} {commune}"
        latitude += self.random.uniform(-0.03, 0.03)
        longitude += self.random.uniform(-0.03, 0.03)
        lat_text, lon_text = f"{latitude:.6f}", f"{longitude:.6f}"
        has_position = self.random.random() >= 0.18
        pdf_name = f"{number}.Fiche_longue-{slug.title()}_{year}"
        logo = f"{number}.Logo{slug.title().replace('-', '')}.png"

        if self.long_text:
            extensive = f"{commune} est une commune de {self.random.randint(800, 90000)} habitants. " + self._sentences(4)
            keep = "- " + self._sentences(3) + "   - " + self._sentences(3)
            presentation = self._paragraphs(4, 4)
            steps = " //  ".join(f"Étape {step} :: {pick(STEPS)}, {self._sentences(1)}" for step in range(1, 8))
            actors = "" if self.random.random() < 0.57 else "Acteurs associés : " + ", ".join(self.random.sample(ACTORS, 4)) + ". " + self._sentences(2)
            source = f"Lauréat ({self.random.randint(1, 4)} étoiles) des Trophées de la Participation et de la Concertation {year}"
            pdf_link = f"https://donnees.exemple.fr/decider-ensemble/main/data/pdf/{pdf_name}.pdf?raw=true"
            logo_link = f"https://donnees.exemple.fr/decider-ensemble/main/illustrations/fiches/{logo}?raw=true"
        else:
            extensive = f"Commune de {self.random.randint(800, 90000)} habitants"
            keep = "- " + pick(PHRASES)
            presentation = pick(PHRASES) + "."
            steps = f"Étape 1 :: {pick(STEPS)}"
            actors = "" if self.random.random() < 0.57 else pick(ACTORS)
            source = f"Trophées {year}"
            pdf_link = f"https://exemple.fr/pdf/{number}.pdf"
            logo_link = f"https://exemple.fr/logo/{number}.png"

        cells = [
            porteur, porteur_code, demarche, demarche_code, theme, theme_code,
            title,
            extensive,
            f"{holder}  {house} {street} - {postcode} {commune.upper()}" if self.long_text else f"{house} {street} - {postcode}",
            holder,
            f"{house} {street}",
            postcode,
            commune.upper(),
            source,
            f"https://www.{slug}.fr",
            keep,
            presentation,
            actors,
            pick(("DÉROULÉ DU PROJET", "DEROULE DU PROJET ", "LES ÉQUIPES EN CHARGE DE LA PARTICIPATION")),
            steps,
            logo,
            pdf_link,
            f"{house} {street} {postcode} {commune.upper()}",
            lat_text if has_position else "",
            lon_text if has_position else "",
            logo_link,
            pdf_name,
            lat_text,
            lon_text,
            f"{house} {street[0].upper()}{street[1:]}",
            f"{house} {street[0].upper()}{street[1:]} {postcode} {commune}",
            commune,
            postcode,
            _department(postcode),
        ]
        if self.defect_every and number % self.defect_every == 0:
            defect = self.defects[(number // self.defect_every) % len(self.defects)]
            defect(cells, index)
            self.defect_counts[defect.__name__] = self.defect_counts.get(defect.__name__, 0) + 1
        self.previous_key = cells[COLUMNS.index("PDF FILE NAME")]
        return cells

    # Each defect breaks one rule of the schema.

    def _defect_decimal_comma(self, cells: list[str], index: int) -> None:
        cells[COLUMNS.index("BAN_longitude")] = cells[COLUMNS.index("BAN_longitude")].replace(".", ",")

    def _defect_latitude_range(self, cells: list[str], index: int) -> None:
        cells[COLUMNS.index("BAN_latitude")] = "145.25"

    def _defect_postcode_zero(self, cells: list[str], index: int) -> None:
        column = COLUMNS.index("CODE_POSTAL")
        cells[column] = cells[column].lstrip("0") if cells[column].startswith("0") else cells[column][:4]

    def _defect_link_scheme(self, cells: list[str], index: int) -> None:
        column = COLUMNS.index("SITE WEB")
        cells[column] = cells[column].removeprefix("https://")

    def _defect_repeated_key(self, cells: list[str], index: int) -> None:
        # The previous row is never a defect row, so its key is a first occurrence.
        cells[COLUMNS.index("PDF FILE NAME")] = self.previous_key

    def _defect_missing_title(self, cells: list[str], index: int) -> None:
        cells[COLUMNS.index("TITRE DU PROJET")] = ""


def rows_until(maker: RowMaker, *, count: int | None = None, size: int | None = None) -> Iterator[bytes]:
    """Yield the UTF-8 CSV bytes, header first, of ``count`` rows or of rows until ``size`` bytes."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(COLUMNS)
    written = 0
    index = 0
    while (count is None or index < count) and (size is None or written < size):
        writer.writerow(maker.row(index))
        index += 1
        if size is not None or buffer.tell() > 1 << 20:
            chunk = buffer.getvalue().encode("utf-8")
            written += len(chunk)
            buffer.seek(0)
            buffer.truncate()
            yield chunk
    yield buffer.getvalue().encode("utf-8")
    maker.rows_made = index


def make_synthetic(name: str, seed: int, defect_every: int, *, long_text: bool, count: int | None = None, size: int | None = None) -> None:
    """Write the synthetic package ``name`` and print its size and injected defects."""
    folder = OUT / name
    folder.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    maker = RowMaker(seed, long_text, defect_every)
    with open(folder / DATA_FILE, "wb") as handle:
        for chunk in rows_until(maker, count=count, size=size):
            handle.write(chunk)
    write_package(folder, f"Décider Ensemble, synthetic ({name})")
    elapsed = time.perf_counter() - started
    data_size = (folder / DATA_FILE).stat().st_size
    print(f"{name}: {maker.rows_made:,} rows, {data_size:,} bytes, {elapsed:.1f} s; defects {maker.defect_counts}")


def make_real() -> None:
    """Copy the real file byte for byte into the package ``real``, with the benchmark schema."""
    if not REAL_CSV.is_file():
        print(f"real: skipped, {REAL_CSV} not found")
        return
    folder = OUT / "real"
    folder.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(REAL_CSV, folder / DATA_FILE)
    write_package(folder, "Décider Ensemble, real geocoded resource file")
    print(f"real: {(folder / DATA_FILE).stat().st_size:,} bytes copied from {REAL_CSV}")


PACKAGES: dict[str, Callable[[argparse.Namespace], None]] = {
    "real": lambda options: make_real(),
    "rows-10k": lambda options: make_synthetic("rows-10k", options.seed + 3, options.defect_every, long_text=False, count=10_000),
    "rows-20k": lambda options: make_synthetic("rows-20k", options.seed + 4, options.defect_every, long_text=False, count=20_000),
    "rows-100k": lambda options: make_synthetic("rows-100k", options.seed, options.defect_every, long_text=False, count=100_000),
    "rows-1m": lambda options: make_synthetic("rows-1m", options.seed + 1, options.defect_every, long_text=False, count=1_000_000),
    "size-100mb": lambda options: make_synthetic("size-100mb", options.seed + 2, options.defect_every, long_text=True, size=100_000_000),
}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--only", nargs="+", choices=sorted(PACKAGES), help="packages to write (default: all)")
    parser.add_argument("--seed", type=int, default=20240, help="random seed (default: 20240)")
    parser.add_argument("--defect-every", type=int, default=1000, help="one row in N gets a schema error; 0 for none (default: 1000)")
    options = parser.parse_args(argv)
    for name in options.only or list(PACKAGES):
        PACKAGES[name](options)
    return 0


if __name__ == "__main__":
    sys.exit(main())
