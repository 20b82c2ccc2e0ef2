"""The frozen `yizhan.exe`'s entry point (PyInstaller, packaging/windows/yizhan.spec).

The hall app starts helpers as `sys.executable -m MODULE ...` (the embedded office server, the
pinyin index, the doctor's screen probe). In a frozen build sys.executable is yizhan.exe, which
has no `-m`; this launcher provides it, so the same code runs frozen and unfrozen.
"""

import multiprocessing
import runpy
import sys

if __name__ == "__main__":
    multiprocessing.freeze_support()
    if len(sys.argv) >= 3 and sys.argv[1] == "-m":
        module = sys.argv[2]
        sys.argv = [module, *sys.argv[3:]]
        runpy.run_module(module, run_name="__main__", alter_sys=True)
        sys.exit(0)
    from kiosk.cli import main

    sys.exit(main())
