"""A folder of PDF and saved web pages is ingested like text: extracted, read by the inference reader, stored.
Everything here is invented."""
from __future__ import annotations

from .test_pdf_text import build, flow, furnished
from .test_web_page import TURNS, bold_paragraph_body, page

BLOCKS = [
    ["Operator: Good morning and welcome to the Harbor Lantern Foods second quarter 2031 earnings call.",
     "I will now hand over to Rita Gomez, Chief Financial Officer."],
    ["Rita Gomez: Thank you. Revenue rose 6% to $410 million in the quarter."],
    ["Operator: Our first question comes from Sam Poe with Big Bank."],
    ["Sam Poe: Thanks. How should we think about pricing for the rest of the year?"],
    ["Rita Gomez: Thanks, Sam. We expect pricing to hold."],
    ["Operator: That concludes today's call."],
]


def test_a_folder_of_pdf_and_html_pages_is_read_and_stored(archive, tmp_path):
    d = tmp_path / "in"
    d.mkdir()
    (d / "HLF_Q2_2031.pdf").write_bytes(build(furnished([flow(BLOCKS[:3]), flow(BLOCKS[3:])])))
    (d / "NWF_2024_Q3.html").write_text(page(bold_paragraph_body()), encoding="utf-8")
    report = archive.ingest([d], explain=True)
    assert report.ok, [f.message for f in report.files]
    by_name = {f.path.rsplit("/", 1)[-1]: f for f in report.files}
    pdf = by_name["HLF_Q2_2031.pdf"]
    assert pdf.status == "added" and pdf.explain["extraction"]["kind"] == "pdf"
    assert pdf.explain["extraction"]["pages"] == 2
    call = archive.get_call(pdf.call_id)
    assert [t["speaker"] for t in call["turns"]] == ["Operator", "Rita Gomez", "Operator", "Sam Poe", "Rita Gomez",
                                                     "Operator"]
    assert not any("Page 1 of 2" in t["text"] or "All rights reserved" in t["text"] for t in call["turns"])
    assert (call["ticker"], call["fiscal_year"], call["fiscal_quarter"]) == ("HLF", 2031, 2)
    html = by_name["NWF_2024_Q3.html"]
    assert html.status == "added" and html.explain["extraction"]["kind"] == "html"
    assert html.turns == len(TURNS)
    assert [t["speaker"] for t in archive.get_call(html.call_id)["turns"]] == [name for name, _, _ in TURNS]
    rows = archive.calls()
    assert {r["source_files"][0]["format"] for r in rows} <= {"inferred", "speaker-lines", "speaker-blocks"}
