Attribute VB_Name = "KexieRibbon"
' kexie_xl ribbon callbacks. Keep this file ASCII-only: it must read the same on every Windows locale.
' Every button of customUI14.xml calls OnButton; Python does the work (kexie_xl.xl.buttons.dispatch).
Option Explicit

Public Sub OnButton(control As IRibbonControl)
    RunPython "import kexie_xl.xl.buttons as kexie; kexie.dispatch('" & control.Id & "')"
End Sub
