"""Pages can quote the repository URL as ``{{ repository_url }}``: it comes from ``_config.yml``'s
``repository.url`` (which Jupyter Book passes to the theme), so it is typed in one place only."""


def _add_substitution(app, config):
    url = config.html_theme_options.get("repository_url")
    config.myst_substitutions = {**config.myst_substitutions, "repository_url": url}


def setup(app):
    app.connect("config-inited", _add_substitution)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
