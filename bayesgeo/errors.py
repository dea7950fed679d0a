"""The one exception type for bad user input; the CLI turns it into exit code 2 and one line on stderr."""


class SpecError(ValueError):
    """Bad input: the message is one sentence naming the field, the value and what is expected."""

    def __init__(self, field: str, message: str):
        self.field = field
        super().__init__(f"{field}: {message}")
