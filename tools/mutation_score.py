"""Mutation score per module.

mutmut (configured under [tool.mutmut] in pyproject.toml) changes the code one small step at a
time (a `<` for a `<=`, one string for another, a call dropped …) and runs the tests that reach
the changed function; a change that no test notices "survived". Minutes, not seconds: a
developer habit, not part of .ci/run.

    pip install -e ".[dev]"
    python tools/mutation_score.py            # run (reusing results kept in mutants/), print
    python tools/mutation_score.py --fresh    # forget earlier results first
    python tools/mutation_score.py --report   # only print the scores of the last run

`mutmut show <name>` then shows one survivor's change; `mutmut browse` walks them all.
"""

import argparse
import shutil
import subprocess
import sys
from collections import Counter, defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DETECTED = {"killed", "timeout", "caught by type check", "segfault"}


def mutmut(*args: str) -> str:
    """Run mutmut (the one beside this Python, else the one on PATH); its output."""
    found = Path(sys.executable).with_name("mutmut")
    command = [str(found) if found.exists() else "mutmut", *args]
    done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        # Its spinner redraws one line with carriage returns: show the last real lines.
        lines = (done.stdout + done.stderr).replace("\r", "\n").splitlines()
        print("\n".join(lines[-40:]), file=sys.stderr)
        sys.exit(f"mutmut {' '.join(args)} failed ({done.returncode})")
    return done.stdout


def scores(results: str) -> tuple[dict[str, Counter], dict[str, list[str]]]:
    """Counts by status, and the mutants not detected, per module."""
    by_module: dict[str, Counter] = defaultdict(Counter)
    missed: dict[str, list[str]] = defaultdict(list)
    for line in results.splitlines():
        name, sep, status = line.strip().rpartition(": ")
        if not sep or "__mutmut_" not in name:
            continue
        module = name.split("__mutmut_")[0].rsplit(".", 1)[0]
        by_module[module][status] += 1
        if status not in DETECTED:
            missed[module].append(f"{name} ({status})")
    return by_module, missed


def row(name: str, counts: Counter) -> str:
    total = sum(counts.values())
    detected = sum(counts[s] for s in DETECTED)
    return (
        f"{name:<20}{total:>8}{detected:>8}{counts['survived']:>9}{counts['no tests']:>9}"
        f"{detected / total:>8.0%}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--fresh", action="store_true", help="forget earlier results first")
    parser.add_argument("--report", action="store_true", help="only print the last run's scores")
    parser.add_argument("--max-children", type=int, help="parallel workers (default: CPUs)")
    options = parser.parse_args()
    if options.fresh:
        shutil.rmtree(ROOT / "mutants", ignore_errors=True)
    if not options.report:
        extra = ["--max-children", str(options.max_children)] if options.max_children else []
        print("mutmut run … (a minute or more)", flush=True)
        output = mutmut("run", *extra).replace("\r", "\n")
        print(*[line for line in output.splitlines() if "mutations/second" in line])
    by_module, missed = scores(mutmut("results", "--all=true"))
    if not by_module:
        sys.exit("no mutation results yet: run without --report")
    print(f"\n{'module':<20}{'mutants':>8}{'killed':>8}{'survived':>9}{'no tests':>9}{'score':>8}")
    for module, counts in sorted(by_module.items()):
        print(row(module, counts))
    print(row("all", sum(by_module.values(), Counter())))
    for module, names in sorted(missed.items()):
        print(f"\nnot detected in {module}:")
        print("\n".join(f"  {name}" for name in names))


if __name__ == "__main__":
    main()
