"""What extracted metadata must not keep in the open: people's details, and the server's own file paths.

Pure Python: used by the evidence services on every probe result, and by the migration that cleaned the rows
stored before this existed.
"""

import re
from typing import Any

# Tag names (exiftool's "Group:Tag" without the group, ffprobe's lower-case tag keys) that name or single
# out a person or their device: authors and owners, rights holders and credits, contacts, free-text comments
# (senders type names into them), serial numbers and unique device or image ids.
IDENTIFYING_TAG_NAME = re.compile(
    r"serial|owner|author|artist|creator(?!tool)|copyright|rights|credit|by-?line|contact|writer|contributor"
    r"|publisher|person|e-?mail|phone|address|comment|lastmodifiedby|cameraid|uniqueid|^source$",
    re.IGNORECASE,
)
# Yes/no markers named after such fields ("CopyrightFlag": 0): they name no one.
NOT_IDENTIFYING_TAG_NAME = re.compile(r"flag$", re.IGNORECASE)
# Facts about the server's copy of the file, not about the evidence: its path, name and file-system dates.
SERVER_FILE_KEYS = frozenset(
    {
        "SourceFile",
        "File:Directory",
        "File:FileName",
        "File:FileModifyDate",
        "File:FileAccessDate",
        "File:FileInodeChangeDate",
        "File:FilePermissions",
        "filename",  # ffprobe's format.filename
    }
)
# ffprobe's stream flags ("comment": 0 says the track is not a commentary): not text from the file.
FLAG_DICTIONARIES = frozenset({"disposition"})
# An absolute path, with ffmpeg's "file:" prefix if present, up to a space, quote or separator.
ABSOLUTE_PATH = re.compile(r"(?:file:)?(?<![\w.~/-])/(?:[^\s'\"`:,;()\[\]{}<>]+)")
PATH_PLACEHOLDER = "(file)"


def _is_identifying(key: str) -> bool:
    name = key.rsplit(":", 1)[-1]
    return bool(IDENTIFYING_TAG_NAME.search(name)) and not NOT_IDENTIFYING_TAG_NAME.search(name)


def split_identifying(raw: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    """(raw without identifying tags or server-file facts, the identifying tags by their dotted path).

    `raw` is a probe result's metadata ({"exiftool": {...}, "ffprobe": {...}, ...}); neither input is changed.
    """
    identifying: dict[str, Any] = {}

    def walk(value: Any, path: str) -> Any:
        if isinstance(value, dict):
            kept = {}
            for key, item in value.items():
                key = str(key)
                if key in SERVER_FILE_KEYS:
                    continue
                item_path = f"{path}.{key}" if path else key
                if key in FLAG_DICTIONARIES:
                    kept[key] = item
                elif _is_identifying(key) and item not in (None, "", [], {}):
                    identifying[item_path] = item
                else:
                    kept[key] = walk(item, item_path)
            return kept
        if isinstance(value, list):
            return [walk(item, f"{path}.{index}") for index, item in enumerate(value)]
        return value

    return walk(raw, ""), identifying


def scrub_paths(value: Any, paths: tuple[str, ...] = (), *, any_absolute: bool = False) -> Any:
    """`value` with the given server paths replaced by "(file)", and with `any_absolute` every absolute path
    too (for messages: a tool's error names whatever file it was reading). Metadata keeps other paths, which
    come from the file itself."""
    if isinstance(value, dict):
        return {key: scrub_paths(item, paths, any_absolute=any_absolute) for key, item in value.items()}
    if isinstance(value, list):
        return [scrub_paths(item, paths, any_absolute=any_absolute) for item in value]
    if isinstance(value, str):
        for path in sorted(filter(None, paths), key=len, reverse=True):
            value = value.replace(f"file:{path}", PATH_PLACEHOLDER).replace(path, PATH_PLACEHOLDER)
        return ABSOLUTE_PATH.sub(PATH_PLACEHOLDER, value) if any_absolute else value
    return value
