"""Package list for setuptools (the rest of the metadata is in pyproject.toml).

The task registry (``tasks/``) and ready-made suites (``configs/``) live at the top of the
repository; in a wheel they travel as ``evalkit._builtin.tasks`` / ``evalkit._builtin.configs`` so an
installed evalkit finds them too. ``find_packages`` cannot see those mapped folders, hence this file.
"""

from setuptools import find_packages, setup

setup(packages=find_packages(include=["evalkit", "evalkit.*"]) + ["evalkit._builtin.tasks", "evalkit._builtin.configs"])
