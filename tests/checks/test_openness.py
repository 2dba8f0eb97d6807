"""Openness stars as ckanext-qa scores them: its table, its test cases, CKAN's format names, links and licences.

Every expected value is written here by hand from the published rule: the score table is ckanext-qa's
resource_format_openness_scores.json (github.com/ckan/ckanext-qa, MIT), the cases are its tests/test_tasks.py
(TestResourceScore, TestExtensionVariants) re-expressed, the names are CKAN's ckan/config/resource_formats.json
(github.com/ckan/ckan, AGPL-3.0) as data.
"""

from __future__ import annotations

import pytest

from checks.licences import licence_openness
from checks.openness import distribution_stars, with_licence
from harvester import vocab
from harvester.vocab import declared_format, format_info, media_type_format, url_extensions, url_format
from tests.assessing import english

# ckanext-qa's table: format short name → score, all 67 rows.
QA_TABLE = {
    "N3": 5, "SPARQL": 5, "RDF": 5, "TTL": 5,
    "KML": 3, "WCS": 3, "NetCDF": 3, "TSV": 3, "WFS": 3, "KMZ": 3, "QGIS": 3, "ODS": 3, "JSON": 3, "ODB": 3,
    "ODF": 3, "ODG": 3, "XML": 3, "WMS": 3, "WMTS": 3, "SVG": 3, "JPEG": 3, "CSV": 3, "Atom Feed": 3, "XYZ": 3,
    "PNG": 3, "RSS": 3, "GeoJSON": 3, "IATI": 3, "ICS": 3,
    "XLS": 2, "MDB": 2, "ArcGIS Map Service": 2, "BMP": 2, "TIFF": 2, "XLSX": 2, "GIF": 2, "E00": 2, "MrSID": 2,
    "ArcGIS Map Preview": 2, "MOP": 2, "Esri REST": 2, "dBase": 2, "SHP": 2,
    "PPTX": 1, "DOC": 1, "ArcGIS Online Map": 1, "ZIP": 1, "GZ": 1, "ODT": 1, "RAR": 1, "TXT": 1, "DCR": 1,
    "DOCX": 1, "BIN": 1, "PPT": 1, "ODP": 1, "PDF": 1, "ODC": 1, "MXD": 1, "TAR": 1,
    "EXE": 0, "JS": 0, "Perl": 0, "OWL": 0, "HTML": 0, "XSLT": 0, "RDFa": 0,
}


def test_the_table_has_its_67_rows():
    assert len(QA_TABLE) == 67
    assert sum(1 for code in vocab.format_codes() if format_info(code).qa_stars is not None) == 67


@pytest.mark.parametrize(("name", "score"), sorted(QA_TABLE.items()))
def test_every_format_in_the_table_scores_what_ckanext_qa_gives(name, score):
    code = declared_format(name)
    assert code is not None, f"{name} is not recognised"
    assert format_info(code).qa_stars == score
    # Declared and nothing else known: the table's score, the format named as known.
    stars = distribution_stars(declared=code)
    assert (stars.stars, stars.known, stars.evidence) == (score, True, "declared")


def test_the_deliberate_zeros_and_the_map_services_and_images():
    # ckanext-qa: a web page, an ontology, a script or RDFa is not data (0); map services and images are 3/2.
    for name in ("HTML", "OWL", "JS", "Perl", "XSLT", "RDFa", "EXE"):
        assert format_info(declared_format(name)).qa_stars == 0, name
    for name, score in (("WMS", 3), ("WCS", 3), ("WMTS", 3), ("JPEG", 3), ("PNG", 3), ("SVG", 3), ("GIF", 2),
                        ("TIFF", 2), ("BMP", 2), ("Esri REST", 2), ("dBase", 2)):
        assert format_info(declared_format(name)).qa_stars == score, name


def test_formats_the_table_does_not_list_score_1_and_are_labelled_unknown():
    # JSON-LD, GML, GTFS, generic APIs: not in ckanext-qa's table → its "cannot understand" score 1.
    for name in ("JSON-LD", "GML", "GTFS", "API", "REST API", "LAS"):
        code = declared_format(name)
        assert code is not None and format_info(code).qa_stars is None, name
        stars = distribution_stars(declared=code)
        assert (stars.stars, stars.known) == (1, False), name
        assert "not in ckanext-qa's table" in stars.reason


# CKAN's resource formats: short name | description | media type | alternative names.
CKAN_FORMATS = (
    'ArcGIS Map Preview | ArcGIS Map Preview | ArcGIS Map Preview | arcgis map preview',
    'ArcGIS Map Service | ArcGIS Map Service | ArcGIS Map Service | arcgis map service',
    'ArcGIS Online Map | ArcGIS Online Map | ArcGIS Online Map | web map application',
    'Atom Feed | Atom Feed | application/atom+xml | ',
    'BIN | Binary Data | application/octet-stream | bin',
    'BMP | Bitmap Image File | image/x-ms-bmp | ',
    'CSV | Comma Separated Values File | text/csv | text/comma-separated-values',
    'DCR | Adobe Shockwave format | application/x-director | ',
    'dBase | dBase Database | application/x-dbf | dbf',
    'DOC | Word Document | application/msword | ',
    'DOCM | Word OOXML - Macro Enabled | application/vnd.ms-word.document.macroEnabled.12 | ',
    'DOCX | Word OOXML Document | application/vnd.openxmlformats-officedocument.wordprocessingml.document | ',
    'DOTM | Word OOXML Template - Macro Enabled | application/vnd.ms-word.template.macroEnabled.12 | ',
    'DOTX | Word OOXML - Template | application/vnd.openxmlformats-officedocument.wordprocessingml.template | ',
    'Esri REST | Esri Rest API Endpoint | Esri REST | arcgis_rest',
    'EXE | Windows Executable Program | application/x-msdownload | ',
    'E00 | ARC/INFO interchange file format | application/x-e00 | ',
    'GeoJSON | Geographic JavaScript Object Notation | application/geo+json | geojson',
    'GIF | GIF Image File | image/gif | ',
    'GTFS | General Transit Feed Specification |  | ',
    'GZ | Gzip File | application/gzip | application/x-gzip',
    'HTML | Web Page | text/html | htm; http://purl.org/net/mediatypes/text/html',
    'ICS | iCalendar | text/calendar | ifb; iCal',
    'JPEG | JPG Image File | image/jpeg | jpeg; jpg',
    'JS | JavaScript | application/x-javascript | ',
    'JSON | JavaScript Object Notation | application/json | ',
    'KML | KML File | application/vnd.google-earth.kml+xml | ',
    'KMZ | KMZ File | application/vnd.google-earth.kmz+xml | application/vnd.google-earth.kmz',
    'MDB | Access Database | application/x-msaccess | ',
    'MOP | MOPAC Input format | chemical/x-mopac-input | ',
    'MP3 | MPEG-1 Audio Layer-3 | audio/mpeg | audio/mpeg3; audio/x-mpeg-3; video/mpeg; video/x-mpeg',
    'MP4 | MPEG Video File | video/mp4 | application/mp4',
    'MrSID | MrSID | image/x-mrsid | ',
    'MXD | ESRI ArcGIS project file | application/x-mxd | ',
    'NetCDF | NetCDF File | application/netcdf | ',
    'N3 | N3 Triples | application/x-n3 | ',
    'OGG | Ogg Vorbis Audio File | audio/ogg | ',
    'ODB | OpenDocument Database | application/vnd.oasis.opendocument.database | ',
    'ODC | OpenDocument Chart | application/vnd.oasis.opendocument.chart | ',
    'ODF | OpenDocument Math Formula | application/vnd.oasis.opendocument.formula | ',
    'ODG | OpenDocument Image | application/vnd.oasis.opendocument.graphics | ',
    'OWL | Web Ontology Language | application/owl+xml | ',
    'ODP | OpenDocument Presentation | application/vnd.oasis.opendocument.presentation | ',
    'ODS | OpenDocument Spreadsheet | application/vnd.oasis.opendocument.spreadsheet | ',
    'ODT | OpenDocument Text | application/vnd.oasis.opendocument.text | ',
    'PDF | PDF File | application/pdf | ',
    'Perl | Perl Script | text/x-perl | ',
    'PNG | PNG Image File | image/png | ',
    'POTM | PowerPoint Open XML - Macro-Enabled Template | application/vnd.ms-powerpoint.template.macroEnabled.12 | ',
    'POTX | PowerPoint OOXML Presentation - Template | application/vnd.openxmlformats-officedocument.presentationml.template | ',
    'PPAM | PowerPoint Open XML - Macro-Enabled Add-In | application/vnd.ms-powerpoint.addin.macroEnabled.12 | ',
    'PPT | Powerpoint Presentation | application/vnd.ms-powerpoint | ',
    'PPTM | PowerPoint Open XML - Macro-Enabled | application/vnd.ms-powerpoint.presentation.macroEnabled.12 | ',
    'PPTX | Powerpoint OOXML Presentation | application/vnd.openxmlformats-officedocument.presentationml.presentation | ',
    'PPSM | PowerPoint Open XML - Macro-Enabled Slide Show | application/vnd.ms-powerpoint.slideshow.macroEnabled.12 | ',
    'PPSX | PowerPoint Open XML - Slide Show | application/vnd.openxmlformats-officedocument.presentationml.slideshow | ',
    'QGIS | QGIS File | application/x-qgis | ',
    'RAR | RAR Compressed File | application/rar | ',
    'RDF | RDF | application/rdf+xml | rdf/xml',
    'RSS | RSS feed | application/rss+xml | ',
    'SHP | Shapefile |  | esri shapefile',
    'SPARQL | SPARQL end-point | application/sparql-results+xml | ',
    'SVG | SVG vector image | image/svg+xml | svg',
    'TAR | TAR Compressed File | application/x-tar | ',
    'TIFF | TIFF Image File | image/tiff | ',
    'TORRENT | Torrent | application/x-bittorrent | bittorrent',
    'TSV | Tab Separated Values File | text/tab-separated-values | text/tsv',
    'TXT | Text File | text/plain | ',
    'WAV | Wave file | audio/x-wav | audio/wav',
    'WCS | Web Coverage Service | wcs | ',
    'WebM | WEBM video | video/webm | ',
    'WFS | Web Feature Service |  | ',
    'WMS | Web Mapping Service | WMS | wms',
    'WMTS | Web Map Tile Service |  | ',
    'XLAM | Excel OOXML Spreadsheet - Macro-Enabled Add-In | application/vnd.ms-excel.addin.macroEnabled.12 | ',
    'XLS | Excel Document | application/vnd.ms-excel | Excel; application/msexcel; application/x-msexcel; application/x-ms-excel; application/x-excel; application/x-dos_ms_excel; application/xls; application/x-xls',
    'XLSB | Excel OOXML Spreadsheet - Binary Workbook | application/vnd.ms-excel.sheet.binary.macroEnabled.12 | ',
    'XLSM | Excel OOXML Spreadsheet - Macro-Enabled | application/vnd.ms-excel.sheet.macroEnabled.12 | ',
    'XLSX | Excel OOXML Spreadsheet | application/vnd.openxmlformats-officedocument.spreadsheetml.sheet | ',
    'XLTM | Excel OOXML Spreadsheet - Macro-Enabled Template | application/vnd.ms-excel.template.macroEnabled.12 | ',
    'XLTX | Excel OOXML Spreadsheet - Template | application/vnd.openxmlformats-officedocument.spreadsheetml.template | ',
    'XML | XML File | application/xml | text/xml; http://purl.org/net/mediatypes/application/xml',
    'XSLT | Extensible Stylesheet Language Transformations | application/xslt+xml | ',
    'XYZ | XYZ Chemical File | chemical/x-xyz | ',
    'ZIP | Zip File | application/zip | zip; http://purl.org/NET/mediatypes/application/zip',
)
# The CKAN names odq maps elsewhere: a bare "Excel" is XLSX here (Excel's default since 2007; same 2 stars);
# application/octet-stream (CKAN's BIN) names no format (any download is served so; 1 star either way).
CKAN_EXCEPTIONS = {"excel": "XLSX", "application/octet-stream": None}


def test_every_ckan_format_name_and_media_type_is_recognised():
    assert len(CKAN_FORMATS) == 85
    keys = 0
    for row in CKAN_FORMATS:
        short, description, media_type, alternatives = (part.strip() for part in row.split("|"))
        code = declared_format(short)
        assert code is not None and format_info(code).ckan == short, short
        for key in [description, media_type, *[a.strip() for a in alternatives.split(";")]]:
            if not key:
                continue
            keys += 1
            expected = CKAN_EXCEPTIONS.get(key.lower(), code)
            assert declared_format(key) == expected, f"{key!r} ({short})"
            stars = distribution_stars(declared=expected).stars
            assert stars == distribution_stars(declared=code).stars
    assert keys == 85 + 81 + 40  # a description per format, 81 media types, 40 alternative names


def test_ckan_media_types_name_their_format_when_served():
    assert media_type_format("text/csv; charset=utf-8") == "CSV"
    assert media_type_format("application/rdf+xml") == declared_format("RDF")
    assert media_type_format("application/vnd.google-earth.kmz+xml") == "KMZ"
    assert media_type_format("image/x-ms-bmp") == "BMP"
    assert media_type_format("application/x-unknown-thing") is None


# -- ckanext-qa's own test cases (tests/test_tasks.py), re-expressed ---------------------------------------------

def test_by_sniff_csv():
    stars = distribution_stars(declared=declared_format("TXT"), url="anything", sniffed="CSV")
    assert (stars.stars, stars.format, stars.evidence) == (3, "CSV", "sniffed")
    assert stars.reason == "declared TXT, the file's bytes are: CSV → 3 stars"
    agree = distribution_stars(declared="XLSX", url="http://x/a.xlsx", sniffed="XLSX")
    assert agree.reason == "declared XLSX, the file's bytes agree: XLSX → 2 stars"


def test_not_archived_and_no_format_clues():
    stars = distribution_stars(declared=None, url="anything")
    assert (stars.stars, stars.format, stars.evidence, stars.known) == (1, None, "none", False)


def test_by_extension():
    stars = distribution_stars(declared=declared_format("TXT"), url="http://site.com/filename.xls")
    assert (stars.stars, stars.format, stars.evidence) == (2, "XLS", "url")
    assert "the URL is .xls" in stars.reason


def test_extension_not_recognized_falls_back_to_the_declared_format():
    stars = distribution_stars(declared=declared_format("TXT"), url="http://site.com/filename.zar")
    assert (stars.stars, stars.format, stars.evidence) == (1, "TXT", "declared")


def test_by_format_field():
    stars = distribution_stars(declared=declared_format("XLS"), url="anything")
    assert (stars.stars, stars.format, stars.evidence) == (2, "XLS", "declared")


def test_by_format_field_excel():
    # ckanext-qa names it XLS; odq XLSX (see CKAN_EXCEPTIONS): the score is ckanext-qa's either way.
    stars = distribution_stars(declared=declared_format("Excel"), url="anything")
    assert stars.stars == 2


def test_format_field_not_recognized():
    assert declared_format("ZAR") is None
    stars = distribution_stars(declared=declared_format("ZAR"), url="anything")
    assert (stars.stars, stars.known) == (1, False)


def test_available_but_not_open():
    closed = licence_openness("other-closed")
    stars = with_licence(distribution_stars(declared="TXT", url="anything", sniffed="CSV"), closed, "other-closed")
    assert (stars.stars, stars.format, stars.evidence) == (0, "CSV", "closed-licence")
    assert "not open" in stars.reason


def test_no_licence_is_unknown_and_does_not_zero():
    # ckanext-qa zeroes a dataset without a licence (CKAN's isopen() is False); odq reports it as unknown.
    unknown = licence_openness(None)
    assert unknown.status == "unknown"
    assert with_licence(distribution_stars(declared="CSV"), unknown, None).stars == 3


def test_not_available_and_not_open():
    stars = distribution_stars(declared=None, url="http://x/a.csv", alive=False, link_reason="HTTP 500")
    stars = with_licence(stars, licence_openness("other-closed"), "other-closed")
    # in preference the reason is that the file is not available
    assert (stars.stars, stars.evidence) == (0, "broken-link")
    assert "HTTP 500" in stars.reason


@pytest.mark.parametrize(("url", "variants"), [
    ("http://dept.gov.uk/coins-data-1996.csv", ["csv"]),
    ("http://dept.gov.uk/coins.data.1996.csv.zip", ["csv.zip", "zip"]),
    ("http://dept.gov.uk/coins-data-1996.csv?callback=1", ["csv"]),
    ("http://dept.gov.uk/coins-data-1996", []),
])
def test_extension_variants(url, variants):
    assert url_extensions(url) == variants


# -- evidence order, links and licences ---------------------------------------------------------------------------

def test_declared_rdf_with_a_txt_url_scores_as_text():
    stars = distribution_stars(declared=declared_format("RDF"), url="https://x.jp/data/kankou.txt")
    assert (stars.stars, stars.format, stars.evidence) == (1, "TXT", "url")
    assert stars.reason.startswith("declared RDF_XML but the URL is .txt")


def test_a_served_web_page_beats_the_url_and_the_declared_format():
    stars = distribution_stars(declared="CSV", url="http://x/a.csv", alive=True, content_type="text/html")
    assert (stars.stars, stars.format, stars.evidence) == (0, "HTML", "served")
    assert "served text/html" in stars.reason


def test_a_served_type_many_formats_share_refutes_nothing():
    for content_type, declared, url, expected in (
        ("text/plain", "CSV", "http://x/a.csv", 3),
        ("application/xml", "RDF_XML", "http://x/a.rdf", 5),
        ("application/zip", "SHP", "http://x/a", 2),
        ("application/vnd.ms-excel", "CSV", "http://x/a.csv", 3),
        ("application/octet-stream", "XLSX", "http://x/a.xlsx", 2),
    ):
        stars = distribution_stars(declared=declared, url=url, alive=True, content_type=content_type)
        assert stars.stars == expected, (content_type, declared)
    # with nothing else to go on, the served type decides
    assert distribution_stars(declared=None, url="http://x/a", content_type="text/plain").format == "TXT"
    # an API or a format ckanext-qa's table lacks is scored by what it serves
    api = distribution_stars(declared="API", url="http://x/api/v1/stops", content_type="application/json")
    assert (api.format, api.stars, api.evidence) == ("JSON", 3, "served")
    # a specific served type that contradicts the URL decides: a PNG behind a .php
    png = distribution_stars(declared="JPEG", url="http://x/img.php", content_type="image/png")
    assert (png.format, png.stars, png.evidence) == ("PNG", 3, "served")


def test_a_url_extension_that_names_no_format_is_passed_over():
    stars = distribution_stars(declared="JPEG", url="http://x/image.php?id=3")
    assert (stars.stars, stars.evidence) == (3, "declared")
    assert url_format("http://x/a.csv.zip") == ("zip", "ZIP")
    assert url_format("http://x/a.tar.gz") == ("tar.gz", "TAR_GZ")


def test_an_unknown_link_changes_nothing():
    for alive in (None, True):
        assert distribution_stars(declared="CSV", url="http://x/a.csv", alive=alive).stars == 3


@pytest.mark.parametrize(("raw", "status"), [
    ("CC-BY-4.0", "open"),
    ("cc-by", "open"),
    ("odc-odbl", "open"),
    ("https://creativecommons.org/licenses/by-sa/4.0", "open"),
    ("CC0-1.0", "open"),
    ("クリエイティブ・コモンズ 表示（CC BY）", "open"),  # Tokyo
    ("クリエイティブ・コモンズ 表示-非営利-改変禁止（CC BY-NC-ND）", "closed"),  # Tokyo
    ("クリエイティブ・コモンズ 表示-改変禁止（CC BY-ND）", "closed"),  # Tokyo
    ("知识共享署名", "open"),
    ("Creative Commons Namensnennung 3.0 DE\r", "open"),  # Köln (DKAN)
    ("UK Open Government Licence (OGL)", "open"),  # data.gov.uk, CKAN's title for uk-ogl
    ("https://opendatacommons.org/licenses/odbl/1.0/", "open"),
    ("Creative Commons Attribution-NonCommercial 3.0", "closed"),
    ("CC-BY-NC-4.0", "closed"),
    ("other-closed", "closed"),
    ("UK Crown Copyright", "closed"),  # the Open Definition rejected it
    ("License not specified", "unknown"),
    ("政府資料開放授權條款-第1版", "unknown"),
    ("", "unknown"),
])
def test_licence_openness_follows_the_open_definition(raw, status):
    assert licence_openness(raw).status == status


def test_a_label_in_two_formats_is_refused_naming_file_and_label(tmp_path, monkeypatch):
    (tmp_path / "vocab").mkdir()
    (tmp_path / "vocab" / "formats.yaml").write_text(
        "formats:\n  - code: CSV\n    labels: [comma]\n  - code: TSV\n    labels: [comma]\n", encoding="utf-8")
    monkeypatch.setattr(vocab, "PROFILES_DIR", tmp_path)
    vocab._formats.cache_clear()
    try:
        with pytest.raises(vocab.VocabError, match=r"formats.yaml: formats\[TSV\]: label 'comma'"):
            vocab._formats()
    finally:
        monkeypatch.undo()
        vocab._formats.cache_clear()


# -- a tiny hand-built catalogue through the formats family --------------------------------------------------------

def _catalogue(datasets: list[dict], distributions: list[dict], links: list[dict] | None = None,
               files: list[dict] | None = None):
    from datetime import datetime

    import pandas as pd

    from checks.catalogue import Catalogue

    frame = pd.DataFrame([{"title": d["native_id"], "formats": [], "has_api": False, "record_count": None,
                           "distributions_count": sum(x["native_id"] == d["native_id"] for x in distributions),
                           **d} for d in datasets]).set_index("native_id", drop=False)
    frame["record_count"] = frame["record_count"].astype("Int64")
    dists = pd.DataFrame([{"position": 0, "title": None, "format_raw": None, "format": None, "media_type": None,
                           "byte_size": None, "is_api": False, **d} for d in distributions])
    return Catalogue(harvest_id=1, portal={"id": "p"}, harvested_at=datetime(2024, 3, 1), info={},
                     datasets=frame, distributions=dists,
                     links=pd.DataFrame(links, columns=["url", "status", "alive", "reason", "content_type",
                                                        "final_url"]) if links else None,
                     files=files or [])


def _stars_measure(catalogue):
    from checks import formats

    result = formats.evaluate(catalogue)
    spec, value, detail = result.values["openness_stars_mean"]
    messages = {f["native_id"]: english(f) for f in result.findings if f["measure_id"] == spec.id}
    return value, detail, messages


def test_datasets_score_their_best_distribution_after_links_and_licences():
    catalogue = _catalogue(
        datasets=[
            {"native_id": "rdf-as-text", "licence": "CC-BY-4.0"},     # RDF behind .txt (1) and a CSV (3) → 3
            {"native_id": "broken", "licence": "CC-BY-4.0"},          # its only CSV is dead → 0
            {"native_id": "unchecked", "licence": "cc-by"},           # link not judged (None) → CSV 3
            {"native_id": "closed", "licence": "CC-BY-NC-4.0"},       # closed licence → 0
            {"native_id": "no-licence", "licence": None},             # unknown licence: not zeroed → XLS 2
            {"native_id": "nothing", "licence": "CC-BY-4.0"},         # no distribution: not scored
            {"native_id": "mystery", "licence": "CC-BY-4.0"},         # format named nowhere → 1, unknown
        ],
        distributions=[
            {"native_id": "rdf-as-text", "url": "http://x/a.txt", "format_raw": "RDF", "format": "RDF_XML"},
            {"native_id": "rdf-as-text", "url": "http://x/a.csv", "format_raw": "CSV", "format": "CSV"},
            {"native_id": "broken", "url": "http://x/dead.csv", "format_raw": "CSV", "format": "CSV"},
            {"native_id": "unchecked", "url": "http://x/b.csv", "format_raw": "CSV", "format": "CSV"},
            {"native_id": "closed", "url": "http://x/c.csv", "format_raw": "CSV", "format": "CSV"},
            {"native_id": "no-licence", "url": "http://x/d.xls", "format_raw": "XLS", "format": "XLS"},
            {"native_id": "mystery", "url": "http://x/e", "format_raw": "data", "format": None},
        ],
        links=[
            {"url": "http://x/dead.csv", "status": 404, "alive": False, "reason": "HTTP 404"},
            {"url": "http://x/b.csv", "status": None, "alive": None, "reason": "DNS lookup failed on odq's side"},
        ],
    )
    value, detail, messages = _stars_measure(catalogue)
    assert detail["distribution"] == {"0": 2, "1": 1, "2": 1, "3": 2}
    assert (detail["scored"], detail["not_scored"]) == (6, 1)
    assert value == pytest.approx((0 + 0 + 1 + 2 + 3 + 3) / 6)
    assert detail["broken_link_zero"] == 1 and detail["closed_licence_zero"] == 1
    assert detail["unknown_format"] == 1
    assert detail["licences"] == {"open": 5, "closed": 1, "unknown": 1}
    # the declared formats alone: RDF 5, CSV 3, CSV 3, CSV 3, XLS 2, unknown 1
    assert detail["format_only_mean"] == pytest.approx((5 + 3 + 3 + 3 + 2 + 1) / 6)
    assert messages["broken"] == "broken link (HTTP 404) → 0 stars"
    assert messages["closed"].startswith("licence 'CC-BY-NC-4.0' is not open → 0 stars")
    assert messages["mystery"].endswith("→ 1 star (unknown format)")
    assert messages["rdf-as-text"].startswith("declared RDF_XML but the URL is .txt: TXT → 1 star")
    assert "no-licence" not in messages and "unchecked" not in messages
    assert messages[None] == ("1 of 7 datasets carry a licence the Open Definition list does not know "
                              "(none given ×1): their stars are not zeroed")


def test_a_sampled_file_whose_bytes_are_a_web_page_scores_0():
    catalogue = _catalogue(
        datasets=[{"native_id": "page", "licence": "CC-BY-4.0"}],
        distributions=[{"native_id": "page", "url": "http://x/f.xls", "format_raw": "XLS", "format": "XLS"}],
        links=[{"url": "http://x/f.xls", "status": 200, "alive": True, "content_type": "application/vnd.ms-excel"}],
        files=[{"url": "http://x/f.xls", "native_id": "page", "served_format": "HTML"}],
    )
    value, detail, messages = _stars_measure(catalogue)
    assert value == 0.0 and detail["decided_by"] == {"sniffed": 1}
    assert messages["page"] == "declared XLS, the file's bytes are: HTML → 0 stars"


def test_without_distribution_rows_the_declared_formats_are_scored_and_that_is_said():
    catalogue = _catalogue(datasets=[{"native_id": "a", "licence": "CC-BY-4.0", "formats": ["CSV", "PDF"]}],
                           distributions=[])
    catalogue.datasets["distributions_count"] = 2
    value, detail, _ = _stars_measure(catalogue)
    assert value == 3.0 and detail["declared_formats_only"] is True
