"""Run one VBA Sub of a macro workbook in LibreOffice headless (UNO) and save the result as .xlsx.

Started by tests with Debian's system python3 (the interpreter python3-uno is built for), not the venv:
    python3 tests/lo_run_vba.py SOURCE.xlsm OUT.xlsx PROFILE_DIR Module.Sub
Prints a JSON line with the modules LibreOffice sees in the VBAProject library.
"""

import contextlib
import json
import os
import subprocess
import sys
import time

import uno
from com.sun.star.beans import PropertyValue


def prop(name, value):
    p = PropertyValue()
    p.Name, p.Value = name, value
    return p


def main():
    source, out, profile, sub = sys.argv[1:5]
    pipe = f"kexie_{os.getpid()}"
    office = subprocess.Popen(
        [
            "soffice",
            f"-env:UserInstallation=file://{profile}",
            "--headless",
            "--invisible",
            "--norestore",
            f"--accept=pipe,name={pipe};urp;",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        local = uno.getComponentContext()
        resolver = local.ServiceManager.createInstanceWithContext("com.sun.star.bridge.UnoUrlResolver", local)
        for _ in range(120):
            try:
                ctx = resolver.resolve(f"uno:pipe,name={pipe};urp;StarOffice.ComponentContext")
                break
            except Exception:
                time.sleep(0.5)
        else:
            raise SystemExit("LibreOffice did not start")
        desktop = ctx.ServiceManager.createInstanceWithContext("com.sun.star.frame.Desktop", ctx)
        doc = desktop.loadComponentFromURL(
            uno.systemPathToFileUrl(os.path.abspath(source)), "_blank", 0, (prop("Hidden", True), prop("MacroExecutionMode", 4))
        )
        libraries = doc.BasicLibraries
        libraries.loadLibrary("VBAProject")
        modules = sorted(libraries.getByName("VBAProject").getElementNames())
        script = doc.getScriptProvider().getScript(f"vnd.sun.star.script:VBAProject.{sub}?language=Basic&location=document")
        script.invoke((), (), ())
        doc.storeToURL(uno.systemPathToFileUrl(os.path.abspath(out)), (prop("FilterName", "Calc MS Excel 2007 XML"),))
        doc.close(True)
        print(json.dumps({"modules": modules}))
        with contextlib.suppress(Exception):
            desktop.terminate()
    finally:
        try:
            office.wait(timeout=20)
        except subprocess.TimeoutExpired:
            office.kill()


if __name__ == "__main__":
    main()
