"""The extraction marker of interface messages written in the domain packages."""


def N_(message: str) -> str:  # noqa: N802 - the conventional name, a default Babel keyword
    """Mark `message` for extraction (pybabel, babel.cfg) without translating it.

    The domain never translates: it raises errors and returns notes in English, and the web
    layer translates the marked text where it is shown (then fills in any `%(name)s` values,
    escaped). Marking it here, where it is written, is what puts it in the catalog."""
    return message
