# The two commands: `make demo` and `make test`. Both set everything up on a fresh machine.

PYTHON ?= python3
VENV   ?= .venv
PY     := $(VENV)/bin/python
PIP    := $(PY) -m pip
STAMP  := $(VENV)/.installed
# System packages the tests need (installed with apt when running as root):
# Chromium for the browser reviewer's tests (tests/browser); the libraries Qt's
# offscreen platform loads for the panel and overlay tests (PySide2 and PySide6); the
# TURN server (coturn) and the media server (janus) the voice tests start; iproute2 for the
# network namespaces of the voice tests and the shaped-link benchmarks.
SYSTEM_PACKAGES ?= chromium libpulse-mainloop-glib0 libxkbcommon0 libegl1 libgl1 libfontconfig1 \
	coturn janus iproute2

.PHONY: demo test venv sysdeps lint typecheck check-nuke-stubs pytest bench clean

venv: $(STAMP)

$(STAMP): setup.py pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PIP) install --quiet --upgrade pip
	$(PIP) install --quiet -e ".[dev]"
	touch $(STAMP)

sysdeps:
	@missing=""; for p in $(SYSTEM_PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
	  if [ "$$(id -u)" = 0 ]; then apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing; \
	  else echo "please install:$$missing (or run make test as root)"; exit 1; fi; \
	fi

demo: venv
	$(PY) -m overshoulder demo

test: venv sysdeps lint typecheck pytest

lint: venv
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

# mypy cannot follow package_dir, so it reads the tree through a folder of links
# that has the installed layout (overshoulder/core -> core/, ...).
typecheck: venv
	rm -rf .typecheck && mkdir -p .typecheck/overshoulder
	for f in overshoulder/*.py; do ln -s ../../$$f .typecheck/overshoulder/; done
	for d in core relay plugins install; do ln -s ../../$$d .typecheck/overshoulder/$$d; done
	MYPYPATH=.typecheck $(VENV)/bin/mypy --cache-dir .mypy_cache/typecheck -p overshoulder

# The Nuke adapter against the stubs generated inside Nuke (not ours to ship, so not in
# `make test`): make check-nuke-stubs NUKE_STUBS=path/to/a/checkout/of/nuke-python-stubs
check-nuke-stubs: venv
	@test -n "$(NUKE_STUBS)" || { echo "set NUKE_STUBS to a checkout of sisoe24/nuke-python-stubs"; exit 2; }
	$(PY) tools/check_nuke_stubs.py "$(NUKE_STUBS)"

pytest: venv
	$(PY) -m pytest

bench: venv
	$(PY) bench/run_all.py

clean:
	rm -rf $(VENV) build *.egg-info .pytest_cache .mypy_cache .ruff_cache test-artifacts demo-data
