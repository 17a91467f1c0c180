"""The book's print edition: the `singlehtml` build that `make pdf` prints, and a link to its PDF.

For the `singlehtml` builder (scripts/print_pdf.py prints its page with Chromium):

- a title page and a table of contents, chapters and their sections, whose links lead to anchors
  of their own on the headings (section ids such as ``summary`` repeat from chapter to chapter);
- after each interactive output (a latent explorer, a saved ipywidget), a sentence and a link to
  its chapter's page on the website, where it runs; book/_static/print.css hides its controls on
  paper and keeps its image;
- the saved widgets' state and scripts of every chapter (myst-nb adds them to a chapter's own
  page only, and the single page is the intro's);
- the page itself at ``index.html``: Sphinx writes it as ``book/intro.html`` (the root document)
  but with links relative to the build folder, so that its styles, scripts and figures load only
  from the top.

For the `html` builder, each page's download menu gets the whole book as a PDF,
``print_edition_pdf`` (set in _config.yml), which `make pdf` copies beside the site.
"""

import html
import os
from pathlib import Path

from docutils import nodes
from sphinx import addnodes
from sphinx.application import Sphinx
from sphinx.errors import ExtensionError

# Outputs that move only in a browser or a kernel, and what the print edition says under each.
NOTES = {
    'class="latent-explorer"': (
        "On paper this explorer shows where it starts. On the website it runs in your browser: "
        "its sliders move the point and redraw the digit, at"
    ),
    "application/vnd.jupyter.widget-view+json": (
        "On paper, as on the website, this is a snapshot of the ipywidgets explorer; it moves in "
        "a running notebook: launch the chapter on Binder or Colab from its page,"
    ),
}


def site_url(app: Sphinx) -> str:
    """The website's address, from repository.url (GitHub Pages: https://OWNER.github.io/NAME/)."""
    url = app.config.html_theme_options.get("repository_url", "")
    host, _, path = url.removeprefix("https://").partition("/")
    owner, _, name = path.strip("/").removesuffix(".git").partition("/")
    if host != "github.com" or not owner or not name:
        raise ExtensionError(
            f"print_edition: repository.url in _config.yml is {url!r}; the print edition links "
            "to the website at https://OWNER.github.io/NAME/, so it must be "
            "https://github.com/OWNER/NAME"
        )
    return f"https://{owner}.github.io/{name}/"


def raw_html(text: str) -> nodes.raw:
    return nodes.raw("", text, format="html")


def add_print_edition(app: Sphinx, doctree: nodes.document, docname: str) -> None:
    if app.builder.name != "singlehtml":
        return
    site = site_url(app)
    chapters = []
    for number, start in enumerate(doctree.findall(addnodes.start_of_file), start=1):
        chapter = next(start.findall(nodes.section))
        subsections = [child for child in chapter.children if isinstance(child, nodes.section)]
        entries = []
        for index, section in enumerate([chapter, *subsections]):
            anchor = f"print-{number}-{index}" if index else f"print-{number}"
            section[0]["ids"].append(anchor)  # on the heading, which starts where the page shows it
            entries.append((anchor, section[0].astext()))
        chapters.append((entries[0], entries[1:]))
        link = f"{site}{start['docname']}.html"
        for output in list(start.findall(nodes.raw)):
            for marker, sentence in NOTES.items():
                if marker in output.astext():
                    note = raw_html(
                        f'<p class="print-edition-note">{html.escape(sentence)} '
                        f'<a href="{html.escape(link)}">{html.escape(link)}</a>.</p>'
                    )
                    cell = output.parent if "cell_output" in output.parent["classes"] else output
                    cell.parent.insert(cell.parent.index(cell) + 1, note)
    root = next(doctree.findall(nodes.section))
    root.insert(1, raw_html(title_page(app, site) + contents(chapters)))


def title_page(app: Sphinx, site: str) -> str:
    config = app.config
    return (
        '<div class="print-edition-title">'
        f"<h1>{html.escape(config.html_title)}</h1>"
        f"<p>{html.escape(config.author)}</p>"
        f'<p>The website, where the explorers run: <a href="{html.escape(site)}">'
        f"{html.escape(site)}</a></p>"
        "</div>"
    )


def contents(chapters) -> str:
    """The table of contents: each line a link, with an empty slot for its page number, which
    scripts/print_pdf.py fills in from a first printing."""

    def entry(anchor: str, title: str, inner: str = "") -> str:
        return (
            f'<li><a href="#{html.escape(anchor)}"><span class="print-toc-title">'
            f'{html.escape(title)}</span><span class="print-toc-page"></span></a>{inner}</li>'
        )

    items = []
    for (anchor, title), sections in chapters:
        inner = "".join(entry(*section) for section in sections)
        items.append(entry(anchor, title, f"<ol>{inner}</ol>" if inner else ""))
    return (
        '<nav class="print-edition-contents" aria-label="Contents"><h2>Contents</h2>'
        f"<ol>{''.join(items)}</ol></nav>"
    )


def add_every_chapters_widget_scripts(app: Sphinx, pagename, templatename, context, doctree):
    if app.builder.name != "singlehtml":
        return
    from myst_nb.sphinx_ import NbMetadataCollector

    added = set()
    for docname in app.env.toctree_includes.get(app.config.root_doc, []):
        for key, (path, kwargs) in NbMetadataCollector.get_js_files(app.env, docname).items():
            if (path or (docname, key)) not in added:  # libraries once, each chapter's state
                added.add(path or (docname, key))
                app.add_js_file(path, **kwargs)


def move_page_to_index(app: Sphinx, exception) -> None:
    if exception is not None or app.builder.name != "singlehtml":
        return
    outdir = Path(app.outdir)
    os.replace(outdir / f"{app.config.root_doc}.html", outdir / "index.html")


def add_pdf_to_download_menu(app: Sphinx, pagename, templatename, context, doctree) -> None:
    if app.builder.name != "html":
        return
    for button in context.get("header_buttons", []):
        if button.get("label") == "download-buttons":
            button["buttons"].append(
                {
                    "type": "link",
                    "url": context["pathto"](app.config.print_edition_pdf, 1),
                    "text": "Book (.pdf)",
                    "tooltip": "Download the whole book as one PDF",
                    "icon": "fas fa-book",
                    "label": "download-book-pdf-button",
                }
            )


def setup(app: Sphinx) -> dict:
    app.add_config_value("print_edition_pdf", "book.pdf", "html")
    app.connect("doctree-resolved", add_print_edition)
    app.connect("html-page-context", add_every_chapters_widget_scripts)
    app.connect("build-finished", move_page_to_index)
    # After sphinx-book-theme's add_header_buttons (priority 501) has made the download menu.
    app.connect("html-page-context", add_pdf_to_download_menu, priority=600)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
