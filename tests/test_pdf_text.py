"""PDF text extraction (archive/formats/pdf_text.py) on PDFs built here with fpdf2. Every name, company and sentence
below is invented."""
from __future__ import annotations

import io
from pathlib import Path

import pytest

import fpdf  # noqa: E402  (fpdf2, pinned in requirements.txt as a test dependency)

from archive.errors import InputFileError  # noqa: E402
from archive.formats.extract import to_text  # noqa: E402
from archive.formats.pdf_text import pdf_to_text  # noqa: E402

W, H = 612, 792                       # US letter, in points
LEFT, TOP, PITCH = 72, 90, 12


def build(pages, *, title=None, password=None) -> bytes:
    """pages: lists of (x, baseline y, text) or (x, y, text, font size); written in the order given."""
    pdf = fpdf.FPDF(unit="pt", format=(W, H))
    pdf.set_auto_page_break(False)
    if title:
        pdf.set_title(title)
    if password:
        pdf.set_encryption(owner_password="owner-" + password, user_password=password)
    for items in pages:
        pdf.add_page()
        for x, y, text, *size in items:
            pdf.set_font("Helvetica", size=size[0] if size else 10)
            pdf.text(x, y, text)
    return bytes(pdf.output())


def flow(blocks, *, x=LEFT, y=TOP):
    """Blocks of lines laid out down the page, one blank line's worth of space between blocks."""
    out = []
    for block in blocks:
        for line in block:
            out.append((x, y, line))
            y += PITCH
        y += PITCH
    return out


def speech(who: str, n: int, words: str) -> list[str]:
    return [who] + [f"{words} sentence {k} of the remarks by {who} runs on across the page width here." for k in
                    range(n)]


HEADER = "Harbor Lantern Foods Q2 2031 Earnings Call"
STAMP = "(c) 2031 Vendorly Data. All rights reserved."


def furnished(body_pages):
    """Pages with a repeated header, date, footer 'Page n of N' and a vendor stamp around the body."""
    n = len(body_pages)
    return [[(LEFT, 40, HEADER), (450, 40, "July 14, 2031")] + body
            + [(LEFT, 750, STAMP), (280, 765, f"Page {i + 1} of {n}")] for i, body in enumerate(body_pages)]


def test_repeated_header_footer_removed_and_speech_kept_in_order():
    pages = furnished([
        flow([["Operator"], ["Good day and welcome to the call. Please go ahead, Ms. Quill."],
              speech("Marta Quill", 6, "Revenue grew")]),
        flow([speech("Oren Vasko", 5, "Margins widened"), ["Operator"], ["The next question is from Ida Brum."]]),
        flow([speech("Ida Brum", 3, "Could you explain"), speech("Oren Vasko", 4, "Pricing held")]),
        flow([["Operator"], ["This concludes the call. You may now disconnect."]]),
    ])
    got = pdf_to_text(build(pages, title="Harbor Lantern Q2 2031"), "call.pdf")
    assert got.kind == "pdf" and got.pages == 4 and got.title == "Harbor Lantern Q2 2031"
    for furniture in (HEADER, "July 14, 2031", "Page 1 of 4", "Page 3 of 4", "Vendorly"):
        assert furniture not in got.text
    assert got.dropped.count(HEADER + " July 14, 2031") == 4       # one row: header and date
    assert [d for d in got.dropped if d.startswith("Page ")] == [f"Page {i} of 4" for i in range(1, 5)]
    assert any("repeated header/footer" in note for note in got.notes)
    lines = got.text.splitlines()
    order = [lines.index(s) for s in ("Marta Quill", "Oren Vasko", "Ida Brum")]
    assert order == sorted(order) and lines.count("Operator") == 3
    assert "Revenue grew sentence 5 of the remarks by Marta Quill runs on across the page width here." in lines
    # Speaker labels stay on their own lines, with a blank line before them where the layout has a gap.
    assert lines[lines.index("Ida Brum") - 1] == "" and lines[lines.index("Ida Brum") + 1].startswith("Could you")
    assert lines[-1] == "This concludes the call. You may now disconnect."
    # Lines of one paragraph are not split apart.
    i = lines.index("Marta Quill")
    assert all(line for line in lines[i:i + 7])


def test_two_columns_read_left_then_right_with_full_width_lines_in_place():
    left = [f"Left column line {k} tells of the new cold store in the north." for k in range(14)]
    right = [f"Right column line {k} covers the outlook for next year." for k in range(12)]
    items = [(LEFT, 50, "Harbor Lantern Foods: Chairman's Letter", 14)]
    for k in range(14):                        # the content stream interleaves the columns, row by row
        items.append((LEFT, 90 + k * PITCH, left[k], 9))
        if k < len(right):
            items.append((320, 90 + k * PITCH, right[k], 9))
    items.append((LEFT, 300, "Full-width closing line that spans both of the columns of the page, from one margin"
                             " to the other.", 9))
    got = pdf_to_text(build([items]), "columns.pdf")
    lines = [line for line in got.text.splitlines() if line]
    assert lines[0] == "Harbor Lantern Foods: Chairman's Letter"
    assert lines[1:15] == left and lines[15:27] == right
    assert lines[27].startswith("Full-width closing line")
    assert any("2 columns on page 1" in note for note in got.notes)


def test_single_column_with_a_name_and_title_table_is_not_split_into_columns():
    rows = [("Marta Quill", "Chief Executive Officer and Director of the Company"),
            ("Oren Vasko", "Chief Financial Officer and Treasurer of the Company"),
            ("Ida Brum", "Analyst, Northwind Securities Research Division"),
            ("Pal Ostrava", "Analyst, Bluegate Capital Research Division"),
            ("Lee Tamm", "Head of Investor Relations and Corporate Affairs"),
            ("Rina Solt", "Analyst, Cedar Row Partners Research Division"),
            ("Tom Eyre", "Senior Vice President of Operations and Supply")]
    items = [(LEFT, 90, "CORPORATE PARTICIPANTS")]
    for k, (who, role) in enumerate(rows):
        items += [(LEFT, 110 + k * PITCH, who), (330, 110 + k * PITCH, role)]
    got = pdf_to_text(build([items]), "participants.pdf")
    lines = [line for line in got.text.splitlines() if line]
    assert lines[1:] == [f"{who} {role}" for who, role in rows]
    assert not any("columns" in note for note in got.notes)


def test_image_only_pdf_has_no_text_layer():
    from PIL import Image, ImageDraw
    img = Image.new("RGB", (400, 500), "white")
    ImageDraw.Draw(img).rectangle((40, 40, 360, 80), fill="black")
    buf = io.BytesIO()
    img.save(buf, format="PNG")
    pdf = fpdf.FPDF(unit="pt", format=(W, H))
    for _ in range(2):
        pdf.add_page()
        pdf.image(io.BytesIO(buf.getvalue()), x=50, y=50, w=400)
    with pytest.raises(InputFileError) as e:
        pdf_to_text(bytes(pdf.output()), "scan.pdf")
    assert e.value.message == "scan.pdf: no text layer (a scanned PDF?): OCR it first"
    assert "ocrmypdf" in e.value.hint


def test_empty_pages_have_no_text_layer():
    with pytest.raises(InputFileError, match="no text layer"):
        pdf_to_text(build([[], [(LEFT, 90, "7")]]), "blank.pdf")


def _transcript_bytes() -> bytes:
    return build([flow([speech("Marta Quill", 8, "Volumes rose")])])


@pytest.mark.parametrize("data", [
    _transcript_bytes()[: len(_transcript_bytes()) // 3],
    b"%PDF-1.7\n" + b"\x00\xff not really a pdf \x13" * 40,
    b"%PDF-",
], ids=["truncated", "garbage", "header-only"])
def test_broken_pdf_is_an_input_file_error(data):
    with pytest.raises(InputFileError) as e:
        pdf_to_text(data, "broken.pdf")
    assert e.value.message.startswith("broken.pdf: ") and e.value.hint


def test_encrypted_pdf_asks_for_an_unprotected_copy():
    data = build([flow([speech("Marta Quill", 8, "Volumes rose")])], password="s3cret")
    with pytest.raises(InputFileError) as e:
        pdf_to_text(data, "locked.pdf")
    assert "encrypted" in e.value.message and "qpdf" in e.value.hint


def test_to_text_dispatches_pdf_bytes():
    got = to_text(_transcript_bytes(), Path("x.txt"))
    assert got.kind == "pdf" and got.text.startswith("Marta Quill\nVolumes rose sentence 0")


LETTER = [["Harbor Lantern Foods Limited", "Regd. Office: 12 Quay Road, Port Wren"], ["Date: August 2, 2031"],
          ["To,", "The Manager, Listing Department", "National Stock Exchange of India Limited",
           "Exchange Plaza, Bandra Kurla Complex, Mumbai"],
          ["BSE Limited", "Phiroze Jeejeebhoy Towers, Dalal Street, Mumbai"],
          ["Scrip Code: 599999   Symbol: HLFOODS"],
          ["Sub: Transcript of the Earnings Conference Call for Q1 FY32"],
          ["Dear Sir/Madam,"],
          ["Pursuant to Regulation 30 of the SEBI (Listing Obligations and Disclosure Requirements) Regulations,",
           "please find enclosed the transcript of the earnings call held on July 29, 2031."],
          ["Kindly take the same on record."], ["Yours faithfully,", "For Harbor Lantern Foods Limited"],
          ["Asha Venn", "Company Secretary & Compliance Officer"]]


def test_cover_letter_to_the_exchange_is_skipped():
    body = [["Moderator:", "Ladies and gentlemen, good day and welcome to the Q1 FY32 call of Harbor Lantern."],
            speech("Marta Quill", 5, "Exports doubled"), ["Moderator:", "Thank you. The next question is from Ida."]]
    got = pdf_to_text(build([flow(LETTER), flow(body), flow([speech("Ida Brum", 3, "On exports")])]), "nse.pdf")
    assert got.text.startswith("Moderator:\nLadies and gentlemen, good day")
    for letter_line in ("Dear Sir/Madam,", "Kindly take the same on record.", "Yours faithfully,", "Scrip Code"):
        assert letter_line not in got.text
    assert "Dear Sir/Madam," in got.dropped and "Asha Venn" in got.dropped
    assert any("cover letter" in note for note in got.notes)
    assert "On exports sentence 2 of the remarks by Ida Brum runs on across the page width here." in got.text


def test_a_letter_alone_is_kept():
    got = pdf_to_text(build([flow(LETTER)]), "letter.pdf")
    assert "Dear Sir/Madam," in got.text and not any("cover letter" in note for note in got.notes)


def test_transcript_first_page_is_not_taken_for_a_letter():
    body = [["Moderator:", "Ladies and gentlemen, welcome to the call. We refer to the stock exchange filing."],
            speech("Marta Quill", 10, "Exports doubled")]
    got = pdf_to_text(build([flow(body), flow([speech("Ida Brum", 4, "On exports")])]), "call.pdf")
    assert got.text.startswith("Moderator:") and not any("letter" in note for note in got.notes)


CLOSING = ["Operator", "That concludes today's conference. Thank you for joining; you may now disconnect."]


def test_trailing_disclaimer_heading_and_what_follows_are_dropped():
    legal = [["DISCLAIMER"],
             ["Vendorly reserves the right to change this document without notice. The transcript may contain",
              "errors, omissions or inaccuracies in the reporting of what was said on the call."],
             ["In no event shall Vendorly be liable for any investment decision made in reliance on it, nor for",
              "any damages. Vendorly makes no warranty, express or implied, of its accuracy or completeness."],
             ["(c) 2031 Vendorly Data. All rights reserved."]]
    got = pdf_to_text(build([flow([speech("Marta Quill", 12, "Sales rose")]), flow([CLOSING] + legal)]), "v.pdf")
    assert got.text.rstrip().splitlines()[-1] == CLOSING[1]
    assert "DISCLAIMER" in got.dropped and "any damages. Vendorly makes no warranty, express or implied, of its " \
                                             "accuracy or completeness." in got.dropped
    assert any("disclaimer" in note for note in got.notes)


def test_trailing_disclaimer_paragraph_without_heading_is_dropped():
    note = ["This transcript has been edited for readability and may contain errors. The company accepts no",
            "liability for any reliance on it and gives no warranty about its completeness."]
    got = pdf_to_text(build([flow([speech("Marta Quill", 12, "Sales rose"), CLOSING, note])]), "co.pdf")
    assert got.text.rstrip().endswith(CLOSING[1]) and note[0] in got.dropped
    # Forward-looking language inside the call is speech, not a disclaimer.
    fls = ["Marta Quill", "Our remarks contain forward-looking statements; actual results may differ.", "Thanks."]
    got = pdf_to_text(build([flow([speech("Oren Vasko", 12, "Costs fell"), fls])]), "co.pdf")
    assert got.text.rstrip().endswith("Thanks.") and not any("disclaimer" in n for n in got.notes)


def test_rotated_watermark_and_page_numbers_go():
    pdf = fpdf.FPDF(unit="pt", format=(W, H))
    pdf.set_auto_page_break(False)
    for n in range(1, 4):
        pdf.add_page()
        pdf.set_font("Helvetica", size=10)
        for x, y, text in flow([speech("Marta Quill", 6, f"Page {n} talk")]):
            pdf.text(x, y, text)
        pdf.text(300, 770, f"- {n} -")
        with pdf.rotation(45, 300, 400):
            pdf.set_font("Helvetica", size=40)
            pdf.text(200, 400, "DRAFT COPY")
    got = pdf_to_text(bytes(pdf.output()), "w.pdf")
    assert "DRAFT" not in got.text and "- 2 -" not in got.text and "- 2 -" in got.dropped
    assert any("rotated" in note for note in got.notes)


@pytest.mark.parametrize("angle", [90, 270])
def test_a_page_of_sideways_text_is_read_turned_upright(angle):
    lines = [f"Line {k} of a landscape table of plant volumes set sideways on a portrait page." for k in range(12)]
    pdf = fpdf.FPDF(unit="pt", format=(W, H))
    pdf.add_page()
    pdf.set_font("Helvetica", size=10)
    with pdf.rotation(angle, x=W / 2, y=H / 2):
        for x, y, text in flow([lines[:6], lines[6:]], x=120, y=250):
            pdf.text(x, y, text)
    got = pdf_to_text(bytes(pdf.output()), "landscape.pdf")
    assert got.text.splitlines() == lines[:6] + [""] + lines[6:]


def test_a_vendor_style_pdf_reads_into_turns():
    """The whole way: PDF bytes -> text -> the speaker-blocks reader -> turns with speakers, roles and sections."""
    from archive.formats import read_transcript
    p1 = flow([["CORPORATE PARTICIPANTS"], ["Marta Quill", "Harbor Lantern Foods Inc - CEO"],
               ["CONFERENCE CALL PARTICIPANTS"], ["Ida Brum", "Northwind Securities, Research Division - Analyst"],
               ["PRESENTATION"], ["Operator", "Good day and welcome to the Harbor Lantern Foods call. Go ahead."],
               ["Marta Quill", "Harbor Lantern Foods Inc - CEO"]
               + [f"Sentence {k} of my remarks says that the quarter went well for the group." for k in range(30)]])
    p2 = flow([["QUESTIONS AND ANSWERS"], ["Operator", "Our first question comes from Ida Brum with Northwind."],
               ["Ida Brum", "Northwind Securities, Research Division - Analyst", "How did pricing hold up?"],
               ["Marta Quill", "Harbor Lantern Foods Inc - CEO", "Pricing held up well in the north."]])
    data = build(furnished([p1, p2]))
    call = read_transcript(Path("Q2 2031 Harbor Lantern Foods Inc Earnings Call.pdf"), data=data)
    assert [(t.speaker, t.role, t.section) for t in call.turns] == [
        ("Operator", "operator", "prepared"), ("Marta Quill", "executive", "prepared"), ("Operator", "operator", "qa"),
        ("Ida Brum", "analyst", "qa"), ("Marta Quill", "executive", "qa")]
    assert "Page 1 of 2" not in call.turns[1].text and "Sentence 29 of my remarks" in call.turns[1].text
