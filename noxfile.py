"""nox sessions: one ``tests-<backend>`` per file in ``backends/``, ``parity``, ``compile``,
``lint``, ``typecheck``, ``bench`` and ``docs``.

``nox`` with no arguments runs the test matrix, the parity session, lint and typecheck (not
``compile`` nor ``docs``: they take minutes). Sessions use pip in virtualenvs: the CPU build of
torch 2.13.0 lies on this machine's disk, where pip finds it and uv does not.

The test sessions share one environment, built once by the ``testenv`` session they require:
every backend in ``backends/`` and the peers of ``tests/requirements.txt`` (which every session
needs anyway: the peers are torch, JAX, TensorFlow and optax). Installing them took about 1.5
minutes per session, seven times per ``nox`` run.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import nox

ROOT = Path(__file__).parent
TESTENV_BIN = ROOT / ".nox" / "testenv" / ("Scripts" if os.name == "nt" else "bin")
BACKENDS = sorted(path.stem for path in (ROOT / "backends").glob("*.txt"))

# JAX compiles each eager operation once per shape and dtype, per process: most of the JAX
# session's time. A compilation cache on disk shares them between the pytest-xdist workers and
# the sessions (the triplet tests on JAX: 48 s of CPU with an empty cache, 48 s without one,
# 25 s with a filled one). The tests' programs are small and run once: XLA's optimisations cost
# more than they save (tests/test_sequence.py on JAX, one process: 188 and 173 s with them,
# 152 and 151 s without; the results stay within every test's tolerance). XLA's CPU fusion
# emitters (jaxlib 0.10's default) take longer to compile than its older loop emitters: 52 ms
# against 30 ms for a small jitted function, 51 s against 29 s for 40 eager steps of 4 ops on
# new shapes. The test sessions only: the benchmarks keep XLA's defaults.
JAX_TESTS = {"JAX_COMPILATION_CACHE_DIR": str(ROOT / ".nox" / "jax-compilation-cache"),
             "JAX_PERSISTENT_CACHE_MIN_COMPILE_TIME_SECS": "0",
             "JAX_PERSISTENT_CACHE_MIN_ENTRY_SIZE_BYTES": "0",
             "JAX_DISABLE_MOST_OPTIMIZATIONS": "1",
             # a caller's own XLA flags kept, ours after them
             "XLA_FLAGS": " ".join([*os.environ.get("XLA_FLAGS", "").split(),
                                    "--xla_cpu_use_fusion_emitters=false"])}

nox.options.default_venv_backend = "virtualenv"
nox.options.reuse_existing_virtualenvs = True
nox.options.sessions = [*(f"tests-{name}" for name in BACKENDS), "parity", "lint", "typecheck"]


def _fixture_name(backend: str) -> str:
    return backend.replace("-", "_")


@nox.session
def testenv(session: nox.Session) -> None:
    """The test sessions' shared environment: every backend, the peers, omniloss (editable)."""
    requirements = [arg for name in BACKENDS for arg in ("-r", f"backends/{name}.txt")]
    session.install(*requirements, "-r", "tests/requirements.txt")
    session.install("-e", ".")


def _in_testenv(session: nox.Session, program: str, *args: str, env: dict[str, str]) -> None:
    """Run the shared environment's ``program`` (by its path: nox would look a bare name up on
    its own ``PATH``), with that environment first on ``PATH`` for what it starts."""
    path = f"{TESTENV_BIN}{os.pathsep}{os.environ.get('PATH', '')}"
    session.run(str(TESTENV_BIN / program), *args, external=True,
                env={"PATH": path, "VIRTUAL_ENV": str(TESTENV_BIN.parent), **env})


def _make_tests_session(backend: str) -> None:
    @nox.session(name=f"tests-{backend}", venv_backend="none", requires=["testenv"])
    def tests(session: nox.Session) -> None:
        """Run the test suite with the ``xp`` fixture restricted to one backend.

        ``tests/test_parity.py`` and ``tests/test_cli.py`` are left to the ``parity`` session,
        which runs them for every backend at once (here they would repeat that session's cases
        of this backend).
        """
        # one worker per core (pytest-xdist): the sessions are CPU-bound and single-threaded;
        # the 25 slowest tests are printed: where a session's time goes, for the CI budget
        _in_testenv(session, "pytest", "-q", "-n", "auto", "--durations=25", "--ignore",
                    "tests/test_parity.py", "--ignore", "tests/test_cli.py", *session.posargs,
                    env={"OMNILOSS_BACKENDS": _fixture_name(backend), **JAX_TESTS})


for _backend in BACKENDS:
    _make_tests_session(_backend)


@nox.session(venv_backend="none", requires=["testenv"])
def parity(session: nox.Session) -> None:
    """Every backend at once: the cross-backend parity tests (the checks ``omniloss check``
    runs, on its cases, through the same ``omniloss.testing`` function) and the CLI."""
    _in_testenv(session, "pytest", "-q", "-n", "auto", "tests/test_parity.py",
                "tests/test_cli.py", *session.posargs, env=JAX_TESTS)


@nox.session(venv_backend="none", requires=["testenv"])
def compile(session: nox.Session) -> None:
    """``torch.compile(fullgraph=True)`` of every public function, ``dynamic=False`` and
    ``True``, against eager values and gradients (the torch sessions compile one per family)."""
    _in_testenv(session, "pytest", "-q", "-n", "auto", "tests/test_tracing.py", "-k",
                "torch_compile", *session.posargs,
                env={"OMNILOSS_BACKENDS": "torch", "OMNILOSS_COMPILE_ALL": "1"})


@nox.session
def lint(session: nox.Session) -> None:
    """ruff on the package, the tests, the scripts and the documentation's extension."""
    session.install("ruff")
    session.run("ruff", "check", "src", "tests", "benchmarks", "docs", "conftest.py", "noxfile.py")


@nox.session
def typecheck(session: nox.Session) -> None:
    """mypy --strict on the package."""
    session.install("mypy", "numpy", "array-api-compat", "pytest", "hypothesis")
    session.install("-e", ".")
    session.run("mypy")


@nox.session(venv_backend="none", requires=["testenv"])
def bench(session: nox.Session) -> None:
    """Time each loss against its native peer on every backend; writes docs/benchmarks.md, what
    the framework classes cost over their functions (docs/benchmarks-classes.md), and where a
    small eager call's time goes (docs/benchmarks-overhead.md).

    One intra-op thread unless arguments are given (``nox -s bench -- --repeats 41``): the
    committed table is made that way, stable on a shared machine.
    """
    _in_testenv(session, "python", "benchmarks/run.py",
                *(session.posargs or ["--threads", "1"]), env={})
    _in_testenv(session, "python", "benchmarks/classes.py", env={})  # docs/benchmarks-classes.md
    _in_testenv(session, "python", "benchmarks/overhead.py", env={})  # docs/benchmarks-overhead.md


@nox.session(venv_backend="none", requires=["testenv"])
def docs(session: nox.Session) -> None:
    """The documentation site, built into ``site/`` with every warning an error, then its links
    checked (``docs/check_links.py``).

    It runs in the test sessions' environment, which has every backend the plots are drawn on,
    with ``docs/requirements.txt`` installed into it. Sphinx options may follow ``--``.
    """
    _in_testenv(session, "python", "-m", "pip", "install", "-r", "docs/requirements.txt", env={})
    shutil.rmtree(ROOT / "site", ignore_errors=True)
    _in_testenv(session, "python", "-m", "sphinx", "-W", "--keep-going", "-E", "-b", "html",
                "-d", str(ROOT / "build" / "doctrees"), "docs", "site", *session.posargs, env={})
    _in_testenv(session, "python", "docs/check_links.py", "site", env={})
