#!/usr/bin/env python3
"""Writes the library's manual pages from its own text, so they never drift.

    genman.py HEADER README VERSION OUTDIR

OUTDIR/man3/uds_*.3: one page per function declared in HEADER
(include/udsock.h), from the doc comment above its prototype, with the
structures it takes. OUTDIR/man7/libudsock.7: the header's conventions and
the README's "API conventions", "The pitfalls it handles" and "The API at a
glance" sections. Fails when a function has no doc comment.
"""

import re
import sys
from pathlib import Path

MANUAL = "libudsock manual"


def roff_escape(text):
    """Plain text for roff: backslashes, and '-' as a real minus."""
    return text.replace("\\", "\\e").replace("-", "\\-")


def inline(text):
    """Markdown-ish inline text (`code`, **bold**) to roff."""
    out = []
    for i, part in enumerate(re.split(r"`([^`]*)`", text)):
        part = roff_escape(part)
        if i % 2:
            out.append("\\fB" + part + "\\fR")
        else:
            out.append(re.sub(r"\*\*([^*]+)\*\*", r"\\fB\1\\fR", part))
    return "".join(out)


def line_safe(line):
    """A text line that roff will not read as a request."""
    return "\\&" + line if line[:1] in (".", "'") else line


def blocks_to_roff(lines):
    """Paragraphs, '- ' bullets and ``` code blocks to roff requests."""
    out, para, code, bullet = [], [], None, False

    def flush():
        nonlocal para, bullet
        if para:
            out.append(".IP \\(bu 2" if bullet else ".PP")
            out.extend(line_safe(inline(l)) for l in [" ".join(para)])
        para, bullet = [], False

    for raw in lines:
        line = raw.rstrip()
        if code is not None:
            if line.strip().startswith("```"):
                out.append(".EE")
                out.append(".in")
                code = None
            else:
                out.append(line_safe(roff_escape(line)))
            continue
        stripped = line.strip()
        if stripped.startswith("```"):
            flush()
            out.extend([".PP", ".in +4n", ".EX"])
            code = []
        elif not stripped:
            flush()
        elif re.match(r"^[-*] ", stripped):
            flush()
            bullet = True
            para = [stripped[2:]]
        else:
            para.append(stripped)
    flush()
    return out


def parse_header(text):
    """[(name, prototype, doc lines)] and {struct name: definition}."""
    functions = []
    for m in re.finditer(r"/\*\*\n(.*?)\*/\n([^;{}#/]*?\b(uds_\w+)\([^;]*\);)", text, re.S):
        doc = [re.sub(r"^ ?\* ?", "", l) for l in m.group(1).split("\n")]
        proto = " ".join(m.group(2).split())
        functions.append((m.group(3), proto, doc))
    structs = {}
    for m in re.finditer(r"typedef struct (uds_\w+) \{(.*?)\} \1;", text, re.S):
        body = re.sub(r"/\*\*.*?\*/", "", m.group(2), flags=re.S)
        fields = [l.strip() for l in body.split("\n") if l.strip()]
        structs[m.group(1)] = "struct %s {\n%s\n};" % (m.group(1), "\n".join("    " + f for f in fields))
    return functions, structs


def header_conventions(text):
    """The bullets of the header's opening "Conventions" comment."""
    top = text.split("*/", 1)[0]
    lines = [re.sub(r"^ ?\* ?", "", l) for l in top.split("\n")[1:]]
    start = next(i for i, l in enumerate(lines) if l.startswith("Conventions"))
    return [l[1:] if l.startswith(" ") else l for l in lines[start + 1:]]


def readme_section(text, title):
    m = re.search(r"^## " + re.escape(title) + r"\n(.*?)(?=^## |\Z)", text, re.S | re.M)
    if not m:
        sys.exit("genman.py: README has no section %r" % title)
    return m.group(1).strip("\n").split("\n")


def table_rows(lines):
    rows = []
    for l in lines:
        if l.startswith("|") and not re.match(r"^\|\s*-", l):
            rows.append([c.strip() for c in l.strip().strip("|").split("|")])
    return rows[1:]  # without the heading row


def areas(readme):
    """{function: [functions of the same area]} from "The API at a glance"."""
    related = {}
    for area, funcs in table_rows(readme_section(readme, "The API at a glance")):
        names = re.findall(r"`(uds_\w+)", funcs)
        for n in names:
            related[n] = [o for o in names if o != n]
    return related


def th(name, section, version):
    return '.TH %s %s "" "libudsock %s" "%s"' % (name.upper(), section, version, MANUAL)


def name_line(doc):
    """The NAME section's text: the doc comment's first sentence."""
    first = " ".join(" ".join(doc).split())
    m = re.match(r"(.+?[.:])(\s|$)", first)
    sentence = (m.group(1) if m else first).rstrip(".:")
    return inline(sentence[0].lower() + sentence[1:] if sentence[:1].isupper() and not sentence[1:2].isupper() else sentence)


def function_page(name, proto, doc, structs, related, version):
    out = [th(name, 3, version), ".SH NAME", "%s \\- %s" % (name, name_line(doc)), ".SH SYNOPSIS", ".nf",
           ".B #include <udsock.h>", ".PP"]
    for s in sorted(set(re.findall(r"\b(uds_(?:addr|cred|msg))\b", proto))):
        if s in structs:
            out.extend(line_safe(roff_escape(l)) for l in structs[s].split("\n"))
            out.append(".PP")
    out.append(".B " + roff_escape(proto))
    out.extend([".fi", ".PP", "Compile and link with \\fIpkg\\-config \\-\\-cflags \\-\\-libs udsock\\fR.",
                ".SH DESCRIPTION"])
    out.extend(blocks_to_roff(doc))
    see = ["%s (3)" % r for r in related.get(name, [])] + ["libudsock (7)", "udsock (1)"]
    out.extend([".SH SEE ALSO", ".nh", ",\n".join(".BR " + s for s in see)])
    return "\n".join(out) + "\n"


def overview_page(header, readme, functions, related, version):
    out = [th("libudsock", 7, version), ".SH NAME",
           "libudsock \\- Unix\\-domain sockets done right: conventions and pitfalls",
           ".SH SYNOPSIS", ".nf", ".B #include <udsock.h>", ".fi", ".PP",
           "Compile and link with \\fIpkg\\-config \\-\\-cflags \\-\\-libs udsock\\fR.",
           ".SH DESCRIPTION"]
    out.extend(blocks_to_roff(readme.split("\n## ", 1)[0].split("\n")[2:]))
    out.append(".SH CONVENTIONS")
    out.extend(blocks_to_roff(header_conventions(header)))
    out.extend(blocks_to_roff(readme_section(readme, "API conventions")))
    out.append(".SH FUNCTIONS")
    for area, funcs in table_rows(readme_section(readme, "The API at a glance")):
        out.extend([".TP", inline(area), inline(funcs)])
    out.append(".SH PITFALLS")
    out.extend(blocks_to_roff([l for l in readme_section(readme, "The pitfalls it handles") if not l.startswith("|")]))
    for pitfall, by_hand, ours in table_rows(readme_section(readme, "The pitfalls it handles")):
        out.extend([".TP", inline(pitfall), "By hand: " + inline(by_hand), ".br", "libudsock: " + inline(ours)])
    names = sorted(n for n, _, _ in functions)
    out.extend([".SH SEE ALSO", ".nh\n" + ",\n".join(".BR %s (3)" % n for n in names + ["udsock"] if n != "udsock")
                + ",\n.BR udsock (1),\n.BR unix (7),\n.BR sd_listen_fds (3)"])
    return "\n".join(out) + "\n"


def main():
    if len(sys.argv) != 5:
        sys.exit(__doc__)
    header = Path(sys.argv[1]).read_text()
    readme = Path(sys.argv[2]).read_text()
    version, outdir = sys.argv[3], Path(sys.argv[4])
    functions, structs = parse_header(header)
    declared = set(re.findall(r"\b(uds_\w+)\(", re.sub(r"/\*.*?\*/", "", header, flags=re.S)))
    documented = {n for n, _, _ in functions}
    if declared - documented:
        sys.exit("genman.py: no doc comment for %s" % ", ".join(sorted(declared - documented)))
    related = areas(readme)
    (outdir / "man3").mkdir(parents=True, exist_ok=True)
    (outdir / "man7").mkdir(parents=True, exist_ok=True)
    for name, proto, doc in functions:
        (outdir / "man3" / (name + ".3")).write_text(function_page(name, proto, doc, structs, related, version))
    (outdir / "man7" / "libudsock.7").write_text(overview_page(header, readme, functions, related, version))


if __name__ == "__main__":
    main()
