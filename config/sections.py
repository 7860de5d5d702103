"""The base of every settings section: frozen, strict, and no key it does not know."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict


class Section(BaseModel):
    # inf and NaN are valid TOML floats; no duration or rate of ours may be either.
    model_config = ConfigDict(extra="forbid", frozen=True, strict=True, allow_inf_nan=False)
