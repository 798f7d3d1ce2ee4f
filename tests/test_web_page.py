"""Saved web pages -> transcript text (archive/formats/web_page.py). Every page here is invented: the names, the
firm and the speech are made up for these tests."""
from __future__ import annotations

from pathlib import Path

import pytest

from archive.errors import InputFileError
from archive.formats import web_page
from archive.formats.extract import to_text
from archive.formats.web_page import MAX_DROPPED, html_to_text

SPEECH_1 = ("Good day, and welcome to the Northwind Fasteners third quarter earnings conference call. "
            "Please go ahead.")
SPEECH_2 = ("Thank you, operator. We saw strong demand in the aerospace segment, and we expect that to continue "
            "through the rest of the year.")
SPEECH_3 = "On pricing, we are not going to give a number today, but the trend has been healthy."
SPEECH_4 = "Can you talk a little about inventory in the retail channel and how you think about it for next year?"

FURNITURE = {   # markup around the transcript -> a phrase of it that must not reach the text
    "header": ('<header class="site-header"><a href="/">Examplewire Markets</a><form><input placeholder="Search">'
               '<button>Search quotes and news</button></form></header>', "Search quotes and news"),
    "nav": ('<nav><ul><li><a href="/m">Markets Overview</a></li><li><a href="/r">Retirement Planner</a></li></ul>'
            '</nav>', "Retirement Planner"),
    "cookie": ('<div id="cookie-consent" class="cookie-banner"><p>We use cookies to personalise content.</p>'
               '<button>Accept all cookies</button></div>', "We use cookies"),
    "share": ('<div class="share-buttons"><a href="#t">Share on Twitter</a> <a href="#l">Share on LinkedIn</a></div>',
              "Share on LinkedIn"),
    "script": ('<script>var leak = "SCRIPT LEAK"; document.write("WRITTEN LEAK");</script>', "LEAK"),
    "json-ld": ('<script type="application/ld+json">{"headline": "JSONLD MARKER"}</script>', "JSONLD MARKER"),
    "style": ('<style>.speaker { font-weight: bold } /* STYLE MARKER */</style>', "STYLE MARKER"),
    "noscript": ('<noscript><p>Please enable JavaScript to see comments.</p></noscript>', "enable JavaScript"),
    "comment": ('<!-- COMMENT MARKER -->', "COMMENT MARKER"),
    "ad": ('<div class="ad-slot" id="ad-top"><p>Sponsored: claim a welcome bonus on a new brokerage account.</p>'
           '</div>', "welcome bonus"),
    "sidebar": ('<aside class="sidebar"><h4>Related Articles</h4><ul><li><a href="/a">Three dividend stocks to '
                'hold for a decade</a></li></ul></aside>', "Three dividend stocks"),
    "related": ('<div class="related-articles"><h4>More Earnings Coverage</h4><p>Five takeaways from the freight '
                'recession.</p></div>', "Five takeaways"),
    "newsletter": ('<div class="newsletter-signup"><p>Our free daily newsletter lands before the opening bell.</p>'
                   '</div>', "opening bell"),
    "comments": ('<section id="comments"><h3>Reader Comments</h3><p>Great call, buying more shares tomorrow!</p>'
                 '</section>', "buying more shares"),
    "footer": ('<footer class="site-footer"><p>Copyright 2024 Examplewire Media. All rights reserved.</p></footer>',
               "All rights reserved"),
    "hidden": ('<div hidden><p>Hidden attribute marker.</p></div>', "Hidden attribute marker"),
    "display-none": ('<div style="color: red; display:none"><p>Display none marker.</p></div>', "Display none marker"),
    "aria-hidden": ('<span aria-hidden="true">Aria hidden marker</span>', "Aria hidden marker"),
    "template": ('<template><p>Template marker.</p></template>', "Template marker"),
}

TURNS = [("Operator", None, [SPEECH_1]),
         ("Priya Natarajan", "Vice President, Investor Relations", [SPEECH_2, SPEECH_3]),
         ("Operator", None, ["Our next question comes from Deborah Kline with Harbor Point Securities."]),
         ("Deborah Kline", "Harbor Point Securities", [SPEECH_4]),
         ("John Smith", "Chief Financial Officer", [SPEECH_3, SPEECH_2]),
         ("Deborah Kline", "Harbor Point Securities", ["Thank you."]),
         ("Operator", None, ["Thank you."])]


def page(body: str, *, furniture: bool = True, title: str = "Northwind Fasteners Q3 2024 Earnings Call") -> str:
    """A whole web page: head, furniture before and after (and in the middle of) an <article> holding `body`."""
    fur = [m for m, _ in FURNITURE.values()] if furniture else []
    half = len(fur) // 2
    return ("<!DOCTYPE html><html><head><meta charset='utf-8'>"
            f"<title>{title} | Examplewire</title><meta property='og:title' content='{title}'>"
            "<style>body { margin: 0 }</style><script src='/app.js'></script></head><body>"
            + "".join(fur[:half]) + f"<main><article><h1>{title}</h1>{body}</article></main>"
            + "".join(fur[half:]) + "</body></html>")


def bold_paragraph_body(turns=TURNS) -> str:
    out = []
    for name, title, paras in turns:
        label = name + (f" -- {title}" if title else "")
        out.append(f"<p><strong>{label}</strong></p>" + "".join(f"<p>{p}</p>" for p in paras))
        if len(out) == 3:
            out.append(FURNITURE["ad"][0] + FURNITURE["hidden"][0])      # furniture between turns, too
    return "\n".join(out)


def lines_of(text: str) -> list[str]:
    return [ln for ln in text.split("\n") if ln.strip()]


def assert_in_order(lines: list[str], wanted: list[str]) -> None:
    """Each wanted line is a whole line of `lines`, in this order."""
    i = 0
    for w in wanted:
        assert w in lines[i:], f"{w!r} missing (or out of order) after line {i}: {lines[i:i + 5]}"
        i = lines.index(w, i) + 1


# ---------------------------------------------------------------------------------------------------- (a) furniture

def test_furniture_page_keeps_every_turn_in_order_and_nothing_else():
    result = html_to_text(page(bold_paragraph_body()), "call.html")
    lines = lines_of(result.text)
    wanted = []
    for name, title, paras in TURNS:
        wanted += [name + (f" -- {title}" if title else "")] + paras
    assert_in_order(lines, wanted)
    for key, (_, phrase) in FURNITURE.items():
        assert phrase not in result.text, f"{key} furniture leaked: {phrase!r}"
    assert "body { margin" not in result.text and "app.js" not in result.text
    assert result.kind == "html" and result.title == "Northwind Fasteners Q3 2024 Earnings Call"
    assert lines[0] == "Northwind Fasteners Q3 2024 Earnings Call"          # the article's own heading stays
    assert "Markets Overview" in result.dropped and "Accept all cookies" in result.dropped
    assert not any("LEAK" in d or "MARKER" in d for d in result.dropped)   # scripts are not 'lines'
    assert any(n.startswith("main content") for n in result.notes)
    assert any("removed furniture" in n for n in result.notes)


def test_paragraphs_are_separated_by_blank_lines():
    text = html_to_text(page(bold_paragraph_body()), "call.html").text
    assert f"Priya Natarajan -- Vice President, Investor Relations\n\n{SPEECH_2}\n\n{SPEECH_3}\n" in text
    assert "\n\n\n" not in text and text.endswith("\n") and not text.startswith("\n")


def test_furniture_by_class_id_and_role_and_article_header_kept():
    body = ('<header class="article-header"><h2>Prepared Remarks</h2></header>'
            '<div role="navigation"><a href="/x">Role Nav Marker</a></div>'
            '<div class="shareBar"><a href="#">Camel Case Share Marker</a></div>'
            '<div class="shareholder-letter"><p>Shareholder letter text stays.</p></div>'
            '<div class="thread-heading"><p>Heading class text stays.</p></div>'
            + bold_paragraph_body())
    result = html_to_text(page(body), "call.html")
    assert "Prepared Remarks" in lines_of(result.text)          # <header> inside the article is content
    assert "Role Nav Marker" not in result.text and "Camel Case Share Marker" not in result.text
    assert "Shareholder letter text stays." in result.text       # 'share' is a whole word, not a prefix
    assert "Heading class text stays." in result.text            # 'ad' is not found inside 'heading'


def test_a_form_wrapping_the_whole_page_is_not_furniture():
    html = ("<html><body><form id='aspnetForm' action='/x'><div class='nav'>Site Nav Marker</div>"
            + bold_paragraph_body() + "</form></body></html>")
    result = html_to_text(html, "wrapped.html")
    assert "Site Nav Marker" not in result.text
    assert_in_order(lines_of(result.text), ["Operator", SPEECH_1, "Operator", "Thank you."])
    assert any("kept <form>" in n for n in result.notes)


# ---------------------------------------------------------------------------------------------------- (b) label layouts

def test_inline_strong_labels_stay_inline():
    body = (f"<p><strong>Operator:</strong> {SPEECH_1}</p>"
            f"<p><strong>Jane Roe:</strong> {SPEECH_2}</p><p>{SPEECH_3}</p>"
            f"<p><b>John Smith</b>: {SPEECH_4}</p>")
    lines = lines_of(html_to_text(page(body), "inline.html").text)
    assert_in_order(lines, [f"Operator: {SPEECH_1}", f"Jane Roe: {SPEECH_2}", SPEECH_3, f"John Smith: {SPEECH_4}"])
    assert "Jane Roe:" not in lines and "Jane Roe" not in lines


@pytest.mark.parametrize("label_html, label", [
    ("<h3>John Smith -- Chief Financial Officer</h3>", "John Smith -- Chief Financial Officer"),
    ("<p><b>Operator</b></p>", "Operator"),
    ("<p><strong>Jane Roe</strong> -- <em>Chief Executive Officer</em></p>", "Jane Roe -- Chief Executive Officer"),
    ("<div><strong>Jane Roe</strong></div>", "Jane Roe"),
])
def test_labels_in_their_own_element_get_their_own_line(label_html, label):
    body = label_html + f"<p>{SPEECH_2}</p>" + bold_paragraph_body()
    text = html_to_text(page(body), "labels.html").text
    assert f"{label}\n\n{SPEECH_2}\n" in text


def test_run_in_labels_are_split_from_the_speech():
    body = (f"<p><b>Jane Roe</b><br>{SPEECH_2}</p>"          # label, line break, speech
            f"<p><strong>John Smith</strong> {SPEECH_3}</p>"  # label run into the speech
            f"<p><strong>Deborah Kline</strong> Harbor Point Securities</p><p>{SPEECH_4}</p>"  # a title: one line
            f"<p><strong>Revenue</strong> grew in every segment this quarter.</p>")           # not a name
    text = html_to_text(page(body), "run-in.html").text
    assert f"Jane Roe\n\n{SPEECH_2}\n" in text
    assert f"John Smith\n\n{SPEECH_3}\n" in text
    assert "Deborah Kline Harbor Point Securities\n" in text
    assert "Revenue grew in every segment this quarter." in text


def test_speaker_class_elements_become_label_lines():
    body = "".join(
        f'<div class="turn"><span class="speaker">{name}</span>'
        + (f'<span class="speaker-title">{title}</span>' if title else "")
        + f'<span class="text">{" ".join(paras)}</span></div>'
        for name, title, paras in TURNS)
    lines = lines_of(html_to_text(page(body), "spans.html").text)
    assert_in_order(lines, ["Operator", SPEECH_1,
                            "Priya Natarajan - Vice President, Investor Relations", f"{SPEECH_2} {SPEECH_3}",
                            "Deborah Kline - Harbor Point Securities", "Thank you.", "Operator", "Thank you."])


# ---------------------------------------------------------------------------------------------------- (c) short turns

SHORT_TURNS = [("Operator", None, [SPEECH_1]), ("Jane Roe", "Chief Executive Officer", [SPEECH_2]),
               ("Operator", None, ["Thank you."]), ("Deborah Kline", "Harbor Point Securities", ["Thanks."]),
               ("Jane Roe", "Chief Executive Officer", ["Yes."]), ("Operator", None, ["Thank you."])] * 4


def test_short_turns_are_never_dropped():
    result = html_to_text(page(bold_paragraph_body(SHORT_TURNS)), "short.html")
    wanted = [x for name, title, paras in SHORT_TURNS for x in [name + (f" -- {title}" if title else ""), *paras]]
    lines = lines_of(result.text)
    assert_in_order(lines, wanted)
    assert lines.count("Thank you.") == 8 and lines.count("Operator") == 12


def _fake_trafilatura(monkeypatch, drop):
    """trafilatura.extract that returns the page's text less the lines `drop` picks (a boilerplate remover that
    loses short paragraphs)."""
    import trafilatura

    def extract(tree, **kw):
        import html_text as ht
        return "\n".join(ln for ln in ht.etree_to_text(tree).split("\n") if ln.strip() and not drop(ln.strip()))
    monkeypatch.setattr(trafilatura, "extract", extract)


def test_main_content_that_loses_a_short_turn_is_not_used(monkeypatch):
    _fake_trafilatura(monkeypatch, lambda ln: ln == "Thank you.")
    result = html_to_text(page(bold_paragraph_body(SHORT_TURNS)), "short.html")
    assert lines_of(result.text).count("Thank you.") == 8
    assert any("not used" in n and "Thank you." in n for n in result.notes)


def test_main_content_that_loses_a_label_is_not_used(monkeypatch):
    _fake_trafilatura(monkeypatch, lambda ln: ln == "Operator")
    result = html_to_text(page(bold_paragraph_body()), "labels.html")
    assert lines_of(result.text).count("Operator") == 3
    assert any("not used" in n and "'Operator'" in n for n in result.notes)


def test_main_content_drops_unmarked_boilerplate_when_every_turn_survives(monkeypatch):
    body = '<div class="c-81x"><p>Unmarked promo marker</p></div>' + bold_paragraph_body()
    _fake_trafilatura(monkeypatch, lambda ln: ln == "Unmarked promo marker")
    result = html_to_text(page(body), "promo.html")
    assert "Unmarked promo marker" not in result.text and "Unmarked promo marker" in result.dropped
    assert_in_order(lines_of(result.text), ["Operator", SPEECH_1, "Operator", "Thank you."])
    assert any(n.startswith("main content (trafilatura): used") for n in result.notes)


def test_a_failing_main_content_library_is_not_fatal(monkeypatch):
    import trafilatura

    def boom(*a, **kw):
        raise RecursionError("maximum recursion depth exceeded")
    monkeypatch.setattr(trafilatura, "extract", boom)
    result = html_to_text(page(bold_paragraph_body()), "boom.html")
    assert_in_order(lines_of(result.text), ["Operator", SPEECH_1])
    assert any("trafilatura failed (RecursionError)" in n for n in result.notes)


# ---------------------------------------------------------------------------------------------------- (d) limits

def test_deeply_nested_markup_is_refused_clearly():
    html = "<html><body>" + "<div>" * 10_000 + "<p>deep text</p>" + "</div>" * 10_000 + "</body></html>"
    with pytest.raises(InputFileError) as e:
        html_to_text(html, "deep.html")
    assert e.value.message.startswith("deep.html: ") and "nested" in e.value.message
    assert e.value.hint and "export the transcript as text" in e.value.hint


def test_nesting_within_the_parser_limit_is_read():
    html = "<html><body>" + "<div>" * 1500 + "<p>Operator</p><p>deep text.</p>" + "</div>" * 1500 + "</body></html>"
    assert html_to_text(html, "deep.html").text == "Operator\n\ndeep text.\n"


@pytest.mark.parametrize("html", [
    "<html><head><title>Loading</title></head><body></body></html>",
    "<html><body><script>render('a transcript')</script><style>p{}</style><div hidden>Hidden</div>"
    "<!-- nothing --></body></html>",
    "<html><body>   &nbsp; \u200b  <div> </div></body></html>",
])
def test_a_page_without_text_is_refused(html):
    with pytest.raises(InputFileError) as e:
        html_to_text(html, "empty.html")
    assert e.value.message == "empty.html: the web page has no text"
    assert e.value.hint == "save the page after it has loaded, or export the transcript as text"


def test_library_failures_become_input_file_errors(monkeypatch):
    def boom(*a, **kw):
        raise RecursionError("maximum recursion depth exceeded")
    monkeypatch.setattr("html_text.etree_to_text", boom)
    with pytest.raises(InputFileError) as e:
        html_to_text(page(bold_paragraph_body()), "r.html")
    assert e.value.message.startswith("r.html: ") and e.value.hint


def test_dropped_lines_are_bounded():
    nav = "<nav><ul>" + "".join(f"<li><a href='/{i}'>Link number {i}</a></li>" for i in range(2000)) + "</ul></nav>"
    result = html_to_text(page(nav + bold_paragraph_body(SHORT_TURNS * 4)), "nav.html")
    assert len(result.dropped) == MAX_DROPPED and "Link number 0" in result.dropped
    assert any("the first 500 are listed" in n for n in result.notes)
    assert "Link number 7" not in result.text


def test_main_content_is_skipped_on_huge_pages(monkeypatch):
    monkeypatch.setattr(web_page, "MAIN_CONTENT_MAX_ELEMENTS", 10)
    result = html_to_text(page(bold_paragraph_body()), "big.html")
    assert any(n.startswith("main content: skipped") for n in result.notes)
    assert_in_order(lines_of(result.text), ["Operator", SPEECH_1, "Operator", "Thank you."])


# ---------------------------------------------------------------------------------------------------- (e) characters

def test_entities_and_nbsp_are_decoded_and_whitespace_normalised():
    body = ("<p><strong>Jane&nbsp;Roe</strong></p>"
            "<p>Revenue&nbsp;&nbsp;grew &amp; margins held &mdash; &#8220;a good quarter&#8221;, said the "
            "caf&eacute;\n   owner\t of&#x20;R&amp;D&#8203;.</p>" + bold_paragraph_body())
    lines = lines_of(html_to_text(page(body), "chars.html").text)
    assert "Jane Roe" in lines
    assert "Revenue grew & margins held — “a good quarter”, said the café owner of R&D." in lines
    assert not any("\xa0" in ln or "  " in ln or ln != ln.strip() for ln in lines)


def test_hidden_text_inside_a_paragraph_is_left_out():
    body = ('<p>We grew <span style="display: none">HIDDEN WORDS</span>in every <span aria-hidden="true">ICON'
            '</span>segment.</p>' + bold_paragraph_body())
    text = html_to_text(page(body), "hidden.html").text
    assert "HIDDEN WORDS" not in text and "ICON" not in text
    assert "We grew in every segment." in text


def test_hidden_utility_classes_and_a_page_saved_with_a_dialog_open():
    body = ('<div class="hidden">Hidden class marker</div><div class="d-none d-md-block"><p>Desktop only text.</p>'
            '</div><div class="hidden md:block"><p>Wide screen text.</p></div>')
    text = html_to_text(page(body + bold_paragraph_body()), "classes.html").text
    assert "Hidden class marker" not in text
    assert "Desktop only text." in text and "Wide screen text." in text
    dialog = ('<html><body><div id="app" aria-hidden="true">' + bold_paragraph_body()
              + '<span aria-hidden="true">Icon marker</span></div><div role="dialog">Accept cookies?</div>'
              '</body></html>')
    result = html_to_text(dialog, "dialog.html")
    assert_in_order(lines_of(result.text), ["Operator", SPEECH_1, "Operator", "Thank you."])
    assert "Icon marker" not in result.text and "Accept cookies?" not in result.text
    assert any("kept an aria-hidden element" in n for n in result.notes)


def test_preformatted_text_keeps_its_lines():
    body = "<pre>Operator\n\nGood day, everyone.\n\nJane Roe\nThank you.</pre>"
    text = html_to_text(page(body, furniture=False), "pre.html").text
    assert "Operator\n\nGood day, everyone.\n\nJane Roe\nThank you.\n" in text


def test_to_text_routes_web_pages_here():
    result = to_text(page(bold_paragraph_body()).encode("utf-8"), Path("call.html"))
    direct = html_to_text(page(bold_paragraph_body()), "call.html")
    assert result.kind == "html" and "Operator" in lines_of(result.text)
    assert (result.text, result.title) == (direct.text, "Northwind Fasteners Q3 2024 Earnings Call")


@pytest.mark.parametrize("markup", ["bold-paragraph", "speaker-span"])
def test_the_speaker_readers_find_every_turn_of_a_web_page(markup):
    from archive.formats import read_transcript
    if markup == "bold-paragraph":
        body = bold_paragraph_body()
    else:
        body = "".join(f'<div class="turn"><span class="speaker">{name}</span>'
                       + (f'<span class="role">{title}</span>' if title else "")
                       + "".join(f"<p>{p}</p>" for p in paras) + "</div>" for name, title, paras in TURNS)
    t = read_transcript(Path("nwf-2024-q3.html"), data=page(body).encode("utf-8"),
                        meta={"ticker": "NWF", "company": "Northwind Fasteners", "year": 2024, "quarter": 3})
    assert [x.speaker for x in t.turns] == [name for name, _, _ in TURNS]
    assert [x.text.split("\n")[0] for x in t.turns][-2:] == ["Thank you.", "Thank you."]
