"""Two fixes to the HTML that Sphinx and docutils write, applied to each page as it is rendered.

- Sphinx 7.4 lists an inline script that an extension adds after the HTML builder started
  (sphinx-thebe's `const THEBE_JS_URL = ...`) twice: once as it was added, and again when it
  copies the late additions; the second copy throws "Identifier 'THEBE_JS_URL' has already been
  declared" on every page. Only the first copy of each inline script is kept.
- docutils marks each bibliography entry `role="doc-biblioentry"`, a role DPUB-ARIA 1.1 deprecated,
  inside a `role="list"`: assistive technology then finds a list without list items (axe:
  aria-required-children, critical). The entries become `role="listitem"`.
"""

from sphinx.application import Sphinx


def drop_repeated_inline_scripts(app: Sphinx, pagename, templatename, context, doctree) -> None:
    scripts = context.get("script_files")
    if not scripts:
        return
    seen = set()
    unique = []
    for script in scripts:
        if not script.filename:  # inline: identified by its attributes, which hold its body
            key = tuple(sorted((name, str(value)) for name, value in script.attributes.items()))
            if key in seen:
                continue
            seen.add(key)
        unique.append(script)
    scripts[:] = unique


def make_bibliography_entries_list_items(
    app: Sphinx, pagename, templatename, context, doctree
) -> None:
    if "body" in context:
        context["body"] = context["body"].replace('role="doc-biblioentry"', 'role="listitem"')


def setup(app: Sphinx) -> dict:
    app.connect("html-page-context", drop_repeated_inline_scripts)
    app.connect("html-page-context", make_bibliography_entries_list_items)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
