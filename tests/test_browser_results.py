"""Results an analyst can trust, in a real headless Chromium (Debian's /usr/bin/chromium driven by Playwright):
facets narrow a search and chips undo it, hits grouped by call, the question shown above an answer, the call
viewer's contents, its next-match bar and the way back to the results, the box for a query nothing matches
closely, and no console errors. Screenshots go to screenshots/ (git-ignored; docs/results-*.png and docs/viewer.png
are copies of the best, for the README). The server serves the session's shared sample archive (tests/conftest.py)
and only reads it."""
from __future__ import annotations

from urllib.parse import parse_qsl, urlsplit

from .browser import BROWSER, SHOTS, page, server  # noqa: F401  (fixtures)

pytestmark = BROWSER


def query_of(url: str) -> list[tuple[str, str]]:
    return sorted(parse_qsl(urlsplit(url).query))


def hit_count(page) -> int:
    return page.locator("article.hit").count()


def total(page) -> int:
    """The summary's count of matching turns."""
    return int(page.locator("p.summary").inner_text().split()[0])


def shoot(page, name: str, **kw):
    page.screenshot(path=str(SHOTS / name), **kw)


def test_a_facet_narrows_the_results_and_its_chip_removes_it(server, page):
    page.goto(server + "/?q=revenue+growth&limit=20")
    page.wait_for_selector("nav.facets")
    assert page.locator("nav.facets[aria-label]").count() == 1
    assert page.locator(".chip").count() == 0
    before = total(page)
    # the first company of the company facet: a link with its count
    entry = page.locator("section.facet[data-facet=company] li").first
    link = entry.locator("a")
    param, value = link.get_attribute("data-param"), link.get_attribute("data-value")
    count = int(entry.locator(".count").inner_text())
    assert param == "ticker" and 0 < count < before
    shoot(page, "results-facets.png")
    link.click()
    page.wait_for_url(f"**ticker={value}**")
    assert dict(query_of(page.url))["ticker"] == value and "page" not in dict(query_of(page.url))
    assert total(page) == count < before
    hits = page.locator("article.hit")
    assert hits.count() == min(count, 20)
    assert all(value in hits.nth(i).locator(".meta").inner_text() for i in range(hits.count()))
    chip = page.locator(".chip", has_text=f"Ticker: {value}")
    assert chip.count() == 1
    # the facet entry now shows as active, not as a link that would add the same ticker again
    active = page.locator("section.facet[data-facet=company] .active")
    again = page.locator(f"section.facet a[data-param=ticker][data-value='{value}']")
    assert active.count() == 1 and again.count() == 0
    # a second facet (role) narrows further and keeps the ticker
    role = page.locator("section.facet[data-facet=role] a").first
    role_value = role.get_attribute("data-value")
    role.click()
    page.wait_for_url(f"**role={role_value}**")
    assert dict(query_of(page.url))["ticker"] == value and page.locator(".chip").count() == 2
    assert hit_count(page) and page.locator(f"article.hit .badge.{role_value}").count() == hit_count(page)
    # the chip's x removes that filter only
    page.locator(".chip", has_text=f"Ticker: {value}").locator("a").click()
    page.wait_for_url(lambda url: "ticker=" not in url)
    assert dict(query_of(page.url)) == {"q": "revenue growth", "limit": "20", "role": role_value}
    assert page.locator(".chip").count() == 1 and total(page) > count
    page.locator(".chip a").click()
    page.wait_for_url(lambda url: "role=" not in url)
    assert page.locator(".chip").count() == 0 and total(page) == before


def test_hits_grouped_by_call(server, page):
    page.goto(server + "/?q=revenue+growth")
    page.check("input[name=group]")
    page.click("button[type=submit]")
    page.wait_for_selector("section.group")
    assert "group=call" in page.url
    assert page.locator(".chip").count() == 0              # the form's empty boxes are no filters
    groups = page.locator("section.group")
    assert groups.count() >= 2
    calls = [groups.nth(i).get_attribute("data-call") for i in range(groups.count())]
    assert len(set(calls)) == len(calls)                                   # one heading per call
    for i in range(groups.count()):
        g = groups.nth(i)
        heading = g.locator("h2")
        matched = int(heading.locator(".matched").inner_text().split()[0])
        hits = g.locator("article.hit")
        assert 1 <= hits.count() <= matched
        # every hit under a heading is a turn of that call, and links to it
        assert all(hits.nth(j).get_attribute("data-turn").startswith(calls[i] + ":") for j in range(hits.count()))
        assert heading.locator("a").get_attribute("href").startswith(f"/calls/{calls[i]}?")
    assert page.locator(".hits > article.hit").count() == 0                # no hit outside a group
    shoot(page, "results-grouped.png", full_page=True, clip={"x": 0, "y": 0, "width": 1280, "height": 1500})


def test_the_question_above_an_answer(server, page):
    page.goto(server + "/?q=competitor+market+cloud&unit=answer&ticker=KC")
    page.wait_for_selector("article.hit")
    assert page.locator("select[name=unit]").input_value() == "answer"
    first = page.locator("article.hit").first
    assert "executive" in first.inner_text()
    question = first.locator("details.question")
    assert question.count() == 1 and question.get_attribute("open") is None      # collapsed
    assert question.locator("summary").inner_text() == "Question from Leping Huang, CICC"
    # above the answer's own snippet
    assert question.bounding_box()["y"] < first.locator("p.snippet").bounding_box()["y"]
    assert not question.locator("p").first.is_visible()
    question.locator("summary").click()
    assert question.locator("p").first.is_visible() and "Huawei" in question.inner_text()
    assert question.locator("a").get_attribute("href").startswith("/calls/KC-2020Q1?turn=KC-2020Q1:t018")
    first.scroll_into_view_if_needed()
    shoot(page, "results-question.png")


def test_viewer_contents_and_the_question_above_the_answer(server, page):
    page.goto(server + "/calls/KC-2020Q1?turn=KC-2020Q1:t020&q=revenue#t020")
    toc = page.locator("nav.toc")
    assert toc.get_attribute("aria-label")
    entries = toc.locator("li")
    assert entries.first.inner_text() == "Prepared remarks"
    assert entries.first.locator("a").get_attribute("href") == "#t000"
    exchanges = toc.locator("li.exchange")
    assert exchanges.count() == 5 and "Leping Huang" in exchanges.nth(3).inner_text()
    assert "CICC" in exchanges.nth(3).inner_text()
    exchanges.nth(3).locator("a").click()
    page.wait_for_url("**#t018")
    # t020 answers Leping Huang's question (t018), with Yulin Wang's answer between them
    target = page.locator("section.turn.target")
    question = target.locator("details.question")
    assert question.count() == 1
    assert question.locator("summary").inner_text().startswith("Answering Leping Huang's question")
    assert question.bounding_box()["y"] < target.locator("h3").bounding_box()["y"]
    question.locator("summary").click()
    assert "Huawei" in question.inner_text()
    # the turn right after its question shows none (the reader has just read it)
    assert page.locator("#t019 details.question").count() == 0
    page.evaluate("document.getElementById('t020').scrollIntoView(); window.scrollBy(0, -330)")
    shoot(page, "viewer-question.png")


def test_next_and_previous_match(server, page):
    page.goto(server + "/calls/KC-2020Q1?turn=KC-2020Q1:t007&q=enterprise#t007")
    bar = page.locator("#matchbar")
    assert bar.is_visible()
    matches = [page.locator("section.turn.match").nth(i).get_attribute("id")
               for i in range(page.locator("section.turn.match").count())]
    assert len(matches) >= 3 and "t007" in matches[1:-1]
    i = matches.index("t007")
    assert page.locator("section.turn.current-match").get_attribute("id") == "t007"     # the turn sought
    page.click("#next-match")
    current = page.locator("section.turn.current-match")
    assert current.count() == 1 and current.get_attribute("id") == matches[i + 1]
    assert page.locator("#match-status").inner_text() == f"Match {i + 2} of {len(matches)}"
    box = current.bounding_box()
    assert 0 <= box["y"] < page.viewport_size["height"]                    # scrolled into view
    assert current.locator("mark").count() > 0
    page.keyboard.press("p")
    assert page.locator("section.turn.current-match").get_attribute("id") == "t007"
    page.click("#prev-match")
    assert page.locator("section.turn.current-match").get_attribute("id") == matches[i - 1]
    # a call the query does not match: no bar
    page.goto(server + "/calls/KC-2020Q1?q=qwertyzzyx")
    assert page.locator("section.turn.match").count() == 0 and not page.locator("#matchbar").is_visible()


def test_back_to_the_results_with_the_same_query(server, page):
    search = server + "/?q=enterprise+cloud&ticker=KC&role=executive&sort=date&page=1"
    page.goto(search)
    first = page.locator("article.hit a.title").first
    assert "back=" in first.get_attribute("href")
    first.click()
    page.wait_for_selector("section.turn.target")
    page.click("#back-to-results")
    page.wait_for_selector("article.hit")
    assert urlsplit(page.url).path == "/" and query_of(page.url) == query_of(search)
    # a back link is always this site's search page, whatever it was given
    for evil in ("https://evil.example/x", "//evil.example/?q=a", "javascript:alert(1)"):
        page.goto(server + "/calls/KC-2020Q1?back=" + evil.replace("&", "%26").replace("?", "%3F"))
        href = page.locator("#back-to-results").get_attribute("href")
        assert href.startswith("/") and not href.startswith("//") and "evil.example/" not in href.split("?")[0]


def test_nothing_matches_closely(server, page):
    page.goto(server + "/?q=qwertyzzyx+flibbertigibbet")
    box = page.locator(".empty")
    assert box.count() == 1 and page.locator("article.hit").count() == 0
    text = box.inner_text()
    if box.get_attribute("class") == "empty no-close":
        assert "No passage matches qwertyzzyx flibbertigibbet closely." in text
        link = box.locator("a", has_text="closest weak matches")
        weak = int(link.inner_text().split("(")[1].rstrip(")"))
        link.click()
        page.wait_for_selector("article.hit")
        assert "min_score=0" in page.url and hit_count(page) == min(weak, 10)
        assert page.locator("article.hit .strength-weak").count() == hit_count(page)
        assert page.locator(".strength-weak").first.inner_text() == "weak match"
    else:
        assert "Nothing matches qwertyzzyx flibbertigibbet." in text


def test_weak_matches_note(server, page):
    page.goto(server + "/?q=cloud+margin+guidance")
    badges = page.locator("article.hit .meta .badge[class*=strength-]")
    assert badges.count() == hit_count(page) > 0
    assert {b.inner_text() for b in badges.all()} <= {"strong match", "partial match"}
    note = page.locator("p.weak-note")
    assert note.count() == 1
    hidden, shown = int(note.inner_text().split()[0]), total(page)
    assert hidden > 0 and note.inner_text().startswith(f"{hidden} weaker matches hidden")
    note.locator("a").click()
    page.wait_for_url("**min_score=0**")
    # more matches now (a question folds into its answer once both count, so not always shown + hidden)
    assert shown < total(page) <= shown + hidden and page.locator("p.weak-note").count() == 0
    page.goto(page.url + "&limit=100")
    assert page.locator("article.hit .strength-weak", has_text="weak match").count() > 0


def test_no_console_errors(page):
    assert page.console_errors == []
