from enum import StrEnum


class AudioType(StrEnum):
    FILE = "file"
    URL = "url"

    def __str__(self) -> str:
        return str(self.value)
