Attribute VB_Name = "Ribbon"
' The one callback behind every button of the "Sales Pipeline" ribbon tab
' (macros/customUI14.xml, macros/customUI.xml). The button id is the command
' name; the work is done in Python by salesbook.ribbon.run(<id>) via xlwings.
Option Explicit

Public Sub SalesbookRibbon(control As IRibbonControl)
    Select Case control.Id
        Case "settings"
            ' By name, not by code name: a renamed or deleted sheet must not stop the
            ' module from compiling. Python recreates a missing Settings sheet.
            On Error Resume Next
            ThisWorkbook.Worksheets("Settings").Activate
            If Err.Number <> 0 Then
                Err.Clear
                On Error GoTo 0
                RunSalesbook control.Id
            End If
        Case Else
            ' Archive Stale asks in Python, which knows how many leads (and which) would move,
            ' and moves nothing unless the answer is OK (salesbook.ribbon.archive).
            RunSalesbook control.Id
    End Select
End Sub

Private Sub RunSalesbook(ByVal commandName As String)
    RunPython "import salesbook.ribbon; salesbook.ribbon.run('" & commandName & "')"
End Sub
