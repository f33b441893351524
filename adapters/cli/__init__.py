"""The command line, a driving adapter: one module per area, each a typer app whose commands
join the root app under their own names. main.py wires the pool and runs this.

python main.py serve | demo | seed | chat --as PHONE       adapters/cli/run.py
python main.py post-session | book | cancel | urgent | ...  adapters/cli/shifts.py
python main.py import KIND FILE | export KIND              adapters/cli/files.py
python main.py checks ... | members leave | members erase    adapters/cli/checks.py
python main.py alerts | inbox ... | cost add | report      adapters/cli/desk.py
python main.py slack ... | telegram ...                    adapters/cli/channels.py
python main.py mentoring ... | groups ...                  adapters/cli/peer.py
python main.py signoff ... | expenses add | timesheets     adapters/cli/pay.py
python main.py invoices ... | forms b | billing ...        adapters/cli/pay.py
"""

from __future__ import annotations

import typer

from adapters.cli import channels, checks, desk, files, pay, peer, run, shifts

cli = typer.Typer(add_completion=False, no_args_is_help=True, help="The GP pool bot.")
for area in (run, shifts, files, checks, desk, pay, peer, channels):
    cli.add_typer(area.app)
