"""The project's Ansible content travels in the wheel: a build copies it under
labctl/project/, where an installed labctl finds it (labctl/core/paths.py). Everything
else about the package is in pyproject.toml."""

import shutil
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

HERE = Path(__file__).resolve().parent
# What `labctl` needs beside its Python code; the same list is grafted into the sdist
# (MANIFEST.in) so that a wheel built from the sdist has it too.
PROJECT = ["ansible.cfg", "ansible-navigator.yml", "execution-environment.yml", "bindep.txt",
           "requirements.txt", "collections/requirements.yml", "playbooks", "roles", "plugins",
           "inventory/demo", "inventory/demo.vault-pass", "inventory/example-school",
           "tests/__init__.py", "tests/compliance", "labseat"]
JUNK = shutil.ignore_patterns("__pycache__", "*.pyc", ".pytest_cache")


class BuildWithProject(build_py):
    def run(self):
        super().run()
        if getattr(self, "editable_mode", False):
            return  # an editable install runs from the checkout, which is the project
        target = Path(self.build_lib) / "labctl" / "project"
        for name in PROJECT:
            src, dst = HERE / name, target / name
            dst.parent.mkdir(parents=True, exist_ok=True)
            if src.is_dir():  # symlinks (roles' files shared with labctl/) are copied as files
                shutil.copytree(src, dst, ignore=JUNK, dirs_exist_ok=True)
            else:
                shutil.copy2(src, dst)


setup(cmdclass={"build_py": BuildWithProject})
