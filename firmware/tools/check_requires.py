#!/usr/bin/env python3
"""Checks that every header a firmware source includes comes from a component its CMakeLists
names: itself, ESP-IDF's common requirements, what it REQUIRES or PRIV_REQUIRES (or lists in
its idf_component.yml), and, through them, whatever those require publicly (REQUIRES).

Input: the `gcc -H` output of each firmware source (check-glue.sh makes it), which lists every
header opened, indented by include depth. Only include edges whose including file belongs to a
firmware component are checked: what ESP-IDF's own headers include is ESP-IDF's business.

The CMakeLists parsing is deliberately simple: every name that appears after REQUIRES in
idf_component_register, with ${var} expanded from every set()/list(APPEND) of that file,
whatever if() it sits in. That over-approximates a component's requirements, so this check
can miss a mistake that only shows for one target, but it never reports one that is not there.

usage: check_requires.py FIRMWARE_DIR IDF_PATH [PROTOCOLS_PATH] [LWIP_PATH] -- SOURCE:HFILE...
"""
import os
import re
import sys

# ESP-IDF tools/cmake/build.cmake: __COMPONENT_REQUIRES_COMMON (v5: newlib, v6: esp_libc, esp_stdio).
COMMON = {"cxx", "newlib", "esp_libc", "freertos", "esp_hw_support", "heap", "log", "soc", "hal", "esp_rom",
          "esp_common", "esp_system", "esp_stdio", "riscv", "xtensa"}
KEYWORDS = {"SRCS", "SRC_DIRS", "EXCLUDE_SRCS", "INCLUDE_DIRS", "PRIV_INCLUDE_DIRS", "REQUIRES", "PRIV_REQUIRES",
            "LDFRAGMENTS", "REQUIRED_IDF_TARGETS", "EMBED_FILES", "EMBED_TXTFILES", "KCONFIG", "KCONFIG_PROJBUILD",
            "WHOLE_ARCHIVE"}


def short(name):
    """A managed component's name without its namespace: espressif__mdns → mdns."""
    return name.split("__", 1)[-1]


def requirements(cmake_path):
    """(public, private) requirement names of one component's CMakeLists.txt."""
    if not os.path.exists(cmake_path):
        return set(), set()
    text = re.sub(r"#[^\n]*", "", open(cmake_path, encoding="utf-8", errors="replace").read())
    variables = {}
    for m in re.finditer(r"\b(?:set|list\s*\(\s*APPEND)\s*\(?\s*(\w+)([^)]*)\)", text, re.I):
        variables.setdefault(m.group(1), []).extend(m.group(2).replace('"', " ").split())
    public, private = set(), set()
    for m in re.finditer(r"idf_component_register\s*\(([^)]*)\)", text):
        target = None
        for token in m.group(1).replace('"', " ").split():
            if token in KEYWORDS:
                target = public if token == "REQUIRES" else private if token == "PRIV_REQUIRES" else None
                continue
            if target is None:
                continue
            for name in expand(token, variables, 0):
                target.add(short(name))
    manifest = os.path.join(os.path.dirname(cmake_path), "idf_component.yml")
    if os.path.exists(manifest):
        for m in re.finditer(r"^\s+([\w.-]+/)?([\w-]+)\s*:", open(manifest, encoding="utf-8").read(), re.M):
            if m.group(2) not in ("idf", "version", "public", "rules", "if", "path", "git", "override_path"):
                public.add(m.group(2).replace("-", "_"))
    return public, private


def expand(token, variables, depth):
    m = re.fullmatch(r"\$\{(\w+)\}", token)
    if not m:
        return [] if "$" in token else [token]
    if depth > 5:
        return []
    out = []
    for t in variables.get(m.group(1), []):
        out.extend(expand(t, variables, depth + 1))
    return out


def main(argv):
    split = argv.index("--")
    roots, pairs = argv[1:split], argv[split + 1:]
    firmware, idf = os.path.realpath(roots[0]), os.path.realpath(roots[1])
    protocols = os.path.realpath(roots[2]) if len(roots) > 2 and roots[2] else None
    lwip = os.path.realpath(roots[3]) if len(roots) > 3 and roots[3] else None
    component_dirs = {}

    def component_of(path):
        """(name, directory) of the component a file belongs to, or None (toolchain, sdkconfig.h)."""
        p = os.path.realpath(path)
        if lwip and p.startswith(lwip + os.sep):
            return "lwip", os.path.join(idf, "components", "lwip")
        for base in (os.path.join(firmware, "components"), os.path.join(idf, "components"),
                     os.path.join(protocols, "components") if protocols else None):
            if base and p.startswith(base + os.sep):
                name = p[len(base) + 1:].split(os.sep)[0]
                component_dirs[name] = os.path.join(base, name)
                return name, os.path.join(base, name)
        if p.startswith(os.path.join(firmware, "main") + os.sep) or p.startswith(os.path.join(firmware, "boards") + os.sep):
            return "main", os.path.join(firmware, "main")
        return None

    public_cache = {}

    def public_of(name):
        if name not in public_cache:
            directory = component_dirs.get(name)
            for base in (os.path.join(firmware, "components"), os.path.join(idf, "components"),
                         os.path.join(protocols, "components") if protocols else None):
                if not directory and base and os.path.isdir(os.path.join(base, name)):
                    directory = os.path.join(base, name)
            public_cache[name] = requirements(os.path.join(directory, "CMakeLists.txt"))[0] if directory else set()
        return public_cache[name]

    def allowed(name, directory):
        public, private = requirements(os.path.join(directory, "CMakeLists.txt"))
        todo, seen = list(public | private | COMMON), {name}
        while todo:
            c = todo.pop()
            if c in seen:
                continue
            seen.add(c)
            todo.extend(public_of(c))
        return seen

    problems = 0
    for pair in pairs:
        source, hfile = pair.rsplit(":", 1)
        stack = [source]  # stack[d] is the file open at include depth d
        for line in open(hfile, encoding="utf-8", errors="replace"):
            m = re.match(r"^(\.+) (.+)$", line.rstrip("\n"))
            if not m:
                continue
            depth, header = len(m.group(1)), m.group(2)
            del stack[depth:]
            parent = stack[-1]
            stack.append(header)
            owner, child = component_of(parent), component_of(header)
            if not owner or not owner[1].startswith(firmware + os.sep):
                continue
            if child and child[0] not in allowed(*owner):
                problems += 1
                print(f"MISSING  {os.path.relpath(parent, firmware)} includes {os.path.relpath(header, os.path.dirname(child[1]))}, "
                      f"from component {child[0]}, which {owner[0]}/CMakeLists.txt does not require (directly or publicly)")
    print(f"check-requires: {problems} include(s) from components not named in CMakeLists.txt")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
