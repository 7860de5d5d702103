"""The domain prompt made from the active lexicon, and the guard against Whisper echoing it."""

from __future__ import annotations

from compliance.lexicon import load_lexicon, parse_lexicon, shipped_lexicons_dir
from transcriber.prompt import PROMPT_HEAD, domain_prompt, is_echo, is_runaway, lexicon_words

NEW_RULE = """
[[rules]]
id = "threat.new-words"
category = "threat"
phrases = ["寄花圈", "上门泼漆"]
"""


def test_the_prompt_names_every_rules_vocabulary_within_its_budget() -> None:
    prompt = domain_prompt(lexicon_words(load_lexicon("cn-default")), 80)
    words = prompt.removeprefix(PROMPT_HEAD).removesuffix("。").split("、")
    assert prompt.startswith(PROMPT_HEAD) and len(prompt) - len(PROMPT_HEAD) <= 81
    everything = domain_prompt(lexicon_words(load_lexicon("cn-default")), 10_000)
    every_word = set(everything.removeprefix(PROMPT_HEAD).removesuffix("。").split("、"))
    # a sequence rule gives the thing it names (公安), not the words that lead to it (我是);
    # the budget keeps the first rules' words (how many depends on the lexicon's size)
    assert {"公安", "坐牢", "分期", "投诉", "骗子"} <= every_word
    assert set(words) <= every_word and len(words) >= 5
    assert not any("我" in w or "你" in w for w in words)
    assert len(words) == len(set(words)) and all(2 <= len(w) <= 4 for w in words)
    assert domain_prompt(lexicon_words(load_lexicon("cn-default")), 0) == ""


def test_an_admins_new_phrase_is_in_the_prompt() -> None:
    shipped = (shipped_lexicons_dir() / "cn-default.toml").read_text(encoding="utf-8")
    edited = parse_lexicon(shipped_lexicons_dir() / "edited.toml", (shipped + NEW_RULE).encode())
    before = domain_prompt(lexicon_words(load_lexicon("cn-default")), 10_000)  # room for every rule
    after = domain_prompt(lexicon_words(edited), 10_000)  # room for every rule
    assert "寄花圈" not in before and "寄花圈" in after


def test_an_answer_that_repeats_the_prompt_is_an_echo_and_speech_is_not() -> None:
    prompt = domain_prompt(lexicon_words(load_lexicon("cn-default")), 80)
    assert is_echo(prompt, prompt)
    assert is_echo("催收电话录音,公安,经侦支队", prompt)
    assert is_echo("公安、经侦支队", prompt)  # short, but nothing but the prompt
    # real violations are full of lexicon words, in the order people say them
    assert not is_echo("我给你利息全免还能分期", prompt)
    assert not is_echo("我是市公安局经侦支队的", prompt)
    assert not is_echo("你再不还钱就等着坐牢吧", prompt)
    assert not is_echo("分期", prompt) and not is_echo("公安", prompt)


def test_a_decoding_loop_is_a_runaway_and_speech_is_not() -> None:
    """Seen on dev audio with a prompt: a 0.8 s "喂，哪位？" decoded as a 448-token loop."""
    loop = "为了,努力," + "担心," * 40
    assert is_runaway(loop, 0.8)
    assert is_runaway("这位置," * 6, 5.0)  # short enough for its time, but a loop
    for said, seconds in [
        ("法院,我就借了信用卡几千块钱而已。", 2.5),
        ("我知道,我这段时间是晏龙,利息太高了还不齐。", 4.0),
        ("好的好的", 0.6),
        ("喂", 0.3),
        ("您好,请问是陈建国先生吗?我是东方银行委托的催收专员,工号四一二七。", 6.0),
    ]:
        assert not is_runaway(said, seconds), said
