"""Record interoperability checks as PASS, FAIL and NOTE lines.

run.sh counts the ``PASS `` and ``FAIL `` lines that these scripts print, so
every check goes through :class:`Report`. A NOTE is an observation that the
protocol allows but a reviewer may want to know about; it is not counted.
"""

import sys


class Report:
    """Collector of check results for one scenario."""

    def __init__(self, scenario: str) -> None:
        self.scenario = scenario
        self.passed = 0
        self.failed = 0
        self._notes: set[str] = set()

    def check(self, name: str, ok: bool, detail: str = "") -> bool:
        """Print one PASS or FAIL line and return ``ok``."""
        if ok:
            self.passed += 1
            print(f"PASS [{self.scenario}] {name}", flush=True)
        else:
            self.failed += 1
            print(f"FAIL [{self.scenario}] {name}: {detail}", flush=True)
        return ok

    def check_problems(self, name: str, problems: list[str]) -> bool:
        """Pass when ``problems`` is empty, otherwise fail listing them."""
        return self.check(name, not problems, "; ".join(problems))

    def expect_equal(self, name: str, actual: object, expected: object) -> bool:
        """Pass when ``actual == expected``, and show both values on failure."""
        detail = f"expected {expected!r}, got {actual!r}"
        return self.check(name, actual == expected, detail)

    def note(self, text: str) -> None:
        """Print an observation that does not count as a check, once per distinct text."""
        if text in self._notes:
            return
        self._notes.add(text)
        print(f"NOTE [{self.scenario}] {text}", flush=True)

    def exit_code(self) -> int:
        """Return 0 when no check failed, 1 otherwise."""
        return 0 if self.failed == 0 else 1

    def print_summary(self) -> None:
        """Print this scenario's totals to stderr, so run.sh does not count them."""
        print(
            f"[{self.scenario}] {self.passed} passed, {self.failed} failed",
            file=sys.stderr,
            flush=True,
        )
