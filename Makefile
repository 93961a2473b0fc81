# The two commands a new user needs: `make demo` and `make test`.
# uv comes from PyPI when it is missing; it then installs Python packages from the lock file.
UV := $(shell command -v uv 2>/dev/null || echo python3 -m uv)

.PHONY: demo test test-ahead uv

demo: uv
	$(UV) run --frozen triggerpoint demo

test: uv
	$(UV) run --frozen pytest

# The in-process tests again, on SQLite, with the machine's clock 400 days ahead, as CI runs them.
test-ahead: uv
	$(UV) run --frozen python -m tests.clock_ahead

uv:
	@command -v uv >/dev/null 2>&1 || python3 -m uv --version >/dev/null 2>&1 || \
		python3 -m pip install --quiet --user uv || \
		python3 -m pip install --quiet --user --break-system-packages uv
