from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from .models import Article, Category, NewsItem


class SearchForm(forms.Form):
    q = forms.CharField(label=_("Search the knowledge base"), max_length=200, required=False)


RESERVED_SLUGS = {"search", "suggestions"}


class ArticleForm(forms.ModelForm):
    class Meta:
        model = Article
        fields = ["category", "slug", "audience", "position", "related"]
        help_texts = {
            "slug": _("Lower-case letters, digits and dashes; it is the article's web address."),
            "related": _("Shown under the article; similar articles complete the list."),
        }
        widgets = {"related": forms.SelectMultiple(attrs={"size": 8})}

    def clean_slug(self):
        slug = self.cleaned_data["slug"]
        if slug in RESERVED_SLUGS:
            raise forms.ValidationError(_("This address is taken by a page: choose another."))
        return slug

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        related = Article.objects.prefetch_related("translations").order_by("slug")
        if self.instance.pk:
            related = related.exclude(pk=self.instance.pk)
        self.fields["related"].queryset = related
        self.fields["related"].label_from_instance = lambda article: _title_of(article)


def _title_of(article: Article) -> str:
    titles = {t.language: t.title for t in article.translations.all()}
    return titles.get(settings.LANGUAGE_CODE) or next(iter(titles.values()), article.slug)


class TranslationForm(forms.Form):
    title = forms.CharField(label=_("Title"), max_length=200)
    body = forms.CharField(
        label=_("Text (Markdown)"),
        widget=forms.Textarea(attrs={"rows": 18}),
        help_text=_("**bold**, *italic*, [link](https://…), lists with -, headings with ##."),
    )


class CategoryForm(forms.ModelForm):
    class Meta:
        model = Category
        fields = ["name", "name_en", "name_es", "slug", "position"]


class NewsForm(forms.ModelForm):
    """The news item and its three language versions in one form."""

    class Meta:
        model = NewsItem
        fields = ["publish_at", "mail_clients"]
        widgets = {
            "publish_at": forms.DateTimeInput(
                attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"
            )
        }

    def __init__(self, *args, may_mail=True, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["publish_at"].input_formats = ["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M", "%Y-%m-%d"]
        if not may_mail:
            # Disabled: the stored choice stands whatever is posted.
            self.fields["mail_clients"].disabled = True
            self.fields["mail_clients"].help_text = _(
                "Only administrators mail news to all clients."
            )
        existing = {}
        if self.instance.pk:
            existing = {t.language: t for t in self.instance.translations.all()}
        for code, name in settings.LANGUAGES:
            version = existing.get(code)
            self.fields[f"title_{code}"] = forms.CharField(
                label=_("Title (%(language)s)") % {"language": name},
                max_length=200,
                required=False,
                initial=version.title if version else "",
            )
            self.fields[f"body_{code}"] = forms.CharField(
                label=_("Text (%(language)s)") % {"language": name},
                widget=forms.Textarea(attrs={"rows": 6}),
                required=False,
                initial=version.body if version else "",
            )

    def versions(self) -> dict[str, tuple[str, str]]:
        return {
            code: (self.cleaned_data[f"title_{code}"], self.cleaned_data[f"body_{code}"])
            for code, _name in settings.LANGUAGES
        }

    def language_fields(self):
        for code, name in settings.LANGUAGES:
            yield name, self[f"title_{code}"], self[f"body_{code}"]
