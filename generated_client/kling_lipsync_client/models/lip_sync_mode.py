from enum import StrEnum


class LipSyncMode(StrEnum):
    AUDIO2VIDEO = "audio2video"
    TEXT2VIDEO = "text2video"

    def __str__(self) -> str:
        return str(self.value)
