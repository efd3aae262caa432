"""Compile the Babel message catalogs (.po → .mo) whenever the package is built (wheel or editable)."""

from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py


class BuildWithCatalogs(build_py):
    def run(self):
        from babel.messages.mofile import write_mo
        from babel.messages.pofile import read_po

        for po in Path(__file__).parent.glob("templates/locale/*/LC_MESSAGES/*.po"):
            with po.open("rb") as src:
                catalog = read_po(src)
            with po.with_suffix(".mo").open("wb") as out:
                write_mo(out, catalog)
        super().run()


setup(cmdclass={"build_py": BuildWithCatalogs})
