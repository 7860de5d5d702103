"""Bring console/locale/*/LC_MESSAGES/messages.po in line with the code, then say what the
English catalog still lacks (fill those msgstr in by hand, then run it again)."""

from __future__ import annotations

import sys

from console.i18n_catalogs import sync


def main() -> int:
    missing = 0
    for locale, gaps in sync().items():
        for message in gaps.untranslated:
            print(f"{locale}: untranslated: {message}")
            missing += 1
    return 1 if missing else 0


if __name__ == "__main__":
    sys.exit(main())
