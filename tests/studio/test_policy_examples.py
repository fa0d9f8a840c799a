"""The studio and policy examples: failures shown on preview and save, articles flagged."""

from __future__ import annotations

from flask.testing import FlaskClient

from tests.studio.conftest import form_for, make_article

HOLDS = """\
- case: A change of mind pays the return fee
  reason: changed_mind
  expect: {fee: "{{ policy.return_fee }}"}
"""
FAILS = """\
- case: A change of mind is refunded in full
  reason: changed_mind
  expect: {fee: "0"}
"""


def body_with(cases: str) -> str:
    """An article text ending with one policy block."""
    return f"Ask the carrier first.\n\n```policy\n{cases}```\n"


def failing_section(html: str) -> str:
    start = html.index('class="studio-examples"')
    return html[start : html.index("</section>", start)]


def test_live_preview_lists_the_failing_examples_above_the_text(writer: FlaskClient) -> None:
    response = writer.post("/studio/preview", data={"body": body_with(FAILS), "lang": "en"})
    html = response.get_data(as_text=True)
    section = failing_section(html)
    assert "1 policy example fails" in section
    assert "<td>6</td><td>A change of mind is refunded in full</td>" in section
    assert "<code>fee 0.00 EUR</code>" in section and "<code>fee 4.95 EUR</code>" in section
    assert html.index("studio-examples") < html.index("Ask the carrier first.")
    assert "changed_mind" not in html.split("</section>", 1)[1]  # the block itself is not shown


def test_live_preview_of_holding_examples_is_just_the_text(writer: FlaskClient) -> None:
    html = writer.post("/studio/preview", data={"body": body_with(HOLDS), "lang": "en"}).get_data(as_text=True)
    assert html == "<p>Ask the carrier first.</p>"


def test_preview_button_shows_the_failing_examples(writer: FlaskClient) -> None:
    article = make_article()
    data = form_for(article, body=body_with(FAILS), action="preview")
    html = writer.post(f"/studio/{article.id}/edit", data=data).get_data(as_text=True)
    assert "A change of mind is refunded in full" in failing_section(html)
    assert article.revision == 1


def test_a_save_with_failing_examples_is_kept_and_says_so(writer: FlaskClient) -> None:
    article = make_article()
    response = writer.post(
        f"/studio/{article.id}/edit", data=form_for(article, body=body_with(FAILS)), follow_redirects=True
    )
    html = response.get_data(as_text=True)
    assert article.revision == 2 and "refunded in full" in article.body
    assert "Saved as revision 2." in html
    assert "1 policy example fails: the text states a rule the policy does not apply." in html
    assert "<code>fee 0.00 EUR</code>" in failing_section(html)


def test_a_bad_block_is_shown_as_a_failure_and_the_save_kept(writer: FlaskClient) -> None:
    article = make_article()
    bad = "- case: A typo\n  reason: changed_mind\n  expect: {fee: 4.95}\n"
    response = writer.post(
        f"/studio/{article.id}/edit", data=form_for(article, body=body_with(bad)), follow_redirects=True
    )
    html = response.get_data(as_text=True)
    assert article.revision == 2
    assert "must be quoted" in failing_section(html)


def test_a_save_whose_examples_hold_shows_no_failure(writer: FlaskClient) -> None:
    article = make_article()
    response = writer.post(
        f"/studio/{article.id}/edit", data=form_for(article, body=body_with(HOLDS)), follow_redirects=True
    )
    html = response.get_data(as_text=True)
    assert "Saved as revision 2." in html
    assert "studio-examples" not in html and "example fails" not in html


def test_the_list_and_the_to_do_flag_articles_whose_examples_fail(writer: FlaskClient) -> None:
    failing = make_article(body=body_with(FAILS + FAILS))
    make_article(key="fine", slug="fine", title="A fine article", body=body_with(HOLDS))
    html = writer.get("/studio").get_data(as_text=True)
    todo = html[html.index('id="failing-examples"') :]
    todo = todo[: todo.index("</ul>")]
    assert f'href="/studio/{failing.id}/edit"' in todo and "A fine article" not in todo
    assert "2 examples fail" in todo
    listing = html[html.index('id="articles"') :]
    assert listing.count("examples fail") == 1


def test_the_to_do_says_when_every_example_holds(writer: FlaskClient) -> None:
    make_article(body=body_with(HOLDS))
    html = writer.get("/studio").get_data(as_text=True)
    assert "Every policy example holds." in html and "example fails" not in html
