"""Finding feed definitions and the one that fits a file."""

from __future__ import annotations

from pathlib import Path

import yaml
from pydantic import ValidationError

from mast.core.errors import ConfigError, FeedDefinitionError
from mast.schema.feed import FeedDefinition


def load_definition(path: Path) -> FeedDefinition:
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        return FeedDefinition.model_validate(data)
    except yaml.YAMLError as e:
        raise FeedDefinitionError(f"{path.name}: not valid YAML ({e})") from e
    except ValidationError as e:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in err['loc']) or 'file'}: {err['msg']}" for err in e.errors()
        )
        raise FeedDefinitionError(f"{path.name}: {problems}") from e


def load_feeds(folder: Path) -> dict[str, FeedDefinition]:
    """Every `*.yaml` / `*.yml` definition in `folder`, by feed name."""
    if not folder.is_dir():
        raise ConfigError(f"feed folder {folder} does not exist; set MAST_FEEDS to a folder")
    feeds: dict[str, FeedDefinition] = {}
    for path in sorted([*folder.glob("*.yaml"), *folder.glob("*.yml")]):
        definition = load_definition(path)
        if definition.feed in feeds:
            raise FeedDefinitionError(f"{path.name}: feed name {definition.feed!r} is used twice")
        feeds[definition.feed] = definition
    if not feeds:
        raise ConfigError(f"no feed definitions (*.yaml) in {folder}")
    return feeds


def feed_for(file_name: str, feeds: dict[str, FeedDefinition]) -> FeedDefinition:
    """The single feed whose file patterns match `file_name`."""
    matches = [f for f in feeds.values() if f.matches(file_name)]
    if len(matches) == 1:
        return matches[0]
    if not matches:
        raise ConfigError(
            "no feed definition matches this file name; pass --feed NAME or add a pattern "
            f"(known feeds: {', '.join(sorted(feeds))})"
        )
    names = ", ".join(sorted(f.feed for f in matches))
    raise ConfigError(f"several feeds match this file name ({names}); pass --feed NAME")
