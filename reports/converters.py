"""URL converters."""


class YearLabelConverter:
    """A reporting year label such as `2010-11`."""

    regex = r"[0-9]{4}-[0-9]{2}"

    def to_python(self, value: str) -> str:
        return value

    def to_url(self, value: str) -> str:
        return value
