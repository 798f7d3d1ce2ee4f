"""A saved web page -> the transcript text a speaker-label reader needs (a `PageText`). This module owns everything
about HTML and nothing about transcript layouts. Libraries chosen by measurement (scripts/bench_html.py):

1. parse: lxml's HTML parser (libxml2; entities decoded, broken markup recovered). Nesting deeper than libxml2's
   limit (2,048 levels) loses the text below it, so such a page is refused rather than read in part.
2. never text: <script>, <style>, <template>, <noscript>, comments, and hidden elements (`hidden`,
   `display: none` / `visibility: hidden`, hidden-utility classes not overridden for wide screens, and
   `aria-hidden="true"` except on an element holding half the page's text: a page saved with a dialog open).
3. page furniture: <nav>, <aside>, <form>, <iframe>, <svg>, buttons and inputs, <header>/<footer> outside the
   article, and elements whose class, id or role names navigation, menus, footers, sidebars, cookie notices,
   sharing, ads, related articles, newsletters or comments. An element holding half the page's text or more is
   never removed as furniture (a site that wraps its whole body in `<form>` or `class="has-sidebar"`).
4. speaker labels: an element whose class names a speaker (`<span class="speaker">`), and a bold name that opens
   a paragraph followed by the speech (`<p><b>Jane Roe</b><br>Thank you...`), become paragraphs of their own;
   a role element next to a speaker element joins it as 'Name - Role'. Inline labels (`<b>Jane Roe:</b> text`)
   stay inline.
5. lines: html-text's layout walk (iterative, so deep trees cannot overflow the stack): one line per block
   element, a blank line around paragraphs, headings and lists; <pre> keeps its own line breaks.
6. main content: trafilatura, run on the cleaned page, decides which further lines are boilerplate. Its verdict is
   used only when it keeps every speaker-label-looking line that has speech next to it and the first line after
   every kept label (short turns such as "Operator" / "Thank you." are what boilerplate removers lose); otherwise
   the whole cleaned page is kept and `notes` says why.

Every removed line is listed in `PageText.dropped` (the first MAX_DROPPED), every decision in `PageText.notes`. A
failure of the libraries becomes an InputFileError naming the file and the next step."""
from __future__ import annotations

import copy
import re
import time

from ..errors import InputFileError
from .extract import PageText

MAX_DEPTH = 2048                 # libxml2's nesting limit with huge_tree; deeper markup is refused
MAX_DROPPED = 500                # PageText.dropped keeps this many removed lines
MAIN_CONTENT_MAX_ELEMENTS = 50_000   # trafilatura is skipped above this many elements (it takes ~30 us each)
_KEEP_SHARE = 0.5                # furniture guesses never remove an element holding this share of the text
_MATCH_WINDOW = 4000             # characters of the main-content text searched for the next kept line

_NEVER_TEXT = {"script", "style", "template", "noscript", "head", "object", "embed", "applet", "audio", "video",
               "canvas", "map", "datalist"}
_FURNITURE_TAGS = {"nav", "aside", "form", "iframe", "frame", "frameset", "svg", "math", "button", "input",
                   "select", "textarea", "option", "dialog", "menu"}
_FURNITURE_ROLES = {"navigation", "banner", "contentinfo", "complementary", "search", "menu", "menubar",
                    "dialog", "alertdialog", "toolbar", "tablist"}
_FURNITURE_WORDS = {
    "nav", "navbar", "navigation", "menu", "menubar", "submenu", "breadcrumb", "breadcrumbs", "masthead", "topbar",
    "footer", "sidebar", "rail", "cookie", "cookies", "consent", "gdpr", "share", "sharing", "sharebar",
    "social", "addthis", "sharethis", "ad", "ads", "advert", "adverts", "advertisement", "advertising", "adslot",
    "adunit", "sponsor", "sponsored", "dfp", "related", "recommended", "recommendations", "trending", "popular",
    "recirc", "recirculation", "outbrain", "taboola", "newsletter", "subscribe", "signup", "promo", "upsell",
    "comments", "comment", "disqus", "modal", "popup", "overlay", "toast", "skiplink"}
_HIDDEN_CLASSES = {"hidden", "d-none", "sr-only", "visually-hidden", "visuallyhidden", "screen-reader-text",
                   "invisible", "is-hidden", "hide"}
_SHOWN_AT_WIDTH = re.compile(r"^(?:d-(?:sm|md|lg|xl|xxl)-|(?:sm|md|lg|xl|2xl):)(?:block|flex|inline|grid|table)")
_NEVER_TEXT_XPATH = ("//*[" + " or ".join([f"self::{t}" for t in sorted(_NEVER_TEXT)] + [
    "self::input", "@hidden", "@style", "@class"]) + "] | //comment() | //processing-instruction()")
_FURNITURE_XPATH = "//*[" + " or ".join([f"self::{t}" for t in sorted(_FURNITURE_TAGS)] + [
    "self::header", "self::footer", "@role", "@class", "@id"]) + "]"
_HIDDEN_STYLE = re.compile(r"display\s*:\s*none|visibility\s*:\s*hidden", re.I)
_ROLE_WORDS = {"role", "title", "position", "affiliation", "company", "firm", "job", "org", "organization"}
_SPLIT_WORDS = re.compile(r"[\s_\-]+|(?<=[a-z])(?=[A-Z])")

_BLOCK_TAGS = {"address", "article", "aside", "blockquote", "center", "dd", "details", "dialog", "div", "dl", "dt",
               "fieldset", "figcaption", "figure", "footer", "form", "h1", "h2", "h3", "h4", "h5", "h6", "header",
               "hgroup", "hr", "li", "main", "nav", "ol", "p", "pre", "section", "summary", "table", "tbody",
               "thead", "tfoot", "tr", "td", "th", "ul", "caption", "body", "html"}
_NEWLINE_TAGS = frozenset({"address", "article", "aside", "br", "caption", "center", "dd", "details", "div", "dt",
                           "fieldset", "figcaption", "footer", "form", "header", "hgroup", "hr", "legend", "li",
                           "main", "nav", "section", "summary", "table", "tr"})
_DOUBLE_NEWLINE_TAGS = frozenset({"blockquote", "dl", "figure", "h1", "h2", "h3", "h4", "h5", "h6", "ol", "p", "pre",
                                  "ul"})
_INVISIBLE_CHARS = dict.fromkeys(map(ord, "\u200b\u200c\u200d\u2060\ufeff\u00ad"))
_SPACES = re.compile(r"\s+")
_NAME_WORD = re.compile(r"^(?:[A-Z][\w'’.\-]*|[A-Z]\.|de|van|von|da|di|del|la|le|du|der|den|bin|al)$")
_LONE_LABELS = {"operator", "moderator", "host", "coordinator"}
_TITLE_SPLIT = re.compile(r"\s+[-–—]+\s+|,\s+|\s+\|\s+")
_INLINE_LABEL = re.compile(r"^([A-Z][\w'’.\-]*(?:\s+[\w'’.\-]+){0,5})\s*:\s+\S")


def html_to_text(html: str, name: str, *, main_content: bool = True) -> PageText:
    """The transcript text of a saved web page (raises InputFileError for pages with no text or markup too deep
    or broken to read). `main_content=False` skips the trafilatura step (for measurement)."""
    t0 = time.perf_counter()
    try:
        import lxml.etree  # noqa: F401  (html-text and trafilatura need it too)
        from html_text import etree_to_text
    except ImportError:
        raise InputFileError(f"{name}: reading web pages needs lxml and html-text",
                             "pip install -r requirements.txt") from None
    notes: list[str] = []
    try:
        root = _parse(html, name)
        title, title_from = _title(root)
        if title:
            notes.append(f"title from {title_from}")
        dropped = _prune(root, notes, lambda el: _lines(etree_to_text(el)))
        labels = _mark_labels(root)
        if labels:
            notes.append(f"speaker labels put on lines of their own: {labels}")
        main_tree = copy.deepcopy(root) if main_content else None
        pres = _protect_pre(root)
        text = etree_to_text(root, newline_tags=_NEWLINE_TAGS, double_newline_tags=_DOUBLE_NEWLINE_TAGS)
    except InputFileError:
        raise
    except RecursionError:
        raise InputFileError(f"{name}: the web page's markup is nested too deeply to read",
                             "save the page again from the browser, or export the transcript as text") from None
    except Exception as e:                       # anything lxml / html-text raise on markup they cannot take
        raise InputFileError(f"{name}: not a readable web page ({type(e).__name__}: {str(e)[:160]})",
                             "save the page again from the browser, or export the transcript as text") from None
    lines = _layout(text, pres)
    if not any(lines):
        raise InputFileError(f"{name}: the web page has no text",
                             "save the page after it has loaded, or export the transcript as text")
    if main_content:
        lines, more = _main_content(main_tree, lines, notes)
        dropped += more
    else:
        notes.append("main content: not asked for; the whole page minus furniture is kept")
    if len(dropped) > MAX_DROPPED:
        notes.append(f"dropped {len(dropped)} lines; the first {MAX_DROPPED} are listed")
        dropped = dropped[:MAX_DROPPED]
    return PageText(text="\n".join(lines).strip("\n") + "\n", kind="html",
                    seconds=round(time.perf_counter() - t0, 3), dropped=dropped, notes=notes, title=title)


# ---------------------------------------------------------------------------------------------------- parse

def _parse(html: str, name: str):
    import lxml.etree
    import lxml.html
    body = html.replace("\x00", "").strip().encode("utf-8", "replace")
    if not body:
        raise InputFileError(f"{name}: the web page has no text",
                             "save the page after it has loaded, or export the transcript as text")
    parser = lxml.html.HTMLParser(recover=True, encoding="utf-8", huge_tree=True, remove_comments=True,
                                  remove_pis=True, no_network=True)
    root = lxml.etree.fromstring(body, parser=parser)
    for err in parser.error_log:
        if "depth" in err.message.lower():
            raise InputFileError(f"{name}: the web page's markup is nested more than {MAX_DEPTH} levels deep, "
                                 "so part of its text cannot be read",
                                 "save the page again from the browser, or export the transcript as text")
        if err.type_name == "ERR_RESOURCE_LIMIT":
            raise InputFileError(f"{name}: the web page is beyond the HTML parser's limits ({err.message.strip()})",
                                 "save the page again from the browser, or export the transcript as text")
    if root is None:
        raise InputFileError(f"{name}: the web page has no text",
                             "save the page after it has loaded, or export the transcript as text")
    return root


def _title(root) -> tuple[str | None, str]:
    for meta in root.iter("meta"):
        if (meta.get("property") or meta.get("name") or "").lower() == "og:title":
            value = _SPACES.sub(" ", meta.get("content") or "").strip()
            if value:
                return value, "og:title"
    for el in root.iter("title"):
        value = _SPACES.sub(" ", el.text_content()).strip()
        if value:
            return value, "<title>"
    return None, ""


# ---------------------------------------------------------------------------------------------------- prune

def _text_len(el) -> int:
    return sum(len(s.strip()) for s in el.itertext()) if el is not None else 0


def _words(el) -> set[str]:
    raw = " ".join(filter(None, (el.get("class"), el.get("id"))))
    return {w.lower() for w in _SPLIT_WORDS.split(raw) if w}


def _why_never_text(el) -> str | None:
    tag = el.tag
    if tag in _NEVER_TEXT:
        return tag
    if el.get("hidden") is not None:
        return "hidden"
    style = el.get("style")
    if style and _HIDDEN_STYLE.search(style):
        return "hidden"
    if tag == "input" and (el.get("type") or "").lower() == "hidden":
        return "hidden"
    cls = el.get("class")
    if cls:
        words = cls.lower().split()
        if _HIDDEN_CLASSES.intersection(words) and not any(_SHOWN_AT_WIDTH.match(w) for w in words):
            return "hidden"      # 'd-none d-md-block' / 'hidden md:block' show on a desktop screen
    return None


def _why_furniture(el, in_article: bool) -> str | None:
    tag = el.tag
    if tag in _FURNITURE_TAGS:
        return f"<{tag}>"
    if tag in ("header", "footer") and not in_article:
        return f"<{tag}>"
    role = (el.get("role") or "").strip().lower()
    if role in _FURNITURE_ROLES:
        return f"role={role}"
    if tag in ("html", "body", "main", "article"):
        return None
    hit = _words(el) & _FURNITURE_WORDS
    if hit:
        return f"class/id '{sorted(hit)[0]}'"
    return None


def _prune(root, notes: list[str], lines_of) -> list[str]:
    """Remove never-text elements, then page furniture; returns the lines of text the furniture held."""
    never = _collect(root, lambda el, in_article: _why_never_text(el), _NEVER_TEXT_XPATH)
    for el, _ in never:
        _drop(el)
    body = root.find("body")
    total = _text_len(body if body is not None else root)
    kept_big: list[str] = []

    def aria_hidden(el, in_article):
        # Hidden from screen readers, and so not transcript text: but a page saved while a dialog was open has
        # its whole visible body marked so, and that is kept.
        if (el.get("aria-hidden") or "").strip().lower() != "true":
            return None
        if total and _text_len(el) >= _KEEP_SHARE * total:
            kept_big.append("kept an aria-hidden element: it holds most of the page's text")
            return None
        return "hidden"
    more = _collect(root, aria_hidden, "//*[@aria-hidden]")
    for el, _ in more:
        _drop(el)
    hidden = sum(why != "comment" for _, why in never + more)
    if hidden:
        notes.append(f"ignored {hidden} script/style/template/hidden element(s)")
    if more:
        total = _text_len(body if body is not None else root)

    def furniture(el, in_article):
        why = _why_furniture(el, in_article)
        if why and total:
            size = _text_len(el)
            if size >= _KEEP_SHARE * total:
                kept_big.append(f"kept {why} ({size} of {total} characters): it holds most of the page's text")
                return None
        return why
    doomed = _collect(root, furniture, _FURNITURE_XPATH)
    removed, reasons = [], {}
    for el, why in doomed:
        removed += lines_of(el)
        reasons[why] = reasons.get(why, 0) + 1
        _drop(el)
    if reasons:
        notes.append("removed furniture: " + ", ".join(f"{k} x{v}" if v > 1 else k for k, v in
                                                       sorted(reasons.items(), key=lambda kv: -kv[1])))
    notes.extend(kept_big)
    return removed


def _collect(root, why_of, candidates: str) -> list[tuple[object, str]]:
    """The outermost elements among `candidates` (an XPath, so that plain elements are passed over in C) that
    `why_of(element, inside_article)` names a reason for, in document order."""
    found: list[tuple[object, str]] = []
    chosen: set = set()
    for el in root.xpath(candidates):
        ancestors = list(el.iterancestors())
        if chosen and any(a in chosen for a in ancestors):
            continue
        if not isinstance(el.tag, str):                  # a comment or processing instruction the parser kept
            found.append((el, "comment"))
            continue
        in_article = any(a.tag in ("article", "main") or (a.get("role") or "").lower() == "main" for a in ancestors)
        why = why_of(el, in_article)
        if why:
            found.append((el, why))
            chosen.add(el)
    return found


def _drop(el) -> None:
    """Remove an element (or comment) and its content, keeping the text that follows it."""
    parent = el.getparent()
    if parent is None:
        return
    tail = el.tail
    prev = el.getprevious()
    if tail:
        if prev is not None:
            prev.tail = (prev.tail or "") + tail
        else:
            parent.text = (parent.text or "") + tail
    parent.remove(el)


# ---------------------------------------------------------------------------------------------------- labels

def _name_like(s: str) -> bool:
    """'Jane Roe', 'C. Kelly Wall', 'Operator': a short run of capitalised words, no sentence punctuation."""
    if not s or len(s) > 60 or re.search(r"[\d?!;:\"“”()\[\]/@#%$&*=+<>{}|\\,]", s) or s.endswith("."):
        return s.lower() in _LONE_LABELS
    words = s.split()
    if len(words) == 1:
        return s.lower() in _LONE_LABELS
    return 2 <= len(words) <= 5 and all(_NAME_WORD.match(w) for w in words)


def _mark_labels(root) -> str:
    """Speaker labels in their own element become paragraphs; returns a summary for the notes ('' if none)."""
    by_class = by_bold = 0
    for el in root.xpath("//*[@class or @id or self::b or self::strong]"):
        if el.getparent() is None:
            continue
        words = _words(el)
        if any("speaker" in w for w in words) and not words & _ROLE_WORDS and not _has_block(el):
            _join_role(el)
            _own_paragraph(el)
            by_class += 1
        elif el.tag in ("b", "strong") and _leads_block(el) and _bold_label(el):
            _own_paragraph(el)
            by_bold += 1
    parts = [f"{by_class} by class" if by_class else "", f"{by_bold} bold names" if by_bold else ""]
    return ", ".join(p for p in parts if p)


def _bold_label(el) -> bool:
    """<p><b>Jane Roe</b><br>speech</p> or <p><b>Jane Roe</b> Thank you, operator.</p>: a name, then speech (not a
    title: '<b>Jane Roe</b> -- CEO' and '<b>Jane Roe</b>, CEO' stay one line, and so does 'Jane Roe:')."""
    label = _SPACES.sub(" ", el.text_content()).strip()
    if not _name_like(label):
        return False
    nxt = el.getnext()
    after = (el.tail or "").strip()
    if not after:
        return nxt is not None and nxt.tag == "br"
    if not re.match(r"[\w\"“'‘]", after):
        return False
    whole = _SPACES.sub(" ", el.getparent().text_content()).strip()
    rest = whole[len(label):].strip() if whole.startswith(label) else after
    return len(rest) > 120 or bool(re.search(r"[.?!…\"”)]$", rest))


def _own_paragraph(el) -> None:
    """Make `el` a paragraph. One that opens a <p> moves out in front of it (a <p> inside a <p> is not HTML, and
    trafilatura would lose the text after it); a <br> right after it goes (the paragraph break replaces it)."""
    parent = el.getparent()
    el.tag = "p"
    if parent.tag != "p" or el.getprevious() is not None or (parent.text or "").strip():
        return
    tail, nxt = el.tail, el.getnext()
    el.tail = None
    parent.remove(el)
    if nxt is not None and nxt.tag == "br" and not (tail or "").strip():
        tail = nxt.tail
        parent.remove(nxt)
    parent.text = (tail or "").lstrip()
    parent.addprevious(el)


def _has_block(el) -> bool:
    return any(isinstance(d.tag, str) and d.tag in _BLOCK_TAGS for d in el.iterdescendants())


def _leads_block(el) -> bool:
    parent = el.getparent()
    return (parent is not None and parent.tag in _BLOCK_TAGS and el.getprevious() is None
            and not (parent.text or "").strip())


def _join_role(el) -> None:
    """<span class="speaker">Jane Roe</span><span class="role">CEO</span> -> one label 'Jane Roe - CEO'."""
    nxt = el.getnext()
    if nxt is None or (el.tail or "").strip() or nxt.tag in _BLOCK_TAGS or not _words(nxt) & _ROLE_WORDS:
        return
    role = _SPACES.sub(" ", nxt.text_content()).strip()
    if not role or len(role) > 120:
        return
    joined = (" " if role.startswith(("-", "–", "—", ",")) else " - ") + role
    if len(el):
        el[-1].tail = (el[-1].tail or "") + joined
    else:
        el.text = (el.text or "") + joined
    _drop(nxt)


# ---------------------------------------------------------------------------------------------------- lines

def _protect_pre(root) -> dict[str, list[str]]:
    """<pre> keeps its line breaks: its text is set aside and a placeholder line stands in for it."""
    pres: dict[str, list[str]] = {}
    for i, el in enumerate(list(root.iter("pre"))):
        if el.getparent() is None:
            continue
        key = f"\ue000pre{i}\ue000"
        pres[key] = [_SPACES.sub(" ", ln).strip() for ln in "".join(el.itertext()).split("\n")]
        for child in list(el):
            el.remove(child)
        el.text = key
    return pres


def _clean(line: str) -> str:
    return _SPACES.sub(" ", line.translate(_INVISIBLE_CHARS)).strip()


def _lines(text: str) -> list[str]:
    return [c for c in (_clean(ln) for ln in text.split("\n")) if c]


def _layout(text: str, pres: dict[str, list[str]]) -> list[str]:
    """Text -> lines, whitespace normalised, at most one blank line in a row ("" stands for a blank line)."""
    out: list[str] = []
    for raw in text.split("\n"):
        line = _clean(raw)
        if "\ue000" in line:
            for key, pre_lines in pres.items():
                if key in line:
                    before, _, after = line.partition(key)
                    block = ([before.strip()] if before.strip() else []) + pre_lines + (
                        [after.strip()] if after.strip() else [])
                    for ln in block:
                        if ln or (out and out[-1]):
                            out.append(ln)
                    line = ""
                    break
            else:
                line = line.replace("\ue000", "")
        if line or (out and out[-1]):
            out.append(line)
    while out and not out[-1]:
        out.pop()
    return out


# ---------------------------------------------------------------------------------------------------- main content

def _label_like(line: str) -> bool:
    """Could this line open a turn: a name alone, 'Name - Title' / 'Name, Firm', or 'Name: speech'?"""
    m = _INLINE_LABEL.match(line)
    if m and _name_like(m.group(1).strip()):
        return True
    if len(line) > 140:
        return False
    parts = _TITLE_SPLIT.split(line, maxsplit=1)
    tail = parts[1].strip() if len(parts) > 1 else ""
    return _name_like(parts[0].strip()) and (not tail or (len(tail) <= 100 and not re.search(r"[.?!]$", tail)))


def _speech_like(line: str) -> bool:
    return len(line) >= 60 or bool(re.search(r"[.?!…\"”]$", line))


def _key(line: str) -> str:
    return re.sub(r"\W+", "", line.lower())


def _main_content(root, lines: list[str], notes: list[str]) -> tuple[list[str], list[str]]:
    """Lines trafilatura finds to be boilerplate (in `root`, a copy of the cleaned page that it may change) are
    dropped, unless that would lose a turn: a label-like line that speech follows, or the line after a label."""
    elements = sum(1 for _ in root.iter())
    if elements > MAIN_CONTENT_MAX_ELEMENTS:
        notes.append(f"main content: skipped ({elements} elements, more than {MAIN_CONTENT_MAX_ELEMENTS}); the whole "
                     "page minus furniture is kept")
        return lines, []
    try:
        import trafilatura
        main = trafilatura.extract(root, include_comments=False, include_tables=True,
                                   favor_recall=True, fast=True, output_format="txt") or ""
    except ImportError:
        notes.append("main content: trafilatura is not installed; the whole page minus furniture is kept")
        return lines, []
    except Exception as e:                        # never fatal (RecursionError included): the cleaned page is good
        notes.append(f"main content: trafilatura failed ({type(e).__name__}); the whole page minus furniture is kept")
        return lines, []
    keep = _align(lines, [k for k in (_key(ln) for ln in main.split("\n")) if k])
    idx = [i for i, ln in enumerate(lines) if ln]
    for n, i in enumerate(idx):
        if keep[i]:
            continue
        nxt = idx[n + 1] if n + 1 < len(idx) else None
        prev = idx[n - 1] if n > 0 else None
        if _label_like(lines[i]) and nxt is not None and _speech_like(lines[nxt]):
            why = f"the turn label {lines[i][:60]!r}"
        elif prev is not None and keep[prev] and _label_like(lines[prev]) and not _INLINE_LABEL.match(lines[prev]):
            why = f"the line {lines[i][:60]!r} after the label {lines[prev][:60]!r}"
        else:
            continue
        notes.append(f"main content (trafilatura): not used, it would drop {why}; the whole page minus furniture "
                     "is kept")
        return lines, []
    out, dropped = [], []
    for i, ln in enumerate(lines):
        if not ln:
            if out and out[-1]:
                out.append("")
        elif keep[i]:
            out.append(ln)
        else:
            dropped.append(ln)
    while out and not out[-1]:
        out.pop()
    if not any(out):
        notes.append("main content (trafilatura): found nothing; the whole page minus furniture is kept")
        return lines, []
    notes.append(f"main content (trafilatura): used, {len(dropped)} more line(s) dropped as boilerplate")
    return out, dropped


def _align(lines: list[str], main_keys: list[str]) -> list[bool]:
    """Which of `lines` appear, in order, in the main-content text. Lines are compared on letters and digits
    only; a short line must match a whole main-content line, a line of 20+ characters may also match across or
    inside main-content lines (the two texts may break lines differently)."""
    flat = "".join(main_keys)
    bounds, pos = set(), 0
    for k in main_keys:
        bounds.add(pos)
        pos += len(k)
    bounds.add(pos)
    keep: list[bool | None] = [False] * len(lines)
    ptr = 0
    for i, ln in enumerate(lines):
        if not ln:
            continue
        k = _key(ln)
        if not k:                       # a line of punctuation only: kept where the line before it is
            keep[i] = None
            continue
        limit = ptr + len(k) + _MATCH_WINDOW
        at = flat.find(k, ptr, limit)
        while at >= 0 and len(k) < 20 and not (at in bounds and at + len(k) in bounds):
            at = flat.find(k, at + 1, limit)
        if at >= 0:
            keep[i], ptr = True, at + len(k)
    for i, v in enumerate(keep):
        if v is None:
            keep[i] = bool(i and keep[i - 1])
    return keep  # type: ignore[return-value]
