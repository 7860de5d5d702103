"""PII is masked on screens and in logs."""

from __future__ import annotations

import logging

import pytest

from store.pii import MaskingFilter, mask_phone, mask_resident_id, mask_text


@pytest.mark.parametrize(
    ("number", "masked"),
    [
        ("+8613812348000", "138****8000"),
        ("13812348000", "138****8000"),
        ("+861088886666", "010****6666"),
        ("+8657188886666", "0571****6666"),
        ("+12125550100", "+1 212****0100"),
    ],
)
def test_mask_phone(number: str, masked: str) -> None:
    assert mask_phone(number) == masked


def test_mask_resident_id_hides_birth_date() -> None:
    assert mask_resident_id("11010119900307451X") == "110101********451X"
    assert "19900307" not in mask_resident_id("11010119900307451X")


def test_mask_text_finds_every_kind() -> None:
    text = "拨打13812348000、+8613912345678，身份证110101199003074514，单位010-88886666"
    masked = mask_text(text)
    for secret in ("13812348000", "13912345678", "19900307", "88886666"):
        assert secret not in masked
    assert "138****8000" in masked and "110101********4514" in masked


def test_logging_filter_masks_arguments(caplog: pytest.LogCaptureFixture) -> None:
    logger = logging.getLogger("callwarden.test")
    handler_filter = MaskingFilter()
    logger.addFilter(handler_filter)
    try:
        with caplog.at_level(logging.INFO, logger="callwarden.test"):
            logger.info("dialling %s for %s", "+8613812348000", "110101199003074514")
    finally:
        logger.removeFilter(handler_filter)
    assert caplog.messages == ["dialling 138****8000 for 110101********4514"]


@pytest.mark.parametrize(
    "said",
    [
        "我手机138 1234 5678",  # as the recognizer often writes a number read out in groups
        "我手机138-1234-5678",
        "回电 +86 138 1234 5678",
    ],
)
def test_mask_text_finds_a_mobile_written_in_groups(said: str) -> None:
    masked = mask_text(said)
    assert "1234" not in masked and masked.endswith("138****5678")
