"""The studio's article form: every field checked, with a message the writer can act on."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, HiddenField, SelectField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, Optional, Regexp, ValidationError

from kb.articles.categories import CATEGORIES
from kb.articles.files import SLUG
from kb.articles.rendering import unknown_placeholders
from kb.shop import policy_placeholders
from kb.studio.service import MAX_TAG_LENGTH, MAX_TAGS, ArticleContent, normalize_body, one_line, parse_tags

MAX_BODY = 100_000

LANGUAGE_NAMES = {"en": _l("English"), "fr": _l("French")}


def _strip(value: str | None) -> str | None:
    return value.strip() if isinstance(value, str) else value


class ArticleForm(FlaskForm):
    """Title, address, category, tags, summary, language, status, text and a message."""

    title = StringField(
        _l("Title"),
        filters=[_strip],
        validators=[
            DataRequired(message=_l("Give the article a title.")),
            Length(max=200, message=_l("Keep the title to %(max)d characters or fewer.")),
        ],
    )
    slug = StringField(
        _l("Address (slug)"),
        filters=[_strip],
        validators=[
            Optional(),
            Length(max=120, message=_l("Keep the address to %(max)d characters or fewer.")),
            Regexp(
                SLUG,
                message=_l(
                    "Use only lower-case letters, digits and single dashes, like refund-timing."
                ),
            ),
        ],
    )
    lang = SelectField(
        _l("Language"),
        choices=[SelectChoice(code, name) for code, name in LANGUAGE_NAMES.items()],
        validate_choice=False,  # checked below, with a clearer message
    )
    category = SelectField(
        _l("Category"),
        choices=[SelectChoice(c.code, c.name) for c in CATEGORIES],
        validate_choice=False,
    )
    tags = StringField(
        _l("Tags"),
        validators=[Length(max=2000, message=_l("Too many tags."))],
    )
    summary = TextAreaField(
        _l("Summary"),
        filters=[_strip],
        # No maxlength in the page: a browser would cut a long paste silently; we explain.
        render_kw={"rows": 3, "maxlength": False},
        validators=[
            Length(max=300, message=_l("Keep the summary to %(max)d characters or fewer.")),
        ],
    )
    status = SelectField(
        _l("Status"),
        choices=[
            SelectChoice("draft", _l("Draft (only the studio sees it)")),
            SelectChoice("published", _l("Published")),
        ],
        validate_choice=False,
    )
    body = TextAreaField(
        _l("Text (Markdown)"),
        render_kw={"rows": 22, "spellcheck": "true", "maxlength": False},
        validators=[
            DataRequired(message=_l("Write the article's text.")),
            Length(max=MAX_BODY, message=_l("The text is too long (at most %(max)d characters).")),
        ],
    )
    message = StringField(
        _l("Revision message (optional)"),
        filters=[_strip],
        validators=[
            Length(max=500, message=_l("Keep the message to %(max)d characters or fewer."))
        ],
    )
    translation_done = BooleanField(_l("Translation done"))
    expected_revision = HiddenField()

    def validate_lang(self, field: SelectField) -> None:
        """Only the help centre's languages."""
        if field.data not in LANGUAGE_NAMES:
            raise ValidationError(_l("Choose English or French."))

    def validate_category(self, field: SelectField) -> None:
        """Only the help centre's categories."""
        if field.data not in {c.code for c in CATEGORIES}:
            raise ValidationError(_l("Choose one of the categories."))

    def validate_status(self, field: SelectField) -> None:
        """Draft or published (deleting has its own button)."""
        if field.data not in ("draft", "published"):
            raise ValidationError(_l("Choose draft or published."))

    def validate_tags(self, field: StringField) -> None:
        """At most 20 tags, each short."""
        tags = parse_tags(field.data or "")
        if len(tags) > MAX_TAGS:
            raise ValidationError(_l("Use at most %(count)d tags.", count=MAX_TAGS))
        too_long = [tag for tag in tags if len(tag) > MAX_TAG_LENGTH]
        if too_long:
            raise ValidationError(
                _l(
                    "Keep each tag to %(max)d characters or fewer: %(tag)s",
                    max=MAX_TAG_LENGTH,
                    tag=too_long[0],
                )
            )

    def validate_title(self, field: StringField) -> None:
        """Titles may hold policy placeholders too; each must be one the policy knows."""
        _check_placeholders(field.data or "")

    def validate_summary(self, field: TextAreaField) -> None:
        """Policy placeholders in the summary must be known."""
        _check_placeholders(field.data or "")

    def validate_body(self, field: TextAreaField) -> None:
        """Every ``{{ policy.* }}`` placeholder of the text must be one the policy knows."""
        _check_placeholders(field.data or "")

    def draft(self, slug: str) -> ArticleContent:
        """What the writer typed, tidied, with the slug to save under."""
        return ArticleContent(
            title=one_line(self.title.data or ""),
            slug=slug,
            category=self.category.data or "",
            tags=parse_tags(self.tags.data or ""),
            summary=one_line(self.summary.data or ""),
            body=normalize_body(self.body.data or ""),
            status=self.status.data or "draft",
        )


def _check_placeholders(text: str) -> None:
    """A misspelt placeholder would show readers "{{ policy.windw_days }}": refuse it."""
    unknown = unknown_placeholders(text, policy_placeholders())
    if unknown:
        names = ", ".join(f"{{{{ policy.{name} }}}}" for name in sorted(unknown))
        raise ValidationError(
            _l("Unknown placeholder: %(names)s. Check its spelling.", names=names)
        )
