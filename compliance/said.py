"""Words for people that the pure layers write: a message id and its values, which the console
renders in its reader's language (no I/O). ``store.said`` re-exports them beside its errors.

The message id is the Chinese text, as in the console's catalogs (``console/locale``); it is
marked with :func:`N_` where it is written, so the console's extraction finds it. Whoever
prints one without a catalog (the CLI, a log line) gets the Chinese, which is the default.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType


def N_(message: str) -> str:
    """Marks ``message`` for the console's catalogs; it is translated where shown."""
    return message


LIST_JOIN = N_("、")
"""How a tuple of words among a message's values is joined (an English reader: ", ")."""


@dataclass(frozen=True)
class Said:
    """A catalog message id (Chinese, ``%(name)s`` placeholders) and the values to fill in."""

    msgid: str
    params: Mapping[str, object] = field(default_factory=lambda: MappingProxyType({}))

    def render(self, translate: Callable[[str], str] | None = None) -> str:
        """The message through ``translate`` (a gettext; None: the Chinese msgid itself)."""
        say = translate or str
        text = say(self.msgid)
        # Without values a message is taken as written, as ``_("…")`` is where nothing is
        # filled in (a lone "%" in it is then no format error).
        if not self.params:
            return text
        # a list of words is joined as the reader's language joins them (家属、同事)
        joined = {k: _value(v, translate) for k, v in self.params.items()}
        return text % joined

    def __str__(self) -> str:
        return self.render()


class SaidError(ValueError):
    """A refusal whose message is a :class:`Said`; ``str()`` is its Chinese. Raised in a
    validator, the validation library keeps it and ``compliance.problems.refusal`` reads it
    back; the store's refusals subclass it (``store.said``)."""

    def __init__(self, msgid: str, **params: object) -> None:
        self.said = Said(msgid, MappingProxyType(params))
        super().__init__(str(self.said))


def _value(value: object, translate: Callable[[str], str] | None) -> object:
    """A message's value as the reader reads it: a list of words joined as their language
    joins them (家属、同事), a message inside a message in the same language."""
    if isinstance(value, tuple):
        return (translate or str)(LIST_JOIN).join(str(_value(v, translate)) for v in value)
    if isinstance(value, Said):
        return value.render(translate)
    return value
