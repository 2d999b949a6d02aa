"""The commands behind the workbook's ribbon buttons.

Each name is the ``id`` of one button in ``macros/customUI14.xml``; the VBA
callback passes it unchanged to ``salesbook.ribbon.run(name)``. ``settings``
is handled in VBA (it only activates the Settings sheet) but is listed so that
the set of ids equals the set of buttons.
"""

RIBBON_COMMANDS = ("grade", "followup", "stale", "archive", "funnel", "runall", "check", "settings", "help")
