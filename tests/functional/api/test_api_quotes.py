"""Quoted spans through the API: POST checks the quote against the paragraph (a 422 if it is
not there, nothing written), and GET …/threads returns it on each thread."""

from __future__ import annotations

from sqlalchemy.orm import Session

from tests.functional.api.conftest import World
from tests.functional.api.support import API, assert_documented, assert_error, bearer, written
from tests.functional.conftest import Browser

TEMPLATE = "/consultations/{slug}/paragraphs/{key}/comments"
GOOD = {"body": "Political how?", "stance": "question", "attribution": "named"}
#: Words of the seventh paragraph of the world's draft (tests.factories.numbered_markdown).
WORDS = "it has unavoidably become profoundly political"


def url(world: World, ordinal: int = 7) -> str:
    return f"{API}/consultations/{world.slug}/paragraphs/{world.keys[ordinal - 1]}/comments"


def test_a_quoted_comment_returns_its_quote_on_the_thread(
    browser: Browser, world: World, session: Session
) -> None:
    quote = WORDS.replace(" become ", "\n  become ")  # as a selection may carry it

    response = browser.post(
        url(world), json=GOOD | {"quote": quote}, headers=bearer(world.write_token)
    )

    assert response.status_code == 201, response.text
    listed = browser.get(f"{API}/consultations/{world.slug}/threads")
    assert_documented(listed, "/consultations/{slug}/threads")
    [thread] = listed.json()["items"]
    assert thread["id"] == response.json()["thread_id"]
    assert thread["quote"] == WORDS


def test_a_thread_without_a_quote_has_null(
    browser: Browser, world: World, session: Session
) -> None:
    browser.post(url(world), json=GOOD | {"quote": "   "}, headers=bearer(world.write_token))

    [thread] = browser.get(f"{API}/consultations/{world.slug}/threads").json()["items"]
    assert thread["quote"] is None


def test_a_quote_that_is_not_in_the_paragraph_is_a_422(
    browser: Browser, world: World, session: Session
) -> None:
    # The words are in the draft, but in another paragraph than the one commented on.
    response = browser.post(
        url(world, ordinal=6), json=GOOD | {"quote": WORDS}, headers=bearer(world.write_token)
    )

    error = assert_error(response, 422, "invalid", ("quote",))
    assert error["fields"]["quote"] == "The quoted passage is not in the text of this paragraph."
    assert_documented(response, TEMPLATE, "post")
    assert written(session) == (0, 0)
