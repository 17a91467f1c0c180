"""Work around a Sphinx 7.4 bug that puts some inline scripts on every page twice.

An inline script an extension adds after the HTML builder started (sphinx-thebe's
`const THEBE_JS_URL = ...`) is listed once as it was added and once more when Sphinx copies the
late additions again; the second copy throws "Identifier 'THEBE_JS_URL' has already been declared"
on every page. This keeps the first copy of each inline script.
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


def setup(app: Sphinx) -> dict:
    app.connect("html-page-context", drop_repeated_inline_scripts)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
