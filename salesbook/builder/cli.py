"""`salesbook build-workbook`: build the macro workbook from the sources in macros/."""

from __future__ import annotations

from pathlib import Path

import click

from salesbook.builder.shipped import build_shipped_workbook


@click.command("build-workbook")
@click.option("--out", "out", type=click.Path(dir_okay=False, path_type=Path),
              default=Path("workbook/SalesPipeline.xlsm"), show_default=True,
              help="The .xlsm file to write (replaced atomically).")
@click.option("--macros", "macros", type=click.Path(exists=True, file_okay=False, path_type=Path),
              default=Path("macros"), show_default=True,
              help="Folder with the VBA modules (*.bas, *.cls) and the ribbon XML.")
def build_workbook_command(out: Path, macros: Path) -> None:
    """Build the workbook: sheets, VBA project (with xlwings) and ribbon, byte-reproducibly."""
    try:
        path = build_shipped_workbook(out, macros_dir=macros)
    except ImportError as exc:
        raise click.ClickException(f"{exc.name or exc} is needed to build the workbook: pip install xlsxwriter") from exc
    except (OSError, ValueError) as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(f"Wrote {path} ({path.stat().st_size:,} bytes)")
