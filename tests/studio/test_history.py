"""History: every revision listed, any two compared, any one restored; deleting and undeleting."""

from __future__ import annotations

from typing import Any

from flask.testing import FlaskClient

from kb.articles.models import Article
from tests.studio.conftest import form_for, make_article


def _edit(client: FlaskClient, article: Article, **changes: Any) -> None:
    response = client.post(f"/studio/{article.id}/edit", data=form_for(article, **changes))
    assert response.status_code == 302, response.get_data(as_text=True)


def test_history_lists_each_revision_with_author_message_and_status(writer: FlaskClient) -> None:
    article = make_article(status="draft")
    _edit(writer, article, status="published", message="Ready for readers")
    html = writer.get(f"/studio/{article.id}/history").get_data(as_text=True)
    table = html[html.index('id="revisions"') :]
    assert table.index("Ready for readers") < table.index("Seeded")  # newest first
    assert "Wanda Writer" in table and "seed" in table
    assert "published" in table and "draft" in table
    assert f"/studio/{article.id}/diff?a=1&amp;b=2" in table
    assert f"/studio/{article.id}/revisions/1/restore" in table


def test_diff_marks_removed_and_added_text_and_escapes_it(writer: FlaskClient) -> None:
    article = make_article()
    _edit(
        writer,
        article,
        title="Lost parcel",
        body="Ask the carrier first.\n\nThen <script>write</script> to us.\n",
    )
    response = writer.get(f"/studio/{article.id}/diff?a=1&b=2")
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "<del>My parcel is lost</del>" in html and "<ins>Lost parcel</ins>" in html
    assert '<tr class="diff-del">' in html and '<tr class="diff-add">' in html
    assert '<mark class="diff-word">&lt;script&gt;</mark>write' in html  # the new words marked
    assert "<script>write" not in html


def test_side_by_side_diff_puts_old_and_new_lines_on_one_row(writer: FlaskClient) -> None:
    article = make_article()
    _edit(writer, article, body="Ask the carrier first.\n\nThen call us.\n")
    html = writer.get(f"/studio/{article.id}/diff?a=1&b=2&view=side").get_data(as_text=True)
    assert 'class="diff diff-side"' in html
    row = html[html.index("diff-text diff-del") :]
    row = row[: row.index("</tr>")]
    assert "diff-text diff-add" in row  # the replacement sits next to what it replaced


def test_diff_of_revisions_that_do_not_exist_is_404(writer: FlaskClient) -> None:
    article = make_article()
    assert writer.get(f"/studio/{article.id}/diff?a=1&b=7").status_code == 404
    assert writer.get("/studio/999/history").status_code == 404


def test_restoring_a_revision_saves_it_again_as_a_new_revision(writer: FlaskClient) -> None:
    article = make_article()
    _edit(writer, article, title="Lost parcel", body="Something else entirely.\n")
    response = writer.post(f"/studio/{article.id}/revisions/1/restore", follow_redirects=True)
    assert "Revision 1 restored as revision 3." in response.get_data(as_text=True)
    assert article.revision == 3
    assert article.title == "My parcel is lost"
    assert article.body == "Ask the carrier first.\n\nThen write to us.\n"
    latest = article.revisions[-1]
    assert (latest.number, latest.message, latest.author) == (
        3,
        "Restored revision 1",
        "Wanda Writer",
    )
    assert [r.number for r in article.revisions] == [1, 2, 3]  # nothing rewritten


def test_delete_asks_first_then_the_public_page_answers_410(writer: FlaskClient) -> None:
    article = make_article()
    confirm = writer.get(f"/studio/{article.id}/delete")
    assert confirm.status_code == 200
    assert "Delete the article" in confirm.get_data(as_text=True)
    assert writer.get("/en/articles/lost-parcel").status_code == 200  # not deleted by looking

    assert writer.post(f"/studio/{article.id}/delete").status_code == 302
    assert writer.get("/en/articles/lost-parcel").status_code == 410
    assert article.status == "deleted" and len(article.revisions) == 2
    html = writer.get(f"/studio/{article.id}/edit").get_data(as_text=True)
    assert "This article is deleted" in html and "Restore the article" in html


def test_a_deleted_article_is_restored_with_its_former_status(writer: FlaskClient) -> None:
    article = make_article()
    writer.post(f"/studio/{article.id}/delete")
    response = writer.post(f"/studio/{article.id}/undelete", follow_redirects=True)
    assert "Article restored." in response.get_data(as_text=True)
    assert article.status == "published" and article.revision == 3
    assert writer.get("/en/articles/lost-parcel").status_code == 200


def test_saving_a_deleted_article_is_refused_but_keeps_the_text(writer: FlaskClient) -> None:
    article = make_article()
    typed = form_for(article, body="Text typed while someone else deleted the article.\n")
    writer.post(f"/studio/{article.id}/delete")
    response = writer.post(f"/studio/{article.id}/edit", data=typed)
    html = response.get_data(as_text=True)
    assert response.status_code == 409
    assert "restore it, then save your text again" in html
    assert "Text typed while someone else deleted the article." in html
    assert article.status == "deleted" and article.revision == 2


def test_deleted_articles_leave_the_list_unless_asked_for(writer: FlaskClient) -> None:
    article = make_article()
    writer.post(f"/studio/{article.id}/delete")
    assert "My parcel is lost" not in writer.get("/studio").get_data(as_text=True)
    assert "My parcel is lost" in writer.get("/studio?status=deleted").get_data(as_text=True)
