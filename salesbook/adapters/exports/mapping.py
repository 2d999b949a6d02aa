"""Which export header feeds each salesbook column, and what an export's values mean.

Three tiers, the first that matches wins: the Settings sheet's Import columns / Import values
blocks, then the preset, then the Leads columns' own English and Chinese names and aliases
(rules/schema.py). One header never feeds two columns. A header written 'First Name + Last
Name' joins those two columns with a space."""

from __future__ import annotations

from dataclasses import dataclass, field

from salesbook.adapters.exports.presets import Preset
from salesbook.rules.schema import INPUTS, norm
from salesbook.rules.settings import IMPORT_ONLY, Settings
from salesbook.vocabulary.words import IMPORT_ONLY_COLUMNS

KEYS: tuple[str, ...] = tuple(c.key for c in INPUTS) + IMPORT_ONLY
JOIN = " + "


def parts(header: str) -> list[str]:
    """The export headers an alternative names: 'First Name + Last Name' → both."""
    return [p.strip() for p in str(header).split(JOIN)] if JOIN in str(header) else [str(header).strip()]


def _schema_names() -> dict[str, tuple[str, ...]]:
    names = {c.key: (c.en, c.zh, *c.aliases) for c in INPUTS}
    names.update(IMPORT_ONLY_COLUMNS)
    return names


@dataclass
class Mapping:
    tiers: list[dict[str, list[str]]]  # blocks, preset, schema: key -> alternative headers in order
    values: dict[str, dict[str, str]] = field(default_factory=dict)  # key -> norm(export value) -> value
    blocks_values: set[tuple[str, str]] = field(default_factory=set)  # (key, norm value) from Settings
    preset: Preset | None = None

    def known(self) -> set[str]:
        """Every header any tier names (folded), for finding the header row."""
        return {norm(p) for tier in self.tiers for alts in tier.values() for a in alts for p in parts(a)}

    def alternatives(self, key: str) -> list[str]:
        return [a for tier in self.tiers[:2] for a in tier.get(key, [])]

    def resolve(self, headers: list[object]) -> dict[str, list[int]]:
        """key -> positions in ``headers`` of the header(s) that feed it."""
        where: dict[str, int] = {}
        for i, h in enumerate(headers):
            n = norm(h)
            if n and n not in where:
                where[n] = i
        used: set[int] = set()
        found: dict[str, list[int]] = {}
        for tier in self.tiers:
            for key in KEYS:
                if key in found:
                    continue
                for alt in tier.get(key, []):
                    pos = [where.get(norm(p)) for p in parts(alt)]
                    if None not in pos and not used.intersection(pos):
                        found[key] = pos  # type: ignore[assignment]
                        used.update(pos)  # type: ignore[arg-type]
                        break
        return found

    def value(self, key: str, text: str) -> str | None:
        return self.values.get(key, {}).get(norm(text))


def build(settings: Settings, preset: Preset | None) -> Mapping:
    blocks: dict[str, list[str]] = {}
    for c in settings.import_columns:
        blocks.setdefault(c.key, []).append(c.header)
    from_preset: dict[str, list[str]] = {}
    values: dict[str, dict[str, str]] = {}
    if preset is not None:
        for key, headers in preset.columns:
            from_preset.setdefault(key, []).extend(headers)
        for key, value, to in preset.values:
            values.setdefault(key, {})[norm(value)] = to
    blocks_values = set()
    for v in settings.import_values:  # the Settings lines win over the preset's
        values.setdefault(v.key, {})[norm(v.value)] = v.to
        blocks_values.add((v.key, norm(v.value)))
    schema = {k: list(v) for k, v in _schema_names().items()}
    return Mapping([blocks, from_preset, schema], values, blocks_values, preset)


__all__ = ["Mapping", "build", "parts", "KEYS", "JOIN"]
