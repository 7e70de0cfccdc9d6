# The few targets a person needs. `make demo` and `make test` work on a fresh clone.
VENV    := .venv
PY      := $(VENV)/bin/python
STAMP   := $(VENV)/.installed
JOBS    ?= 2

.PHONY: demo test lint format bench refresh-golden parity system-deps messages clean

$(STAMP): pyproject.toml
	python3 -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[test]'
	@$(MAKE) --no-print-directory system-deps
	touch $(STAMP)

# WeasyPrint runs about twice as fast with HarfBuzz's subsetter; install it where we can.
system-deps:
	@if ldconfig -p 2>/dev/null | grep -q 'libharfbuzz-subset.so.0'; then :; \
	elif [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	  (apt-get install -y -qq libharfbuzz-subset0 >/dev/null 2>&1 || \
	   (apt-get update -qq >/dev/null 2>&1 && apt-get install -y -qq libharfbuzz-subset0 >/dev/null 2>&1)) || \
	  echo "note: could not install libharfbuzz-subset0; PDF builds will be slower"; \
	else echo "note: 'sudo apt-get install libharfbuzz-subset0' makes PDF building about twice as fast"; fi
	@# LibreOffice hyphenates a DOCX's Norwegian as the PDF does only with these patterns (make parity).
	@if command -v soffice >/dev/null && [ ! -e /usr/share/hyphen/hyph_nb_NO.dic ]; then \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	    apt-get install -y -qq hyphen-no >/dev/null 2>&1 || echo "note: could not install hyphen-no"; \
	  else echo "note: 'sudo apt-get install hyphen-no' lets LibreOffice hyphenate Norwegian letters"; fi; fi

demo: $(STAMP)
	$(VENV)/bin/lettersmith check
	$(VENV)/bin/lettersmith build
	$(VENV)/bin/lettersmith build --club bergen
	@echo "Letters in out/:"; find out -type f -not -name '.*' | sort

test: $(STAMP)
	$(PY) -m pytest

lint: $(STAMP)
	$(VENV)/bin/ruff check src tests benchmarks
	$(VENV)/bin/ruff format --check src tests benchmarks
	$(VENV)/bin/mypy

format: $(STAMP)
	$(VENV)/bin/ruff check --fix src tests benchmarks
	$(VENV)/bin/ruff format src tests benchmarks

bench: $(STAMP)
	$(PY) benchmarks/build_bench.py
	$(PY) benchmarks/send_bench.py
	$(PY) benchmarks/web_bench.py
	$(PY) benchmarks/preview_bench.py
	$(PY) benchmarks/inbox_bench.py
	$(PY) benchmarks/backup_bench.py

refresh-golden: $(STAMP)
	$(PY) tests/golden/refresh.py

# The PDF and the DOCX (through LibreOffice) of three letters: key lines measured, page 1 of
# both side by side in out/parity/<letter>-page1.png.
parity: $(STAMP)
	$(PY) tests/parity.py

# The texts marked for translation, into every language's catalogues: a new one appears with an
# empty msgstr in the .po file of the part whose code uses it (web.po for web/, when there is
# one; else lettersmith.po) for a translator to fill in; tests/test_translate.py names any text
# bokmål lacks. One file per part, so that people working on different parts do not collide.
messages: $(STAMP)
	$(PY) -m lettersmith.catalogues

clean:
	rm -rf out .pytest_cache
