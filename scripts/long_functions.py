#!/usr/bin/env python3
"""Lists C++ functions longer than a limit (default 80 lines, signature to
closing brace), to keep "functions under ~80 lines" checkable.

  scripts/long_functions.py [--max N] [PATH...]   (default: the source folders)

A brace counter, not a parser: comments, strings and character literals are
blanked, then each `{` at namespace or class scope whose header ends like a
function signature (`) const`, `) override`, `) -> T`, a constructor's
initialiser list) opens a function; lambdas and blocks inside it count toward
it. Exit status 1 when any function is over the limit and not allowed below.
"""
import argparse
import os
import re
import sys

DEFAULT_DIRS = ["api", "engine", "formats", "graph", "kernels", "scheduler", "tools", "tests",
                "bench", "examples", "fuzz", "include"]
# Table code (one row per op / case, nothing to split): "path:function" -> why.
ALLOWED = {}

SIG_END = re.compile(r"\)\s*(const|override|final|noexcept|mutable|volatile|&|&&|\s)*"
                     r"(->\s*[\w:<>,\s*&]+)?$")
SCOPE = re.compile(r"^(template\s*<.*>\s*)?(namespace|class|struct|union|enum|extern)\b")
CONTROL = re.compile(r"\b(if|for|while|switch|catch|do|else|return)\s*(\(|$)")


def blank(text):
    """Comments, strings and char literals -> spaces (newlines kept)."""
    out, i, n = [], 0, len(text)
    while i < n:
        c = text[i]
        if text.startswith("//", i):
            j = text.find("\n", i)
            j = n if j < 0 else j
            out.append(" " * (j - i))
            i = j
        elif text.startswith("/*", i):
            j = text.find("*/", i + 2)
            j = n if j < 0 else j + 2
            out.append(re.sub(r"[^\n]", " ", text[i:j]))
            i = j
        elif c == 'R' and text.startswith('R"', i):
            m = re.match(r'R"([^(\s]*)\(', text[i:])
            if not m:
                out.append(c)
                i += 1
                continue
            end = ")" + m.group(1) + '"'
            j = text.find(end, i)
            j = n if j < 0 else j + len(end)
            out.append(re.sub(r"[^\n]", " ", text[i:j]))
            i = j
        elif c in "\"'":
            if c == "'" and i > 0 and (text[i - 1].isalnum()) and text[i - 1] not in "uUL":
                out.append(c)  # digit separator 1'000
                i += 1
                continue
            j = i + 1
            while j < n and text[j] != c and text[j] != "\n":
                j += 2 if text[j] == "\\" else 1
            j = min(j + 1, n)
            out.append(c + " " * (j - i - 2) + c if j - i >= 2 else text[i:j])
            i = j
        else:
            out.append(c)
            i += 1
    return "".join(out)


def functions(path):
    """(name, first_line, lines) of each function defined at namespace/class scope."""
    text = blank(open(path, encoding="utf-8", errors="replace").read())
    # Preprocessor lines (with their continuations) -> spaces, newlines kept.
    text = re.sub(r"^[ \t]*#(?:.*\\\n)*.*$", lambda m: re.sub(r"[^\n]", " ", m.group(0)), text,
                  flags=re.M)
    stack = []  # 'scope' | 'func' | 'other'
    header_start = 0
    found = []
    for i, c in enumerate(text):
        if c in ";":
            if not stack or stack[-1][0] == "scope":
                header_start = i + 1
        elif c == "{":
            in_func = any(k[0] == "func" for k in stack)
            header = text[header_start:i].strip()
            kind = "other"
            if not in_func:
                flat = " ".join(header.split())
                before_paren = flat.split("(")[0]
                if SCOPE.match(flat):
                    kind = "scope"
                elif (SIG_END.search(flat) or re.search(r"\)\s*:\s*\w", flat)) and \
                        not CONTROL.search(before_paren + "(") and "=" not in before_paren:
                    kind = "func"
            start = i - len(text[header_start:i].lstrip()) if kind == "func" else i
            stack.append((kind, start, header))
            if not in_func and kind != "func":
                header_start = i + 1
        elif c == "}":
            if not stack:
                continue
            kind, start, header = stack.pop()
            if kind == "func":
                first = text.count("\n", 0, start) + 1
                last = text.count("\n", 0, i) + 1
                name = re.findall(r"([~\w:]+(?:operator\s*\S+)?)\s*\(", header)
                found.append((name[0] if name else header[:40], first, last - first + 1))
            if not any(k[0] == "func" for k in stack):
                header_start = i + 1
    return found


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--max", type=int, default=80)
    ap.add_argument("paths", nargs="*")
    a = ap.parse_args()
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    paths = a.paths or [os.path.join(root, d) for d in DEFAULT_DIRS]
    files = []
    for p in paths:
        if os.path.isfile(p):
            files.append(p)
        for dp, dn, fn in os.walk(p):
            dn[:] = [d for d in dn if d not in ("third_party", "generated", "build")
                     and not d.endswith("_fixture")]
            files += [os.path.join(dp, f) for f in fn if f.endswith((".cc", ".h", ".cpp"))]
    over = 0
    for f in sorted(files):
        rel = os.path.relpath(f, root)
        for name, line, n in functions(f):
            if n <= a.max:
                continue
            why = ALLOWED.get(rel + ":" + name)
            print(f"{rel}:{line}: {name} {n} lines" + (f" (allowed: {why})" if why else ""))
            over += 0 if why else 1
    return 1 if over else 0


if __name__ == "__main__":
    sys.exit(main())
