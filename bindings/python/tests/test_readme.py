"""The README's fd-passing example runs and does what it says."""

import os
import re

from conftest import PKG_DIR, run_python


def readme_example():
    with open(os.path.join(PKG_DIR, "README.md")) as f:
        text = f.read()
    m = re.search(r"<!-- example: [^>]*-->\n```python\n(.*?)```", text, re.S)
    assert m, "README.md has no marked example"
    return m.group(1)


def test_readme_example_is_at_most_ten_lines():
    lines = readme_example().strip("\n").split("\n")
    assert len(lines) <= 10, lines


def test_readme_example_passes_an_fd_between_processes():
    p = run_python(readme_example())
    assert p.stdout == "b'written by the child\\n'\n"
