"""One build step that pyproject.toml cannot say: ship the Streamlit entry with the package.

app.py (the thin entry `make run` starts) and .streamlit/config.toml live at the top of the
checkout, outside any package. The wheel carries copies in optviz/_bundled/, which `optviz serve`
(optviz/app/serve.py) runs when no checkout is around. The files stay where they are; nothing is
written into the source tree.
"""

from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

BUNDLED = {"app.py": "app.py", ".streamlit/config.toml": "config.toml"}


class BuildPyWithApp(build_py):
    def run(self):
        super().run()
        target = Path(self.build_lib, "optviz", "_bundled")
        self.mkpath(str(target))
        for source, name in BUNDLED.items():
            self.copy_file(source, str(target / name))


setup(cmdclass={"build_py": BuildPyWithApp})
