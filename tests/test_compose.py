"""Email composition: our gettext callables render exactly what jinja2's own new-style ones render."""

from __future__ import annotations

import pytest
from jinja2 import DictLoader, Environment

from notifications.compose import environment
from notifications.i18n import translations

TEMPLATE = (
    '{{ _("Status") }}|{{ _("100%% done") }}|{{ _("%(name)s <b>", name=who) }}|'
    '{% trans count=n %}{{ count }} case needs attention{% pluralize %}{{ count }} cases need attention{% endtrans %}|'
    '{% trans name=who %}Dear {{ name }},{% endtrans %}|'
    '{% autoescape false %}{{ _("%(name)s <b>", name=who) }}{% endautoescape %}|'
    '{{ ngettext("%(num)d case", "%(num)d cases", n) }}'
)


def stock(kind: str, lang: str) -> Environment:
    """jinja2.ext.i18n as it comes, with the catalogue our environments use."""
    env = Environment(loader=DictLoader({"t": TEMPLATE}), autoescape=(kind == "html"),
                      extensions=["jinja2.ext.i18n"])
    env.policies["ext.i18n.trimmed"] = True
    t = translations(lang)
    env.install_gettext_callables(t.gettext, t.ngettext, newstyle=True)
    return env


@pytest.mark.parametrize("kind", ["html", "text"])
@pytest.mark.parametrize("lang", ["zh", "en"])
@pytest.mark.parametrize("n", [1, 3])
def test_gettext_callables_render_as_jinja2s_own(kind, lang, n):
    ours = environment(kind, lang).from_string(TEMPLATE)
    data = {"who": "<script>王芳</script>", "n": n}
    expected = stock(kind, lang).get_template("t").render(data)
    assert ours.render(data) == expected
    if lang == "zh":
        assert "状态" in expected  # translated
    if kind == "html":
        assert "|&lt;script&gt;王芳&lt;/script&gt; <b>|" in expected  # the variable escaped, the message not
        assert "|<script>王芳</script> <b>|" in expected  # not inside {% autoescape false %}
    assert "100% done" in expected
