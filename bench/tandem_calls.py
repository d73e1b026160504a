"""`tandem plan` and `tandem bench` for the bench scripts, as dicts (what
--json prints): in process through the Python module `tandem` when it imports
(PYTHONPATH, else build/python next to this folder), otherwise by running the
CLI. The module saves a process start, a model load and a JSON round trip per
call; the results are the same report functions (tools/reports.h).
"""
import json
import os
import subprocess
import sys

_BUILD_MODULE_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "build",
                                 "python")


def _import_module():
    try:
        import tandem
        return tandem
    except ImportError:
        pass
    if os.path.isdir(_BUILD_MODULE_DIR):
        sys.path.append(_BUILD_MODULE_DIR)
        try:
            import tandem
            return tandem
        except ImportError:
            sys.path.remove(_BUILD_MODULE_DIR)
    return None


def _last_json(text):
    for line in reversed(text.strip().splitlines()):
        if line.strip().startswith("{"):
            return json.loads(line)
    raise RuntimeError("no JSON line in output:\n" + text[-2000:])


# Keyword -> CLI option of `tandem bench`.
_BENCH_OPTIONS = {"processor": "--processor", "runs": "--runs", "warmup": "--warmup",
                  "processors": "--processors", "plan": "--plan", "frames": "--frames",
                  "profile": "--profile"}


class Tandem:
    def __init__(self, cli, use_module=True):
        self.cli = cli
        self.module = _import_module() if use_module else None

    def describe(self):
        if self.module:
            return f"Python module {self.module.__file__}"
        return f"CLI {self.cli}"

    def _run(self, args):
        p = subprocess.run([self.cli] + args + ["--json"], capture_output=True, text=True)
        if p.returncode != 0:
            raise RuntimeError(f"tandem {' '.join(args)} failed:\n{p.stderr[-2000:]}")
        return _last_json(p.stdout)

    def plan(self, model, processors, save=False, refresh=False):
        if self.module:
            return self.module.plan(model, processors, save=save, refresh=refresh)
        return self._run(["plan", model, "--processors", processors] +
                         (["--save"] if save else []) + (["--refresh"] if refresh else []))

    def bench(self, model, **options):
        """options: processor, runs, warmup, processors, plan, frames, profile."""
        unknown = set(options) - set(_BENCH_OPTIONS)
        if unknown:
            raise ValueError(f"bench: unknown options {sorted(unknown)}")
        if self.module:
            return self.module.bench(model, **options)
        args = ["bench", model]
        for key, value in options.items():
            args += [_BENCH_OPTIONS[key], str(value)]
        return self._run(args)
