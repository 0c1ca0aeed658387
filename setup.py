"""Packages are found, not listed: everything below the four source folders.

``screens/``, ``widgets/`` and ``data/`` sit at the top of the checkout and
install inside the package as ``specialops.screens``, ``specialops.widgets``
and ``specialops.data``; a new area's folders are picked up without an edit.
"""

from setuptools import find_packages, setup

SOURCES = {
    "specialops": "specialops",
    "specialops.screens": "screens",
    "specialops.widgets": "widgets",
    "specialops.data": "data",
}

packages = []
for package, folder in SOURCES.items():
    packages.append(package)
    packages += [f"{package}.{found}" for found in find_packages(folder)]

setup(packages=packages, package_dir=SOURCES)
