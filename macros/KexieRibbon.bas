Attribute VB_Name = "KexieRibbon"
' kexie_xl ribbon callbacks. Chinese text only inside "..." literals: the builder turns them into ChrW() so the
' built module is ASCII and reads the same on every Windows locale.
' Every button of customUI14.xml calls OnButton; Python does the work (kexie_xl.xl.buttons.dispatch).
Option Explicit

Public Sub OnButton(control As IRibbonControl)
    Dim scratch As Workbook
    If ActiveWorkbook Is Nothing Then
        If Not KexieBookFree(control.Id) Then
            MsgBox "请先打开要校验的月报工作簿，再点这个按钮。", vbInformation, "科技志愿服务"
            Exit Sub
        End If
        ' xlwings reads its settings through ActiveWorkbook (error 91 without one): an empty book for this run
        Set scratch = Workbooks.Add
    End If
    RunPython "import kexie_xl.xl.buttons as kexie; kexie.dispatch('" & control.Id & "')"
    If Not scratch Is Nothing Then scratch.Close SaveChanges:=False
End Sub

' The buttons that work without an open workbook (kexie_xl.xl.buttons.BOOK_FREE lists the same ids).
Public Function KexieBookFree(buttonId As String) As Boolean
    Select Case buttonId
        Case "kx_merge_folder", "kx_fetch_mail", "kx_doctor"
            KexieBookFree = True
        Case Else
            KexieBookFree = False
    End Select
End Function
