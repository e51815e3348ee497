"""Quoted spans in Chromium: select words of a paragraph, comment on them, see them
highlighted; and without JavaScript, the comment form's quote field."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.browser.conftest import LiveServer
from tests.browser.test_journeys import open_draft, sign_in

pytestmark = pytest.mark.browser

#: Words of the seventh paragraph of the draft `open_draft` builds (RFC 8890's prose).
WORDS = "it has unavoidably become profoundly political"
HIGHLIGHTED = "[...(CSS.highlights.get('rt-quote') || [])].map((range) => range.toString())"

SELECT_BY_DRAGGING = """([key, words]) => {
  const root = document.querySelector(`#p-${key} .block-text`);
  const walker = document.createTreeWalker(root, NodeFilter.SHOW_TEXT);
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    const at = node.data.indexOf(words);
    if (at < 0) continue;
    const range = document.createRange();
    range.setStart(node, at);
    range.setEnd(node, at + words.length);
    const rects = range.getClientRects();
    const first = rects[0], last = rects[rects.length - 1];
    const middle = (rect) => rect.top + rect.height / 2;
    return [first.left + 1, middle(first), last.right - 1, middle(last)];
  }
  return null;
}"""


def drag_select(page: Page, key: str, words: str) -> None:
    """Select `words` as a person does: press before the first letter, release after the last.

    The letters' positions are measured just before the drag; on a loaded machine the page
    can still be laying out (fonts, the header) when they are, so a drag that selected other
    words is measured and made again, as a person would."""
    page.wait_for_load_state("load")
    for _attempt in range(3):
        points = page.evaluate(SELECT_BY_DRAGGING, [key, words])
        assert points, f"{words!r} not in paragraph {key}"
        left, top, right, bottom = points
        page.mouse.move(left, top)
        page.mouse.down()
        page.mouse.move(right, bottom, steps=8)
        page.mouse.up()
        if page.evaluate("window.getSelection().toString()") == words:
            return


def test_a_reader_selects_words_comments_on_them_and_sees_them_highlighted(
    page: Page, live_server: LiveServer
) -> None:
    scene = open_draft(live_server, "quotes-js")
    key = scene.keys[6]
    sign_in(page, scene.email, scene.path)
    page.locator(f"#p-{key}").scroll_into_view_if_needed()

    drag_select(page, key, WORDS)
    assert page.evaluate("window.getSelection().toString()") == WORDS
    page.get_by_role("button", name="Comment on the selected words").click()

    panel = page.locator(f"#margin-{key}")
    form = panel.locator("form.comment-form")
    expect(form.get_by_label("Quoted passage (optional)")).to_have_value(WORDS)
    expect(form.get_by_label("Comment", exact=True)).to_be_focused()
    form.get_by_label("Question").check()
    form.get_by_label("Comment", exact=True).fill("Political in what sense?")
    form.get_by_label("Show my comment as").select_option("group")
    form.get_by_role("button", name="Post comment").click()

    expect(panel.locator(".thread blockquote.quote")).to_have_text(WORDS)
    expect(panel.locator(".quote-lost")).to_have_count(0)
    page.wait_for_function(f"{HIGHLIGHTED}.length === 1")
    assert page.evaluate(HIGHLIGHTED) == [WORDS]
    # The highlight is drawn over the text: the paragraph's markup is what the server sent.
    assert page.locator(f"#p-{key} .block-text mark").count() == 0

    page.goto(f"{scene.path}/p/{key}")  # the paragraph's own page highlights it too
    page.wait_for_function(f"{HIGHLIGHTED}.length === 1")
    assert page.evaluate(HIGHLIGHTED) == [WORDS]


def test_a_quote_not_in_the_paragraph_is_refused_in_the_margin(
    page: Page, live_server: LiveServer
) -> None:
    scene = open_draft(live_server, "quotes-refused")
    key = scene.keys[6]
    sign_in(page, scene.email, scene.path)

    page.locator(f"#p-{key} .margin-count").click()
    form = page.locator(f"#margin-{key} form.comment-form")
    form.get_by_label("Quoted passage (optional)").fill("words the draft never had")
    form.get_by_label("Question").check()
    form.get_by_label("Comment", exact=True).fill("Where is this?")
    form.get_by_label("Show my comment as").select_option("group")
    form.get_by_role("button", name="Post comment").click()

    alert = page.locator(f"#margin-{key} [role=alert]")
    expect(alert).to_contain_text("The quoted passage is not in the text of this paragraph.")
    expect(page.locator(f"#margin-{key} .thread")).to_have_count(0)
    expect(form.get_by_label("Quoted passage (optional)")).to_have_value(
        "words the draft never had"
    )


def test_without_javascript_the_form_takes_a_quote(
    page_without_js: Page, live_server: LiveServer
) -> None:
    page = page_without_js
    scene = open_draft(live_server, "quotes-plain")
    key = scene.keys[6]
    sign_in(page, scene.email, scene.path)

    page.locator(f"#p-{key} .margin-count").click()
    page.wait_for_url(f"**{scene.path}/p/{key}")
    form = page.locator("form.comment-form")
    form.get_by_label("Quoted passage (optional)").fill(WORDS)
    form.get_by_label("Question").check()
    form.get_by_label("Comment", exact=True).fill("Political in what sense?")
    form.get_by_label("Show my comment as").select_option("group")
    form.get_by_role("button", name="Post comment").click()

    page.wait_for_url(re.compile(rf"{re.escape(scene.path)}/p/{key}\?posted=\d+#c-\d+$"))
    expect(page.locator(".thread blockquote.quote")).to_have_text(WORDS)


def test_the_period_is_shown_in_the_readers_time_zone(
    chromium: Browser, live_server: LiveServer
) -> None:
    scene = open_draft(live_server, "kyiv-time")
    context = chromium.new_context(
        base_url=live_server.url, locale="en-GB", timezone_id="Europe/Kyiv"
    )
    try:
        page = context.new_page()
        page.goto(scene.path)
        period = page.locator(".page-header .period")
        # Thirty days from the test clock's 09:00 UTC: 11:00 in Kyiv (EET, UTC+2).
        expect(period).to_contain_text("Comments close in 30 days, on")
        # In the page's language (English: "December 2, 2026 at 11:00 AM GMT+2").
        expect(period.locator("time")).to_have_text(re.compile(r"December 2, 2026.*11:00.*GMT\+2"))
    finally:
        context.close()
