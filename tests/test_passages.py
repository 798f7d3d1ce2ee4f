from archive.passages import indexed_text, passage_text

ROW = {"ticker": "KC", "company": "Kingsoft Cloud", "fiscal_year": 2020, "fiscal_quarter": 1, "speaker": "Haijian He",
       "text": "Revenue grew."}


def test_context_prefixes():
    assert passage_text(ROW) == "KC Q1 2020. Haijian He: Revenue grew."
    assert indexed_text(ROW) == {"text": "Revenue grew.", "context": "KC Kingsoft Cloud Q1 2020. Haijian He: "}
    no_ticker = {**ROW, "ticker": None}
    assert passage_text(no_ticker) == "Kingsoft Cloud Q1 2020. Haijian He: Revenue grew."
    bare = {**ROW, "ticker": None, "company": None, "fiscal_year": None, "fiscal_quarter": None}
    assert passage_text(bare) == "Haijian He: Revenue grew."
