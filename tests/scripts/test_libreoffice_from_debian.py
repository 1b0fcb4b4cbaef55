import gzip
import importlib.util
import os
import shutil
import subprocess

import pytest
from helpers.demo_training import REPO_ROOT

_spec = importlib.util.spec_from_file_location(
    "libreoffice_from_debian", os.path.join(REPO_ROOT, "scripts", "libreoffice_from_debian.py")
)
libreoffice_from_debian = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(libreoffice_from_debian)

HEAD = (
    "<!DOCTYPE html>\n<html>\n<head><title>Help</title>\n"
    '<script type="text/javascript">var note = "script text is never running text";</script>\n'
    "<style>p.paragraph { margin: 0 }</style></head>\n<body>\n"
    '<header id="TopLeftHeader"><p>LibreOffice 7.4 Help header</p></header>\n'
    '<aside class="leftside"><div id="Contents"><p>The contents tree of the help</p></div>'
    "</aside>\n"
    '<div id="DisplayArea" itemprop="articleBody">\n'
    '<nav class="breadcrumbs"><p>Home page of the help navigation</p></nav>\n'
)
FOOT = (
    "<footer><p>Please support us with a donation!</p></footer>\n</div>\n"
    '<div id="DonationFrame"><p>Donate to the Document Foundation now</p></div>\n</body></html>\n'
)
CODE = (
    '<div class="bascode"><pre><code>Dim oDoc As Object\n'
    'MsgBox "Hello from the code block"</code></pre></div>\n'
)
# As in the real pages: an icon inside a sentence, <br> between the lines of a table cell.
ICON = (
    '<img src="media/icon-themes/cmd/sc_formatpaintbrush.svg" class="iconimage" alt="Icon"'
    ' style="width:16px;height:16px" itemprop="icon">'
)
INPUT = '<span class="input" data-tooltip="Click on text to copy to clipboard">'
PAGES = {
    "en": {
        "text/shared/help.html": HEAD
        + '<h1 id="hd_id1" dir="auto"><a name="top"></a>Working with help pages</h1>\n'
        + '<p id="par_id1" class="paragraph" dir="auto">Press <span class="keycode">F1</span> to'
        + " open the help.</p>\n"
        + '<p id="par_id2" class="paragraph" dir="auto">Click the <span class="emph">Clone'
        + f" Formatting</span> icon {ICON}. After you apply all the formatting, click the icon"
        + " again.</p>\n"
        + CODE
        + '<p id="par_id3" class="paragraph">Too short</p>\n'
        + '<p id="par_id4" class="paragraph">This sentence is not translated.</p>\n'
        + '<p id="par_id5" class="paragraph">12 34 56 cells</p>\n'
        + '<p id="par_id6" class="paragraph">Dim oCell As Object</p>\n'
        + '<p id="par_id7" class="paragraph"><span class="MAC">Press Command+Q on a Mac</span>'
        + '<span class="defaultinline">Press Ctrl+Q</span> to quit the application.</p>\n'
        + '<table border="1"><tr><td rowspan="" colspan="" dir="auto"><p id="par_id8"'
        + ' class="tablecontentintable">Select the cell range first</p></td><td><p id="par_id9"'
        + ' class="tablecontentintable">Then choose Format - Cells.</p></td></tr></table>\n'
        + '<p id="par_id10" class="tablecontentintable">Slides<br>Shapes per &quot;slide&quot;'
        + "<br>Master slides</p>\n"
        + f'<p id="par_id11" class="paragraph">{INPUT}=TRUNC(0.664,2)</span> returns 0.66.</p>\n'
        + f'<p id="par_id12" class="paragraph">{INPUT}svc.IsSheetName(inputstr: str): bool</span>'
        + "</p>\n"
        + '<p class="pycode">print("a Python example line")</p>\n'
        + FOOT,
        # No footer: the body ends with DisplayArea. par_id26 is an id that two embedded
        # sections share, as in the real help.
        "text/swriter/guide/table.html": '<html><body><div id="DisplayArea">\n'
        + '<h1 id="hd_id20">Working with help pages</h1>\n'
        + '<p id="par_id21">Press <span class="keycode">F1</span> to open the help.</p>\n'
        + '<p id="par_id22">Only English has this paragraph.</p>\n'
        + '<p id="par_id23">Insert a table with three columns.</p>\n'
        + '<p id="par_id26">Create and insert new charts into a document.</p>\n'
        + '<p id="par_id26">Convert between time zones of the world.</p>\n'
        + "</div>\n<p>Text after the body of the page</p></body></html>\n",
    },
    "de": {
        "text/shared/help.html": HEAD
        + '<h1 id="hd_id1" dir="auto"><a name="top"></a>Mit Hilfeseiten arbeiten</h1>\n'
        + '<p id="par_id1" class="paragraph" dir="auto">Drücken Sie <span class="keycode">F1'
        + "</span>, um die Hilfe zu öffnen.</p>\n"
        + '<p id="par_id2" class="paragraph" dir="auto">Klicken Sie auf das Symbol <span'
        + f' class="emph">Format übertragen</span> {ICON}. Wenn Sie fertig sind, klicken Sie'
        + " erneut auf das Symbol.</p>\n"
        + CODE
        + '<p id="par_id3" class="paragraph">Zu kurz</p>\n'
        + '<p id="par_id4" class="paragraph">This sentence is not translated.</p>\n'
        + '<p id="par_id5" class="paragraph">12 34 56 Zellen</p>\n'
        + '<p id="par_id7" class="paragraph"><span class="MAC">Drücken Sie Befehl+Q</span>'
        + '<span class="defaultinline">Drücken Sie Strg+Q</span>, um die Anwendung zu'
        + " beenden.</p>\n"
        + '<table border="1"><tr><td rowspan="" colspan="" dir="auto"><p id="par_id8"'
        + ' class="tablecontentintable">Wählen Sie zuerst den Zellbereich</p></td><td><p'
        + ' id="par_id9" class="tablecontentintable">Then choose Format - Cells.</p></td></tr>'
        + "</table>\n"
        + '<p id="par_id10" class="tablecontentintable">Folien<br>Formen pro Folie<br>'
        + "Masterfolien</p>\n"
        + f'<p id="par_id11" class="paragraph">{INPUT}=KÜRZEN(0,664;2)</span> ergibt 0,66.</p>\n'
        + FOOT,
        "text/swriter/guide/table.html": HEAD
        + '<h1 id="hd_id20">Mit Hilfeseiten arbeiten</h1>\n'
        + '<p id="par_id21">Drücken Sie <span class="keycode">F1</span>, um die Hilfe zu'
        + " öffnen.</p>\n"
        + '<p id="par_id23">Insert a table with the three columns from the menu.</p>\n'
        + '<p id="par_id24">Select the cell range first</p>\n'
        + '<p id="par_id25">Nur Deutsch hat diesen Absatz.</p>\n'
        + '<p id="par_id26">Neue Diagramme erstellen und in ein Dokument einfügen.</p>\n'
        + '<p id="par_id26">Zwischen den Zeitzonen der Welt umrechnen.</p>\n'
        + FOOT,
    },
}
# FreeDict articles in the order of the data file (a metadata entry first, a headword twice);
# the index lists them sorted by headword, as dictd's indexes do, and the lists keep data order.
DICTIONARIES = {
    "deu-eng": [
        ("00-database-info", "00-database-info\nA test dictionary, German-English.\n"),
        ("Haus", "Haus /haʊs/ <n, neut>\nhouse, home\n"),
        ("Datei", "Datei <n, fem>\n1. file\n2. data file\n"),
        ("Haus", "Haus /haʊs/ <n, neut>\nbuilding\n"),
        ("klicken", "klicken <v>\nclick; press (a button)\n"),
    ],
    "eng-deu": [
        ("file", "file <n>\nAkte, Datei\n"),
        ("house", "house /haʊs/ <n>\nHaus\n"),
        ("click", "click <v>\nklicken\n"),
        ("file", "file <n>\nOrdner\n"),
    ],
}

EXPECTED = {
    # An icon and a <br> end a unit: "Click the Clone Formatting icon" is one, "Slides" (too short)
    # another. The formula example and the method's signature look like code.
    "en.txt": [
        "Working with help pages",
        "Press F1 to open the help.",
        "Click the Clone Formatting icon",
        ". After you apply all the formatting, click the icon again.",
        "This sentence is not translated.",
        "Press Ctrl+Q to quit the application.",
        "Select the cell range first",
        "Then choose Format - Cells.",
        'Shapes per "slide"',
        "Only English has this paragraph.",
        "Insert a table with three columns.",
        "Create and insert new charts into a document.",
        "Convert between time zones of the world.",
    ],
    "de.txt": [
        "Mit Hilfeseiten arbeiten",
        "Drücken Sie F1, um die Hilfe zu öffnen.",
        "Klicken Sie auf das Symbol Format übertragen",
        ". Wenn Sie fertig sind, klicken Sie erneut auf das Symbol.",
        "Drücken Sie Strg+Q, um die Anwendung zu beenden.",
        "Wählen Sie zuerst den Zellbereich",
        "Formen pro Folie",
        "Nur Deutsch hat diesen Absatz.",
        "Neue Diagramme erstellen und in ein Dokument einfügen.",
        "Zwischen den Zeitzonen der Welt umrechnen.",
    ],
    # German order; every German unit with the first English unit of its page and id, as the
    # shared files pair them: both halves of par_id2 and both par_id26 with the first English
    # one. "Formen pro Folie" is not paired: the first English unit of par_id10 is "Slides".
    "parallel/en-de.tsv": [
        "Working with help pages\tMit Hilfeseiten arbeiten",
        "Press F1 to open the help.\tDrücken Sie F1, um die Hilfe zu öffnen.",
        "Click the Clone Formatting icon\tKlicken Sie auf das Symbol Format übertragen",
        "Click the Clone Formatting icon\t. Wenn Sie fertig sind, klicken Sie erneut auf das"
        " Symbol.",
        "Press Ctrl+Q to quit the application.\tDrücken Sie Strg+Q, um die Anwendung zu beenden.",
        "Select the cell range first\tWählen Sie zuerst den Zellbereich",
        "Create and insert new charts into a document.\tNeue Diagramme erstellen und in ein"
        " Dokument einfügen.",
        "Create and insert new charts into a document.\tZwischen den Zeitzonen der Welt umrechnen.",
    ],
    "dict/de-en.tsv": [
        "Haus\thouse",
        "Haus\thome",
        "Datei\tfile",
        "Haus\tbuilding",
        "klicken\tclick",
        "klicken\tpress",
    ],
    "dict/en-de.tsv": [
        "file\tAkte",
        "file\tDatei",
        "house\tHaus",
        "click\tklicken",
        "file\tOrdner",
    ],
    # de-en grouped by German word, then what the inverted en-de adds, grouped by English word.
    "dict/de-en.merged.tsv": [
        "Haus\thouse",
        "Haus\thome",
        "Haus\tbuilding",
        "Datei\tfile",
        "klicken\tclick",
        "klicken\tpress",
        "Akte\tfile",
        "Ordner\tfile",
    ],
}
HELP_COPYRIGHT = "Files: *\nLicense: MPL-2.0\n"


def encode_base64_number(value: int) -> str:
    digits = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
    text = digits[value % 64]
    while value >= 64:
        value //= 64
        text = digits[value % 64] + text
    return text


def write(path, text, mode="w"):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    if mode == "wb":
        with open(path, "wb") as file:
            file.write(text)
    else:
        with open(path, "w", encoding="utf-8") as file:
            file.write(text)


def fake_packages(folder):
    """The unpacked trees of the English and German help and of both FreeDict packages."""
    for language, pages in PAGES.items():
        name, package = libreoffice_from_debian.HELP[language]
        for page, html in pages.items():
            write(os.path.join(folder, package, "usr/share/libreoffice/help", name, page), html)
    write(
        os.path.join(
            folder, "libreoffice-help-en-us/usr/share/doc/libreoffice-help-en-us/copyright"
        ),
        HELP_COPYRIGHT,
    )
    for name, articles in DICTIONARIES.items():
        package = os.path.join(folder, f"dict-freedict-{name}")
        data, index = b"", []
        for headword, article in articles:
            encoded = article.encode("utf-8")
            index.append(
                f"{headword}\t{encode_base64_number(len(data))}\t"
                f"{encode_base64_number(len(encoded))}\n"
            )
            data += encoded
        stem = os.path.join(package, "usr/share/dictd", f"freedict-{name}")
        write(stem + ".index", "".join(sorted(index, key=lambda line: line.split("\t")[0].lower())))
        write(stem + ".dict.dz", gzip.compress(data), "wb")
        write(
            os.path.join(package, "usr/share/doc", f"dict-freedict-{name}", "copyright"),
            f"Upstream-Name: FreeDict {name}\n",
        )
    return folder


def read_lines(path):
    with open(path, encoding="utf-8", newline="") as file:
        text = file.read()
    assert text.endswith("\n")
    return text[:-1].split("\n")


def output_files(folder):
    return sorted(
        os.path.relpath(os.path.join(root, name), folder)
        for root, _, names in os.walk(folder)
        for name in names
    )


def run(packages, output, *options):
    libreoffice_from_debian.main(
        ["--packages", str(packages), "--output", str(output), "--languages", "de", *options]
    )


def check_outputs(output):
    for name, lines in EXPECTED.items():
        assert read_lines(os.path.join(output, name)) == lines, name
    with open(os.path.join(output, "COPYRIGHT.libreoffice-help"), encoding="utf-8") as file:
        assert file.read() == HELP_COPYRIGHT
    for name in DICTIONARIES:
        with open(os.path.join(output, "dict/copyright", f"dict-freedict-{name}")) as file:
            assert file.read() == f"Upstream-Name: FreeDict {name}\n"


def test_rebuilds_text_parallel_pairs_and_dictionaries_from_unpacked_packages(tmp_path):
    packages = fake_packages(tmp_path / "packages")
    output = tmp_path / "out"
    write(str(output / "README.md"), "kept\n")
    run(packages, output, "--no-lo-dice")
    check_outputs(output)
    assert output_files(output) == sorted(
        list(EXPECTED)
        + [
            "README.md",
            "COPYRIGHT.libreoffice-help",
            "dict/copyright/dict-freedict-deu-eng",
            "dict/copyright/dict-freedict-eng-deu",
        ]
    )
    assert read_lines(str(output / "README.md")) == ["kept"]


def test_lo_dice_list_comes_from_the_lowercased_parallel_pairs(tmp_path):
    packages = fake_packages(tmp_path / "packages")
    run(packages, tmp_path / "out", "--min-count", "2")
    check_outputs(tmp_path / "out")
    # Lowercased, German first, words together in at least 2 of the 8 pairs: sie/the (in 5 pairs,
    # Dice 1), symbol/icon and zu/to (in 2, Dice 1) are each other's best partners ("klicken",
    # "auf", "das" tie with "symbol" for "icon", "drücken" and "um" with "zu" for "to": the
    # larger string wins).
    assert read_lines(tmp_path / "out/dict/de-en.lo-dice.tsv") == [
        "sie\tthe",
        "symbol\ticon",
        "zu\tto",
    ]


def test_lo_dice_pairs_are_mutual_best_partners_with_letters(tmp_path):
    parallel = [
        ("Open file.", "Datei öffnen."),
        ("Save file.", "Datei speichern."),
        ("Open window.", "Fenster öffnen."),
        ("Close window.", "Fenster schließen."),
        ("Save files.", "Dateien speichern."),
        ("Close files.", "Dateien schließen."),
    ]
    # "." is its own best partner (in every pair on both sides) but has no letter.
    assert libreoffice_from_debian.lo_dice_pairs(parallel, "de", str(tmp_path), 2, 0.3) == [
        ("datei", "file"),
        ("dateien", "files"),
        ("fenster", "window"),
        ("schließen", "close"),
        ("speichern", "save"),
        ("öffnen", "open"),
    ]


@pytest.mark.skipif(shutil.which("dpkg-deb") is None, reason="needs dpkg-deb to build a .deb")
def test_reads_deb_files_as_it_reads_unpacked_trees(tmp_path):
    trees = fake_packages(tmp_path / "trees")
    debs = tmp_path / "debs"
    debs.mkdir()
    for package in sorted(os.listdir(trees)):
        root = tmp_path / "build" / package
        shutil.copytree(trees / package, root)
        write(
            str(root / "DEBIAN/control"),
            f"Package: {package}\nVersion: 1.0\nArchitecture: all\n"
            "Maintainer: Test <test@example.org>\nDescription: a fake package\n",
        )
        subprocess.run(
            ["dpkg-deb", "--root-owner-group", "--build", str(root), str(debs / f"{package}.deb")],
            check=True,
            capture_output=True,
        )
    run(debs, tmp_path / "out", "--no-lo-dice")
    check_outputs(tmp_path / "out")
    assert all(name.endswith(".deb") for name in os.listdir(debs))  # nothing unpacked there


def test_a_missing_package_is_named_and_nothing_is_written(tmp_path):
    packages = fake_packages(tmp_path / "packages")
    shutil.rmtree(packages / "libreoffice-help-de")
    with pytest.raises(ValueError, match="usr/share/libreoffice/help/de/text.*libreoffice-help-de"):
        run(packages, tmp_path / "out", "--no-lo-dice")
    assert not os.path.exists(tmp_path / "out")


def test_a_broken_dictionary_index_is_named_and_nothing_is_written(tmp_path):
    packages = fake_packages(tmp_path / "packages")
    index = packages / "dict-freedict-eng-deu/usr/share/dictd/freedict-eng-deu.index"
    write(str(index), "file\tA!\tB\n")
    with pytest.raises(ValueError, match="freedict-eng-deu.index"):
        run(packages, tmp_path / "out", "--no-lo-dice")
    assert not os.path.exists(tmp_path / "out")


def test_a_lo_dice_list_without_pairs_is_named(tmp_path):
    packages = fake_packages(tmp_path / "packages")
    with pytest.raises(ValueError, match=r"dict/de-en.lo-dice.tsv .*\(8 pairs\).*--no-lo-dice"):
        run(packages, tmp_path / "out", "--min-count", "8")  # no two words together in all 8
    assert not os.path.exists(tmp_path / "out")


def test_page_units_keep_the_body_and_skip_code_navigation_and_mac_text():
    html = (
        '<p>before</p><div id="DisplayArea"><nav><p>menu</p></nav>'
        '<div id="sec"><p>no own id <code>x = 1</code> here</p>'
        '<p class="sqlcode">SELECT * FROM t</p><ul><li>item <span class="MAC">Cmd</span>one</li>'
        '</ul></div><p id="lines">one<br>two <img src="icon.svg" alt="Icon">three</p>'
        "<footer>bottom</footer></div><p>after</p>"
    )
    assert libreoffice_from_debian.page_units(html) == [
        ("sec", "no own id here"),
        ("sec", "item one"),
        ("lines", "one"),  # a line break and an image end a unit, as in the shared files
        ("lines", "two"),
        ("lines", "three"),
    ]


@pytest.mark.parametrize(
    "text, running",
    [
        ("Press F1 to open the help.", True),
        ("Too short", False),
        ("12 34 56 cells", False),
        ("1 2 cells rows", True),
        (">>> import uno", False),
        ("Dim oDoc As Object", False),
        ("Sub Main ( )", False),
        ("If x > 1 Then", False),
        ("For i = 1 To 10", False),
        ("=SUM(A1:A5; B1:B5; C1)", False),
        ("=ACOS(-1) returns 3.14 (PI radians)", True),
        # More than a quarter of the characters punctuation: code; `!%^~&` do not count.
        ("=TRUNC(0.664,2) returns 0.66.", False),
        ("=TRUNC(103.37,1) returns 103.3.", True),  # 7 of 29 characters
        ('"GRT" ; "regton"', False),
        ('"Sun" & "day" ergibt "Sunday"', True),
        ("svc.IsSheetName(inputstr: str): bool", False),
        ('CreateScriptService("L10N", opt foldername: str): svc', False),
        ("ctx = uno.getComponentContext()", False),
        ("DESK = 'com.sun.star.frame.Desktop'", False),
        ("Function Keys for LibreOffice Impress", False),
        ("Sub-formulário baseado em relação existente", True),
        ('Type "help", "copyright", "credits" or "license" for more information.', False),
    ],
)
def test_running_text_needs_three_words_mostly_with_letters_and_no_code(text, running):
    assert libreoffice_from_debian.is_running_text(text) is running


def test_english_is_told_by_frequent_words():
    assert libreoffice_from_debian.looks_english("Insert a table with the columns from the menu.")
    assert not libreoffice_from_debian.looks_english("Sie können mehrere If...Then verschachteln.")
    assert not libreoffice_from_debian.looks_english("Fügen Sie eine Tabelle in das Dokument ein.")
