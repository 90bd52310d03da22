#!/usr/bin/env bash
# The interpreter the Python-layer tests run user code on: Debian's /usr/bin/python3
# with NumPy and PyTorch (PyPI is out of reach here; Debian's packages are not).
# Installs, only when missing, python3-numpy python3-torch python3-venv through apt
# (as root, or with sudo). The tests name /usr/bin/python3 (GRADLENS_TEST_PYTHON
# overrides it); where it lacks a module they say so and skip, never fake it.
set -euo pipefail
PKGS="python3 python3-numpy python3-torch python3-venv"
MISSING=""
for p in $PKGS; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || MISSING="$MISSING $p"
done
if [ -z "$MISSING" ]; then echo "[python] Debian's python3 with NumPy and PyTorch: installed"; exit 0; fi
if [ "$(id -u)" != 0 ] && ! command -v sudo >/dev/null; then
  echo "[python] missing Debian packages:$MISSING (install them as root); the Python tests will skip" >&2; exit 0
fi
SUDO=""; [ "$(id -u)" = 0 ] || SUDO=sudo
echo "[python] apt-get install$MISSING"
$SUDO apt-get -o DPkg::Lock::Timeout=900 update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get -o DPkg::Lock::Timeout=900 install -y -qq --no-install-recommends $MISSING >/dev/null
/usr/bin/python3 -c "import numpy, torch; print('[python] numpy', numpy.__version__, 'torch', torch.__version__)"
